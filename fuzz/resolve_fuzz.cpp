// resolve_fuzz: location_resolver::resolve(), explain(), stamp_locations() and the location
// parsers on arbitrary bytes, over one registry holding every store type (built once). Properties,
// checked on the raw input and on a URL built from it with a marker userinfo
// (`<scheme>://<marker>@<input[1..]>`):
//   - no crash, no sanitizer report;
//   - the canonicaliser's fast path and its general code give the same parts;
//   - the result is well-formed (owner iff matched; canonical URL iff not invalid);
//   - a match means the canonical URL starts with one of the owner's prefixes (same scheme
//     family) and the rest is non-empty; an http match is an http(s) URL;
//   - resolving the canonical URL again gives the same status, reason, store and canonical URL
//     (a swift user_mismatch, which depends on the userinfo, becomes a match of that URL);
//   - explain() agrees with resolve();
//   - stamping agrees with resolve() and is idempotent; a known store the URL contradicts is a
//     mismatch, a stale one is replaced; legacy cinder URLs go through the volume-type lookup
//     with their volume id only, and the rewritten URL resolves to the stamped store;
//   - every store's location parser and formatter, and both redaction functions, take it
//     without crashing, and a parser accepts it only if resolve() does not call it invalid
//     (one set of rules);
//   - with the marker: has_credentials is set, and no output (canonical URL, every explain()
//     string, stamp changes, redact_url(), redacted_uri() of every parsed location) contains
//     the marker, even lower-cased or percent-decoded.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detail/canonical_url.hpp"
#include "detail/text.hpp"
#include "fuzz_support.hpp"
#include "imgstore/config.hpp"
#include "imgstore/location.hpp"
#include "imgstore/registry.hpp"
#include "imgstore/resolver.hpp"
#include "imgstore/stamp.hpp"

namespace {

using namespace std::string_view_literals;

constexpr std::string_view target = "resolve_fuzz";
constexpr std::string_view marker_user = "fzuser";
constexpr std::string_view marker_secret = "fzsecret";

// Every store type, with the boundaries that matter: sibling and nested directories, a
// multi-directory file store, two rbd clusters, s3 over https and over http with a port, swift
// with inline credentials and with a reference file, cinder ids that are string prefixes of each
// other, two vmware stores sharing host and folder (told apart by dsName), one on IPv6, and one
// http store.
constexpr std::string_view config_template = R"([DEFAULT]
enabled_backends = fast:file, fast2:file, nested:file, multi:file, ceph:rbd, ceph2:rbd,
    s3a:s3, s3b:s3, sw:swift, swcfg:swift, cinder1:cinder, cinder10:cinder,
    vc1:vmware, vc2:vmware, vc6:vmware, web:http

[glance_store]
default_backend = fast

[fast]
filesystem_store_datadir = /var/lib/glance/images

[fast2]
filesystem_store_datadir = /var/lib/glance/images2

[nested]
filesystem_store_datadir = /var/lib/glance/images/nested

[multi]
filesystem_store_datadirs = /srv/a b/images:100
filesystem_store_datadirs = /srv/c@d/images:50

[ceph]
rbd_store_fsid = c0ffee00-0000-4000-8000-000000000001
rbd_store_pool = images

[ceph2]
rbd_store_fsid = C0FFEE00-0000-4000-8000-000000000002
rbd_store_pool = my pool

[s3a]
s3_store_host = https://s3.example.com
s3_store_access_key = AKIAEXAMPLE
s3_store_secret_key = fuzz/secret+key
s3_store_bucket = glance

[s3b]
s3_store_host = http://S3.Example.com:8080/
s3_store_access_key = ak
s3_store_secret_key = sk
s3_store_bucket = images

[sw]
swift_store_auth_address = https://keystone.example.com:5000/v3
swift_store_user = tenant:user1
swift_store_key = swiftkey
swift_store_container = glance

[swcfg]
swift_store_config_file = @SWIFT_CONF@
default_swift_reference = ref1
swift_store_container = glance

[cinder1]
cinder_volume_type = fast

[cinder10]
cinder_volume_type = slow

[vc1]
vmware_server_host = 127.0.0.1
vmware_server_username = u
vmware_server_password = p
vmware_store_image_dir = openstack_glance
vmware_datastores = dc1:ds1

[vc2]
vmware_server_host = 127.0.0.1
vmware_server_username = u
vmware_server_password = p
vmware_store_image_dir = /openstack_glance/
vmware_datastores = dc1:ds2:100

[vc6]
vmware_server_host = fd00::1
vmware_server_username = u
vmware_server_password = p

[web]
https_insecure = false
)";

constexpr std::string_view swift_conf = R"([ref1]
auth_address = http://swift.example.com:8080/v1
user = tenant:user2
key = refkey

