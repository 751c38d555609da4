#include "imgstore/resolver.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <utility>

#include "detail/canonical_url.hpp"
#include "detail/prefix_index.hpp"
#include "detail/text.hpp"

namespace imgstore {
namespace {

constexpr std::uint32_t no_owner = std::numeric_limits<std::uint32_t>::max();

// Reads one character of a percent-encoded text (every '%' is followed by two hex digits: the
// canonicaliser checked). `plus_is_space` reads '+' as Python's parse_qs does.
inline char decode_at(std::string_view s, std::size_t& i, bool plus_is_space) noexcept {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
        c = static_cast<char>(detail::hex_value(s[i + 1]) * 16 + detail::hex_value(s[i + 2]));
        i += 3;
        return c;
    }
    ++i;
    return plus_is_space && c == '+' ? ' ' : c;
}

// `encoded`, percent-decoded, equals `plain`. No allocation.
bool decoded_equals(std::string_view encoded, std::string_view plain, bool plus_is_space) {
    std::size_t j = 0;
    for (std::size_t i = 0; i < encoded.size();) {
        if (j == plain.size() || decode_at(encoded, i, plus_is_space) != plain[j]) return false;
        ++j;
    }
    return j == plain.size();
}

// The swift user rule: the userinfo is percent-decoded and split on its last ':' (upstream's
// parser; the user may itself hold ':', as `tenant:user`). Without any ':' it is all user.
bool swift_user_is(std::string_view userinfo, std::string_view user) {
    std::size_t user_end = userinfo.size();
    for (std::size_t i = 0; i < userinfo.size();) {
        const std::size_t at = i;
        if (decode_at(userinfo, i, false) == ':') user_end = at;
    }
    return decoded_equals(userinfo.substr(0, user_end), user, false);
}

// The first non-blank `dsName` value of a query, still encoded (parse_qs: blank values are
// dropped, '+' is a space). Empty when there is none.
std::string_view ds_name(std::string_view query) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
        const std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos || eq + 1 == pair.size()) continue;
        if (decoded_equals(pair.substr(0, eq), "dsName", true)) return pair.substr(eq + 1);
    }
    return {};
}

// upstream is_uuid_like: the canonical lower-case 8-4-4-4-12 form only.
bool lower_uuid(std::string_view s) {
    return detail::is_uuid(s) &&
           std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'F'; });
}

struct verdict {
    resolve_status status = resolve_status::invalid;
    reason_code reason = reason_code::none;
    std::uint32_t owner = no_owner;
};

}  // namespace

std::string_view to_string(reason_code r) noexcept {
    switch (r) {
        case reason_code::none:
            return "matched";
        case reason_code::too_long:
            return "too_long";
        case reason_code::bad_byte:
            return "bad_byte";
        case reason_code::bad_percent:
            return "bad_percent";
        case reason_code::not_absolute:
            return "not_absolute";
        case reason_code::bad_scheme:
            return "bad_scheme";
        case reason_code::bad_userinfo:
            return "bad_userinfo";
        case reason_code::bad_host:
            return "bad_host";
        case reason_code::bad_port:
            return "bad_port";
        case reason_code::dot_segment:
            return "dot_segment";
        case reason_code::empty_segment:
            return "empty_segment";
        case reason_code::encoded_separator:
            return "encoded_separator";
        case reason_code::query_not_allowed:
            return "query_not_allowed";
        case reason_code::fragment_not_allowed:
            return "fragment_not_allowed";
        case reason_code::store_root:
            return "store_root";
        case reason_code::unknown_scheme:
            return "unknown_scheme";
        case reason_code::no_prefix:
            return "no_prefix";
        case reason_code::ambiguous:
            return "ambiguous";
        case reason_code::cinder_legacy:
            return "cinder_legacy";
        case reason_code::user_mismatch:
            return "user_mismatch";
    }
    return "unknown";
}

std::string_view to_string(resolve_status s) noexcept {
    switch (s) {
        case resolve_status::matched:
            return "matched";
        case resolve_status::no_store:
            return "no_store";
        case resolve_status::invalid:
            return "invalid";
    }
    return "unknown";
}