[ref2]
auth_address = https://other.example.com
user = u
key = k
)";

std::shared_ptr<const imgstore::location_resolver> make_resolver() {
    // The swift reference file lives in a per-process temporary file.
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() /
        ("imgstore-resolve-fuzz-" +
         std::to_string(std::hash<std::string>{}(std::filesystem::current_path().string())) +
         ".conf");
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << swift_conf;
    }
    std::string text(config_template);
    text.replace(text.find("@SWIFT_CONF@"), 12, path.string());
    const imgstore::config_load parsed = imgstore::parse_config(text, "resolve_fuzz.conf");
    imgstore::load_result loaded = imgstore::store_registry::build(parsed.config);
    if (!parsed.ok() || !loaded.ok()) {
        for (const auto& d : parsed.diagnostics) {
            std::fprintf(stderr, "%s\n", imgstore::to_string(d).c_str());
        }
        for (const auto& d : loaded.diagnostics) {
            std::fprintf(stderr, "%s\n", imgstore::to_string(d).c_str());
        }
        imgstore::fuzz::fail(target, "the fuzz registry does not load", "");
    }
    for (const imgstore::store& s : loaded.registry->stores()) {
        if (s.status() != imgstore::store_status::ok) {
            imgstore::fuzz::fail(target, "a fuzz registry store is unresolvable", s.id());
        }
    }
    return std::make_shared<const imgstore::location_resolver>(loaded.registry);
}

const imgstore::location_resolver& resolver() {
    static const std::shared_ptr<const imgstore::location_resolver> r = make_resolver();
    return *r;
}

// A canonical URL without "scheme://", and its scheme's family name ("" when the scheme is
// not one of the table's).
std::string_view after_scheme(std::string_view url, std::string_view& family) {
    auto split = imgstore::detail::split_canonical(url);
    if (!split) {
        family = {};
        return {};
    }
    family = imgstore::detail::family_name(imgstore::detail::family_of(split->scheme));
    return split->rest;
}

void check_match(std::string_view input, const imgstore::resolution& r) {
    const imgstore::store& owner = *r.owner;
    std::string_view family;
    const std::string_view rest = after_scheme(r.canonical_url, family);
    if (owner.type() == imgstore::store_type::http) {
        if (family != "http")
            imgstore::fuzz::fail(target, "http store matched a non-http URL", input);
        return;
    }
    for (const std::string& p : owner.url_prefixes()) {
        std::string_view prefix_family;
        const std::string_view prefix_rest = after_scheme(p, prefix_family);
        if (prefix_family != family || !prefix_rest.ends_with('/') ||
            !rest.starts_with(prefix_rest)) {
            continue;
        }
        const std::string_view object = rest.substr(prefix_rest.size());
        if (object.empty() || object.front() == '?') {
            imgstore::fuzz::fail(target, "matched with an empty object part", input);
        }
        return;
    }
    imgstore::fuzz::fail(target, "matched a store none of whose prefixes starts the URL", input);
}

void check_no_marker(std::string_view input, std::string_view output, std::string_view what) {
    if (imgstore::fuzz::contains_normalised(output, marker_secret) ||
        imgstore::fuzz::contains_normalised(output, marker_user)) {
        imgstore::fuzz::fail(target, std::string("userinfo leaked into ") + std::string(what),
                             input);
    }
}

void check(std::string_view url, bool marked) {
    // The canonicaliser's fast path and its general code agree.
    {
        std::string scratch_fast, scratch_general;
        imgstore::detail::canonical_url fast{}, general{};
        const auto rf = imgstore::detail::canonicalize(url, scratch_fast, fast);
        const auto rg = imgstore::detail::canonicalize_general(url, scratch_general, general);
        if (rf != rg ||
            (rf == imgstore::reason_code::none && !imgstore::detail::same_parts(fast, general))) {
            imgstore::fuzz::fail(target, "fast path and general code disagree", url);
        }
    }
    const imgstore::location_resolver& res = resolver();
    std::string scratch;
    const imgstore::resolution r = res.resolve(url, scratch);
    using imgstore::resolve_status;

    // Well-formed.
    if ((r.status == resolve_status::matched) != (r.owner != nullptr)) {
        imgstore::fuzz::fail(target, "owner set iff matched", url);
    }
    if ((r.status == resolve_status::matched) != (r.reason == imgstore::reason_code::none)) {
        imgstore::fuzz::fail(target, "reason none iff matched", url);
    }
    if (r.status == resolve_status::invalid && !r.canonical_url.empty()) {
        imgstore::fuzz::fail(target, "invalid with a canonical URL", url);
    }
    if (r.status == resolve_status::matched && r.canonical_url.empty()) {
        imgstore::fuzz::fail(target, "matched without a canonical URL", url);
    }
    if (r.status == resolve_status::matched) check_match(url, r);

    // The convenience overload agrees.
    const imgstore::resolution again = res.resolve(url);
    if (again.status != r.status || again.reason != r.reason || again.owner != r.owner ||
        again.canonical_url != r.canonical_url) {
        imgstore::fuzz::fail(target, "resolve(url) and resolve(url, scratch) disagree", url);
    }

    // Idempotent on its own canonical output.
    const std::string canonical(r.canonical_url);
    if (!canonical.empty()) {
        std::string scratch2;
        const imgstore::resolution c = res.resolve(canonical, scratch2);
        if (c.canonical_url != canonical) {
            imgstore::fuzz::fail(
                target,
                "canonical URL is not a fixed point: " + std::string(to_string(r.reason)) + ", " +
                    std::to_string(canonical.size()) + " bytes, resolves to " +
                    std::string(to_string(c.status)) + "/" + std::string(to_string(c.reason)) +
                    " with " + std::to_string(c.canonical_url.size()) + " bytes",
                url);
        }
        if (c.has_credentials) imgstore::fuzz::fail(target, "canonical URL has userinfo", url);
        if (r.reason == imgstore::reason_code::user_mismatch) {
            if (c.status != resolve_status::matched ||
                c.owner->type() != imgstore::store_type::swift) {
                imgstore::fuzz::fail(target, "user_mismatch URL without userinfo is no swift match",
                                     url);
            }
        } else if (c.status != r.status || c.reason != r.reason || c.owner != r.owner) {
            imgstore::fuzz::fail(target, "resolving the canonical URL changes the answer", url);
        }
    }

    // explain() agrees.
    const imgstore::explanation e = res.explain(url);
    if (e.status != r.status || e.reason != r.reason ||
        e.store_id != (r.owner != nullptr ? r.owner->id() : std::string_view())) {
        imgstore::fuzz::fail(target, "explain() and resolve() disagree", url);
    }
    if (r.status != resolve_status::invalid && e.canonical_url != canonical) {
        imgstore::fuzz::fail(target, "explain() canonical URL differs", url);
    }

    // Stamping a location without a store agrees, and is idempotent.
    const imgstore::location_ref legacy[] = {{url, std::nullopt}};
    const imgstore::image_stamp st = imgstore::stamp_locations(res, legacy);
    if (st.locations.size() != 1) imgstore::fuzz::fail(target, "stamp report size", url);
    if (r.status == resolve_status::matched) {
        if (st.changes.size() != 1 || st.changes[0].new_store != r.owner->id() ||
            st.changes[0].new_url.has_value()) {
            imgstore::fuzz::fail(target, "stamp does not set the resolved store", url);
        }
        const imgstore::location_ref stamped[] = {{url, r.owner->id()}};
        const imgstore::image_stamp twice = imgstore::stamp_locations(res, stamped);
        if (!twice.changes.empty() ||
            twice.locations[0].outcome != imgstore::stamp_outcome::already_set) {
            imgstore::fuzz::fail(target, "stamping twice changes something", url);
        }
        // A known store that the URL contradicts is reported, never changed; an unknown one is
        // stale and replaced.
        const std::string_view other = r.owner->id() == "fast" ? "fast2" : "fast";
        const imgstore::location_ref known[] = {{url, other}, {url, "renamed-store"}};
        const imgstore::image_stamp k = imgstore::stamp_locations(res, known);
        if (k.locations[0].outcome != imgstore::stamp_outcome::mismatch ||
            k.locations[0].resolved_store != r.owner->id() || k.changes.size() != 1 ||
            k.changes[0].index != 1 || k.changes[0].old_store != "renamed-store" ||
            k.changes[0].new_store != r.owner->id()) {
            imgstore::fuzz::fail(target, "stamp of a known or stale store id is wrong", url);
        }
    } else if (!st.changes.empty()) {
        imgstore::fuzz::fail(target, "stamp changed a location that does not resolve", url);
    }

    // Legacy cinder URLs go through the volume-type lookup: the lookup sees the volume id (a
    // lower-case UUID, never userinfo), and the rewritten URL resolves to the stamped store.
    std::vector<std::string> looked_up;
    imgstore::stamp_options with_lookup;
    with_lookup.volume_type_of = [&](std::string_view volume) -> std::optional<std::string> {
        looked_up.emplace_back(volume);
        return volume.size() % 2 == 0 ? "fast" : "slow";
    };
    const imgstore::image_stamp cinder = imgstore::stamp_locations(res, legacy, with_lookup);
    for (const std::string& volume : looked_up) {
        if (!imgstore::detail::is_canonical_uuid(volume)) {
            imgstore::fuzz::fail(target, "the volume-type lookup got something else than a UUID",
                                 url);
        }
    }
    if (r.reason == imgstore::reason_code::cinder_legacy) {
        if (cinder.changes.size() != 1 || !cinder.changes[0].new_url) {
            imgstore::fuzz::fail(target, "legacy cinder URL not stamped through the lookup", url);
        }
        std::string scratch3;
        const imgstore::resolution rewritten = res.resolve(*cinder.changes[0].new_url, scratch3);
        if (rewritten.status != resolve_status::matched ||
            rewritten.owner->id() != cinder.changes[0].new_store) {
            imgstore::fuzz::fail(target, "rewritten cinder URL does not resolve to its store", url);
        }
    } else if (!looked_up.empty()) {
        imgstore::fuzz::fail(target, "volume-type lookup for a URL that is not legacy cinder", url);
    }

    // Location parsers and redaction. A parser accepts only what the resolver does not call
    // invalid, so no parser takes a userinfo where none belongs (file, rbd, cinder, vsphere,
    // swift+config): every parsed location's printable form is checked for the marker.
    std::vector<std::string> redacted;
    for (const imgstore::store& s : res.registry().stores()) {
        const auto loc = s.parse_location(url);
        if (!loc) continue;
        if (r.status == resolve_status::invalid) {
            imgstore::fuzz::fail(target, "a location parser accepts what resolve() calls invalid",
                                 url);
        }
        (void)s.format_location(*loc);
        (void)imgstore::uri_with_credentials(*loc);
        redacted.push_back(imgstore::redacted_uri(*loc));
    }
    redacted.push_back(imgstore::redact_url(url));

    if (!marked) return;
    for (const std::string& shown : redacted) check_no_marker(url, shown, "a redacted URL");
    if (!canonical.empty() && !r.has_credentials) {
        imgstore::fuzz::fail(target, "userinfo not reported in has_credentials", url);
    }
    check_no_marker(url, canonical, "canonical_url");
    check_no_marker(url, e.canonical_url, "explain canonical_url");
    check_no_marker(url, e.match_key, "explain match_key");
    check_no_marker(url, e.store_id, "explain store_id");
    for (const std::string& s : e.considered) check_no_marker(url, s, "explain considered");
    for (const std::string& s : e.hits) check_no_marker(url, s, "explain hits");
    for (const auto& ch : cinder.changes) {
        if (ch.new_url) check_no_marker(url, *ch.new_url, "stamp new_url");
    }
}