struct location_resolver::impl {
    std::shared_ptr<const store_registry> registry;
    resolver_options options;
    detail::prefix_index index;
    detail::scheme_mask declared = 0;
    std::vector<std::uint32_t> http_stores;  // resolvable http stores, registration order
    // Per store: 1 when the swift user rule applies (a swift store with a required user). A
    // byte array, so that a URL with credentials need not read its owner's store object.
    std::vector<std::uint8_t> user_rule;

    impl(std::shared_ptr<const store_registry> r, const resolver_options& o)
        : registry(std::move(r)), options(o) {
        const auto stores = registry->stores();
        std::vector<detail::prefix_entry> entries;
        user_rule.assign(stores.size(), 0);
        for (std::size_t i = 0; i < stores.size(); ++i) {
            const store& s = stores[i];
            for (const std::string& scheme : s.schemes()) {
                detail::known_scheme k;
                if (detail::find_scheme(scheme, k)) declared |= detail::bit(k);
            }
            if (s.status() != store_status::ok) continue;  // never matched
            if (s.type() == store_type::http) http_stores.push_back(static_cast<std::uint32_t>(i));
            user_rule[i] = s.type() == store_type::swift && !s.required_user().empty() ? 1 : 0;
            for (const std::string& prefix : s.url_prefixes()) {
                const std::size_t sep = prefix.find("://");
                detail::known_scheme k;
                if (sep == std::string::npos || !detail::find_scheme(prefix.substr(0, sep), k)) {
                    continue;  // the registry only hands out canonical prefixes
                }
                entries.push_back({detail::family_of(k), std::string_view(prefix).substr(sep + 3),
                                   static_cast<std::uint32_t>(i)});
            }
        }
        index = detail::prefix_index(entries);
    }

    const store& at(std::uint32_t i) const { return registry->stores()[i]; }

    // Everything after canonicalisation: the rules of semantics section 3 that need the index.
    verdict decide(const detail::canonical_url& c) const {
        if (c.family == detail::scheme_family_id::http) {
            // http stores have no prefix: a single one claims both schemes at the lowest
            // priority (no other type has http prefixes, so nothing else can match).
            if (http_stores.size() == 1) {
                return {resolve_status::matched, reason_code::none, http_stores.front()};
            }
            return {resolve_status::no_store,
                    http_stores.empty() ? reason_code::no_prefix : reason_code::ambiguous};
        }
        const std::string_view key = c.key_tail();
        const detail::prefix_match m = key.size() <= detail::canonical_url::max_bits_key
                                           ? index.longest(c.family, key, c.boundary_bits)
                                           : index.longest(c.family, key, !c.trailing_slash);
        if (c.trailing_slash) {
            // A trailing '/' is an empty last segment; the one useful thing to say about it is
            // that the URL names a store's root.
            return {resolve_status::invalid, m && m.length >= key.size()
                                                 ? reason_code::store_root
                                                 : reason_code::empty_segment};
        }
        if (!m) {
            if (c.family == detail::scheme_family_id::cinder && c.path == c.path_end &&
                lower_uuid(key)) {
                return {resolve_status::no_store, reason_code::cinder_legacy};
            }
            return {resolve_status::no_store, reason_code::no_prefix};
        }
        if (m.length > key.size()) return {resolve_status::invalid, reason_code::store_root};

        std::uint32_t owner = m.owners.front();
        if (m.owners.size() > 1) {
            // Only vmware stores share a prefix (the registry refuses anything else): the
            // dsName query value tells them apart by their disjoint datastores.
            owner = no_owner;
            const std::string_view ds = ds_name(c.query);
            for (std::uint32_t candidate : m.owners) {
                const store& s = at(candidate);
                const bool has = !ds.empty() && s.type() == store_type::vmware &&
                                 std::any_of(s.datastores().begin(), s.datastores().end(),
                                             [&](const std::string& name) {
                                                 return decoded_equals(ds, name, true);
                                             });
                if (!has) continue;
                if (owner != no_owner) return {resolve_status::no_store, reason_code::ambiguous};
                owner = candidate;
            }
            if (owner == no_owner) return {resolve_status::no_store, reason_code::ambiguous};
        }
        if (c.has_credentials && user_rule[owner] != 0 &&
            !swift_user_is(c.userinfo, at(owner).required_user())) {
            return {resolve_status::no_store, reason_code::user_mismatch};
        }
        return {resolve_status::matched, reason_code::none, owner};
    }