// Schemes the marker URL is built with: every known scheme, some in upper case, and an unknown.
constexpr std::string_view schemes[] = {
    "file"sv,        "filesystem"sv,   "http"sv,     "https"sv,   "rbd"sv,
    "s3"sv,          "s3+http"sv,      "s3+https"sv, "swift"sv,   "swift+http"sv,
    "swift+https"sv, "swift+config"sv, "cinder"sv,   "vsphere"sv, "FILE"sv,
    "S3+HTTPS"sv,    "Swift+Config"sv, "VSPHERE"sv,  "ftp"sv,     "HTTPS"sv,
};
constexpr std::size_t scheme_count = sizeof schemes / sizeof schemes[0];

// Userinfo shapes carrying the marker. The last one has a raw '/' in the secret, which only the
// s3 and swift families read as userinfo (upstream writes their keys so): it is used with
// those schemes only.
constexpr std::string_view markers[] = {
    "fzuser:fzsecret"sv,          "fzuser"sv,
    "tenant%3Afzuser:fzsecret"sv, ":fzsecret"sv,
    "FZUSER:%66zsecret"sv,        "fzuser:fz/sec:fzsecret"sv,
};
constexpr std::size_t marker_count = sizeof markers / sizeof markers[0];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check(input, false);
    if (size == 0) return 0;

    // `<scheme>://<marker userinfo>@<rest>`: the first byte picks scheme and marker shape.
    const auto selector = static_cast<unsigned char>(input[0]);
    const std::string_view rest = input.substr(1);
    if (imgstore::fuzz::contains_normalised(rest, marker_secret) ||
        imgstore::fuzz::contains_normalised(rest, marker_user)) {
        return 0;  // the marker could legitimately appear in the output
    }
    std::size_t marker = (selector / scheme_count) % marker_count;
    std::string_view scheme = schemes[selector % scheme_count];
    if (marker == marker_count - 1) {
        constexpr std::string_view slash_key_schemes[] = {"s3"sv, "s3+https"sv, "swift"sv,
                                                          "swift+https"sv};
        scheme = slash_key_schemes[selector % 4];
    }
    std::string url;
    url.reserve(size + 48);
    url += scheme;
    url += "://";
    url += markers[marker];
    url += '@';
    url += rest;
    check(url, true);
    return 0;
}