    resolution resolve(std::string_view url, std::string& scratch) const {
        detail::canonical_url c;
        resolution out;
        const reason_code r =
            detail::canonicalize(url, scratch, c, options.max_url_bytes, declared);
        if (r != reason_code::none) {
            out.status = r == reason_code::unknown_scheme ? resolve_status::no_store
                                                          : resolve_status::invalid;
            out.reason = r;
            return out;
        }
        const verdict v = decide(c);
        out.status = v.status;
        out.reason = v.reason;
        out.has_credentials = c.has_credentials;
        if (v.status != resolve_status::invalid) out.canonical_url = c.canonical;
        if (v.owner != no_owner) out.owner = &at(v.owner);
        return out;
    }
};

namespace {

// A null registry is a load that failed and was not checked: say so instead of crashing.
std::shared_ptr<const store_registry> registry_or_throw(
    std::shared_ptr<const store_registry> registry) {
    if (registry == nullptr) {
        throw std::invalid_argument(
            "imgstore::location_resolver: null registry (the load failed: check "
            "load_result::ok() and its diagnostics)");
    }
    return registry;
}

}  // namespace

location_resolver::location_resolver(std::shared_ptr<const store_registry> registry,
                                     const resolver_options& options)
    : impl_(std::make_unique<impl>(registry_or_throw(std::move(registry)), options)) {}

location_resolver::~location_resolver() = default;
location_resolver::location_resolver(location_resolver&&) noexcept = default;
location_resolver& location_resolver::operator=(location_resolver&&) noexcept = default;

resolution location_resolver::resolve(std::string_view url, std::string& scratch) const {
    return impl_->resolve(url, scratch);
}

resolution location_resolver::resolve(std::string_view url) const {
    thread_local std::string scratch;
    return impl_->resolve(url, scratch);
}

explanation location_resolver::explain(std::string_view url) const {
    explanation out;
    std::string scratch;
    const resolution r = impl_->resolve(url, scratch);
    out.status = r.status;
    out.reason = r.reason;
    if (r.owner != nullptr) out.store_id = std::string(r.owner->id());

    detail::canonical_url c;
    if (detail::canonicalize(url, scratch, c, impl_->options.max_url_bytes, impl_->declared) !=
        reason_code::none) {
        return out;
    }
    out.canonical_url = std::string(c.canonical);
    const std::string family(detail::family_name(c.family));
    out.match_key = family + "://" + std::string(c.key_tail());
    if (c.family == detail::scheme_family_id::http) {
        for (std::uint32_t i : impl_->http_stores) {
            out.hits.push_back(std::string(impl_->at(i).id()) +
                               " (an http store claims every http and https URL)");
        }
        return out;
    }
    const std::string_view key = c.key_tail();
    for (const detail::prefix_probe& p : impl_->index.probe_all(c.family, key, !c.trailing_slash)) {
        if (!p.probed) continue;
        std::string candidate = family + "://" + std::string(key.substr(0, p.length));
        if (p.length > key.size()) candidate += '/';
        for (std::uint32_t i : p.owners) {
            out.hits.push_back(std::string(impl_->at(i).id()) + " " + candidate);
        }
        out.considered.push_back(std::move(candidate));
    }
    return out;
}

const store_registry& location_resolver::registry() const noexcept { return *impl_->registry; }

const std::shared_ptr<const store_registry>& location_resolver::registry_ptr() const noexcept {
    return impl_->registry;
}

std::size_t location_resolver::index_bytes() const noexcept {
    return sizeof(impl) + impl_->index.bytes() +
           impl_->http_stores.capacity() * sizeof(std::uint32_t) + impl_->user_rule.capacity();
}

}  // namespace imgstore
