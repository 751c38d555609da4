// Location classes: parse/format round trips for every store type through
// store::parse_location, store::format_location, uri_with_credentials and redacted_uri, over the
// upstream vectors (tests/data/location_vectors.tsv), and the redaction of every printable form.
#include "imgstore/location.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "imgstore/config.hpp"
#include "imgstore/registry.hpp"
#include "imgstore/resolver.hpp"
#include "imgstore/secret.hpp"
#include "imgstore/store.hpp"
#include "test_util.hpp"
#include "tsv_table.hpp"

namespace imgstore {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// One store per location class; swcfg reads tests/data/config/refs/glance-swift.conf.
std::shared_ptr<const store_registry> registry() {
    static const std::shared_ptr<const store_registry> reg = [] {
        const std::string text = R"([DEFAULT]
enabled_backends = fs:file, web:http, ceph:rbd, s3:s3, sw:swift, swcfg:swift, cinder1:cinder, vm:vmware
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = /var/lib/glance/images
[ceph]
rbd_store_fsid = e2e6f4a0-1111-2222-3333-444455556666
[s3]
s3_store_host = https://s3.example.com
s3_store_access_key = AKIA
s3_store_secret_key = s3-secret
s3_store_bucket = glance
[sw]
swift_store_auth_address = https://keystone.example.com/v3
swift_store_user = svc:glance
swift_store_key = swift-inline-key
[swcfg]
swift_store_config_file = )" + test::data_dir +
                                 R"(/config/refs/glance-swift.conf
swift_store_container = other
[vm]
vmware_server_host = 127.0.0.1
vmware_server_username = admin
vmware_server_password = vm-secret
)";
        config_load parsed = parse_config(text);
        EXPECT_TRUE(parsed.ok()) << test::join(parsed.diagnostics);
        registry_options o;
        o.reserved_stores = false;
        load_result r = store_registry::build(parsed.config, o);
        EXPECT_TRUE(r.ok()) << test::join(r.diagnostics);
        return r.registry;
    }();
    return reg;
}

const store& store_named(std::string_view id) {
    const store* s = registry()->find(id);
    if (!s) throw std::runtime_error("no store " + std::string(id));
    return *s;
}

std::string opt(const std::optional<std::string>& v) { return v ? *v : "<none>"; }
std::string opt(const std::optional<secret>& v) { return v ? std::string(v->reveal()) : "<none>"; }

// Every component of a location by its upstream attribute name (secrets revealed: the test
// compares them, it never prints them through a printable form).
std::map<std::string, std::string> components(const location& loc) {
    return std::visit(
        [](const auto& l) -> std::map<std::string, std::string> {
            using T = std::decay_t<decltype(l)>;
            if constexpr (std::is_same_v<T, file_location>) {
                return {{"scheme", l.scheme}, {"path", l.path}};
            } else if constexpr (std::is_same_v<T, http_location>) {
                return {{"scheme", l.scheme}, {"user", opt(l.user)}, {"password", opt(l.password)},
                        {"netloc", l.netloc}, {"path", l.path},      {"query", l.query}};
            } else if constexpr (std::is_same_v<T, rbd_location>) {
                return {{"fsid", opt(l.fsid)},
                        {"pool", opt(l.pool)},
                        {"image", l.image},
                        {"snapshot", opt(l.snapshot)}};
            } else if constexpr (std::is_same_v<T, s3_location>) {
                return {{"scheme", l.scheme},
                        {"access_key", opt(l.access_key)},
                        {"secret_key", opt(l.secret_key)},
                        {"service_url", l.service_url},
                        {"bucket", l.bucket},
                        {"key", l.key}};
            } else if constexpr (std::is_same_v<T, swift_location>) {
                return {{"scheme", l.scheme},
                        {"user", opt(l.user)},
                        {"key", opt(l.key)},
                        {"auth_or_store_url", l.auth_or_store_url},
                        {"container", l.container},
                        {"object", l.object},
                        {"reference", opt(l.reference)}};
            } else if constexpr (std::is_same_v<T, cinder_location>) {
                return {{"store", opt(l.store)}, {"volume_id", l.volume_id}};
            } else {
                return {{"host", l.host},
                        {"path", l.path},
                        {"datastore_name", opt(l.datastore_name)},
                        {"datacenter_path", opt(l.datacenter_path)},
                        {"query", l.query}};
            }
        },
        loc);
}

// ---------------------------------------------------------------------------------------------
// The table.

struct location_case {
    std::string vector;
    std::string store;
    std::string input;
    std::string outcome;
    std::string formatted;
    std::string redacted;
    std::string redact_url;
    std::string secret;
    std::string components;
    std::string name;
};

void PrintTo(const location_case& c, std::ostream* os) { *os << c.vector << " on " << c.store; }

std::vector<location_case> location_cases() {
    std::vector<location_case> out;
    for (const auto& row : test::read_tsv(test::data_dir + "/location_vectors.tsv", 9)) {
        location_case c;
        c.vector = row.field(0);
        c.store = row.field(1);
        c.input = row.field(2);
        c.outcome = row.field(3);
        auto same_as_input = [&](std::string v) { return v == "=" ? c.input : v; };
        c.formatted = same_as_input(row.field(4));
        c.redacted = same_as_input(row.field(5));
        c.redact_url = same_as_input(row.field(6));
        c.secret = row.field(7);
        c.components = row.field(8);
        c.name = test::row_name(c.vector, row.line);
        out.push_back(std::move(c));
    }
    return out;
}

class LocationVectors : public ::testing::TestWithParam<location_case> {};

TEST_P(LocationVectors, ParseFormatAndRedactAsTheTableSays) {
    const location_case& c = GetParam();
    const store& s = store_named(c.store);
    EXPECT_EQ(redact_url(c.input), c.redact_url);
    if (!c.secret.empty()) {
        EXPECT_THAT(redact_url(c.input), Not(HasSubstr(c.secret)));
    }

    result<location> parsed = s.parse_location(c.input);
    if (c.outcome != "ok") {
        ASSERT_FALSE(parsed) << "parsed to " << redacted_uri(*parsed);
        const errc want = c.outcome == "unknown_scheme" ? errc::unknown_scheme : errc::bad_uri;
        EXPECT_EQ(parsed.error(), make_error_code(want));
        if (!c.secret.empty()) {
            EXPECT_THAT(parsed.error().message(), Not(HasSubstr(c.secret)));
        }
        EXPECT_THAT(parsed.error().message(), Not(HasSubstr(c.input)));
        return;
    }
    ASSERT_TRUE(parsed) << parsed.error().message();
    const location& loc = *parsed;

    // Components.
    const auto have = components(loc);
    std::size_t start = 0;
    while (start < c.components.size()) {
        const std::size_t bar = std::min(c.components.find('|', start), c.components.size());
        const std::string pair = c.components.substr(start, bar - start);
        start = bar + 1;
        const std::size_t eq = pair.find('=');
        ASSERT_NE(eq, std::string::npos) << pair;
        const std::string field = pair.substr(0, eq);
        ASSERT_TRUE(have.contains(field)) << "no component " << field;
        EXPECT_EQ(have.at(field), pair.substr(eq + 1)) << field;
    }

    // Formatting, with and without credentials.
    EXPECT_EQ(uri_with_credentials(loc), c.formatted);
    result<std::string> via_store = s.format_location(loc);
    ASSERT_TRUE(via_store);
    EXPECT_EQ(*via_store, c.formatted);
    EXPECT_EQ(redacted_uri(loc), c.redacted);
    if (!c.secret.empty()) {
        EXPECT_THAT(redacted_uri(loc), Not(HasSubstr(c.secret)));
    }
    EXPECT_EQ(redact_url(c.formatted), c.redacted) << "redact_url and redacted_uri disagree";

    // Round trip: the formatted URL parses to a location that formats to itself.
    result<location> again = s.parse_location(c.formatted);
    ASSERT_TRUE(again) << "formatted form does not parse";
    EXPECT_EQ(uri_with_credentials(*again), c.formatted);
    if (c.formatted == c.input) {
        EXPECT_EQ(*again, loc);
    }
}

INSTANTIATE_TEST_SUITE_P(Table,
                         LocationVectors,
                         ::testing::ValuesIn(location_cases()),
                         [](const auto& row) { return row.param.name; });

TEST(LocationVectorsTable, CoversEveryStoreTypeWithValidAndMalformedInputs) {
    std::map<std::string, std::pair<int, int>> per_store;  // ok rows, malformed rows
    std::vector<std::string> vectors;
    for (const auto& c : location_cases()) {
        auto& [ok, bad] = per_store[c.store];
        (c.outcome == "ok" ? ok : bad) += 1;
        vectors.push_back(c.vector);
    }
    for (const char* id : {"fs", "web", "ceph", "s3", "sw", "swcfg", "cinder1", "vm"}) {
        EXPECT_GE(per_store[id].first, 1) << id;
        EXPECT_GE(per_store[id].second, 1) << id;
    }
    for (int x = 1; x <= 40; ++x) {
        const std::string v = "X" + std::to_string(x);
        EXPECT_TRUE(std::any_of(vectors.begin(), vectors.end(), [&](const std::string& have) {
            return have == v || have.starts_with(v + "-");
        })) << v;
    }
}

// One set of rules: over this table too, a parser accepts a URL only if the resolver (over
// the same registry) does not call it invalid.
TEST(LocationVectorsTable, ParsersAcceptOnlyWhatTheResolverDoesNotCallInvalid) {
    const location_resolver resolver(registry());
    std::size_t accepted = 0, refused = 0;
    for (const auto& c : location_cases()) {
        const resolution r = resolver.resolve(c.input);
        for (const store& s : registry()->stores()) {
            const result<location> parsed = s.parse_location(c.input);
            if (!parsed) {
                refused += r.status == resolve_status::invalid ? 1 : 0;
                continue;
            }
            ++accepted;
            EXPECT_NE(r.status, resolve_status::invalid)
                << s.id() << " parses " << c.vector << ", which is " << to_string(r.reason);
        }
    }
    EXPECT_GT(accepted, 40u);
    EXPECT_GT(refused, 20u);
}

// ---------------------------------------------------------------------------------------------
// Locations made in code (upstream builds them from specs).

TEST(LocationClasses, FormatLocationsBuiltFromSpecsAsUpstreamGetUri) {
    // U5: specs {volume_id} under backend cinder1; U9: without a backend.
    const std::string v = "db457a25-8f16-4b2c-a644-eae8d17fe224";
    EXPECT_EQ(uri_with_credentials(cinder_location{"cinder1", v}), "cinder://cinder1/" + v);
    EXPECT_EQ(uri_with_credentials(cinder_location{std::nullopt, v}), "cinder://" + v);
    // U42: an rbd location without fsid renders the legacy one-part form.
    rbd_location rbd;
    rbd.pool = "fake_pool";
    rbd.image = "fake_image";
    rbd.snapshot = "fake_snapshot";
    EXPECT_EQ(uri_with_credentials(rbd), "rbd://fake_image");
    // X14: the 4-part form quotes every part with nothing safe.
    rbd.fsid = "fs/id";
    rbd.pool = "po ol";
    EXPECT_EQ(uri_with_credentials(rbd), "rbd://fs%2Fid/po%20ol/fake_image/fake_snapshot");
    // U40: the vsphere form the driver writes.
    vsphere_location vs{"127.0.0.1", "/folder/openstack_glance/ID", "b", "a", "dcPath=a&dsName=b"};
    EXPECT_EQ(uri_with_credentials(vs),
              "vsphere://127.0.0.1/folder/openstack_glance/ID?dcPath=a&dsName=b");
    // U36/U37: s3 locations as the driver writes them.
    s3_location s3{"s3+https", "user", secret("key"), "s3-region1.com", "glance", "ID"};
    EXPECT_EQ(uri_with_credentials(s3), "s3+https://user:key@s3-region1.com/glance/ID");
    EXPECT_EQ(redacted_uri(s3), "s3+https://***@s3-region1.com/glance/ID");
    // U25: swift user and key are quoted as Python's quote() does ('/' kept).
    swift_location sw;
    sw.scheme = "swift+https";
    sw.user = "tenant:user1";
    sw.key = secret("p@ss/w:rd");
    sw.auth_or_store_url = "localhost:8080";
    sw.container = "glance";
    sw.object = "ID";
    EXPECT_EQ(uri_with_credentials(sw),
              "swift+https://tenant%3Auser1:p%40ss/w%3Ard@localhost:8080/glance/ID");
    EXPECT_EQ(redacted_uri(sw), "swift+https://***@localhost:8080/glance/ID");
    http_location web{"https", "u", secret("pw"), "example.com", "/x", "a=1"};
    EXPECT_EQ(uri_with_credentials(web), "https://u:pw@example.com/x?a=1");
    EXPECT_EQ(redacted_uri(web), "https://***@example.com/x?a=1");
    file_location fs{"filesystem", "/srv/x"};
    EXPECT_EQ(uri_with_credentials(fs), "file:///srv/x");
}

TEST(LocationClasses, SwiftConfigLocationKeepsItsReferenceWhereUpstreamExpandsCredentialsX35) {
    // Upstream X35: parsing swift+config://ref1/glance/IMG then get_uri() gives
    // swift+https://tenant%3Auser1:key1@example.com/glance/IMG, the key in clear.
    result<location> loc = store_named("swcfg").parse_location("swift+config://ref1/glance/IMG");
    ASSERT_TRUE(loc);
    EXPECT_EQ(uri_with_credentials(*loc), "swift+config://ref1/glance/IMG");
    EXPECT_EQ(redacted_uri(*loc), "swift+config://ref1/glance/IMG");
    const auto& sw = std::get<swift_location>(*loc);
    ASSERT_TRUE(sw.key);
    EXPECT_EQ(sw.key->reveal(), "key1");  // the credentials are there for the service to use
}

TEST(LocationClasses, S3SecretWithTwoAtSignsParsesWhereUpstreamRaisesValueErrorX24) {
    // Upstream X24: `s3://a@b:c@host/b/k` raises an uncaught ValueError; the last '@' ends the
    // userinfo here, as glance's own S3 credential migration reads it (G10).
    result<location> loc = store_named("s3").parse_location("s3://a@b:c@host/b/k");
    ASSERT_TRUE(loc);
    const auto& s3 = std::get<s3_location>(*loc);
    EXPECT_EQ(s3.access_key, "a@b");
    EXPECT_EQ(s3.service_url, "host");
}

TEST(LocationClasses, SwiftTrailingSlashIsMalformedWhereUpstreamReadsAnEmptyObjectX40) {
    EXPECT_EQ(store_named("sw").parse_location("swift://user:key@authurl.com/v1/c/o/").error(),
              make_error_code(errc::bad_uri));
}

TEST(LocationClasses, EveryMalformedInputIsBadUriWhereUpstreamSometimesRaisesValueErrorX30) {
    // Upstream raises raw ValueError for X24 (s3, two '@') and X30 (vsphere without query).
    EXPECT_EQ(store_named("vm").parse_location("vsphere://host/folder/x").error(),
              make_error_code(errc::bad_uri));
    for (const char* junk : {"", "://", "vsphere://", "rbd:///", "cinder://", "s3://", "s3://@",
                             "swift+config://", "http://", "file://?#"}) {
        for (const store& s : registry()->stores()) {
            result<location> r = s.parse_location(junk);
            if (r) ADD_FAILURE() << s.id() << " parsed '" << junk << "' to " << redacted_uri(*r);
        }
    }
}

TEST(LocationClasses, CinderLegacyLocationsParseOnAnyCinderStore) {
    // Upstream: a legacy cinder://<uuid> re-renders under the parsing backend; we keep what the
    // URL says (no store), so that the resolver can route it through the volume-type lookup.
    result<location> loc =
        store_named("cinder1").parse_location("cinder://db457a25-8f16-4b2c-a644-eae8d17fe224");
    ASSERT_TRUE(loc);
    EXPECT_EQ(std::get<cinder_location>(*loc).store, std::nullopt);
}

TEST(LocationClasses, SchemesAreMatchedCaseInsensitivelyButParsedStrictlyAsUpstreamX6) {
    // The store knows the scheme (any case), but its location class wants it as written by
    // glance_store (validate_schemas is case-sensitive).
    EXPECT_EQ(store_named("fs").parse_location("FILE:///x").error(),
              make_error_code(errc::bad_uri));
    EXPECT_EQ(store_named("fs").parse_location("HTTP://x/y").error(),
              make_error_code(errc::unknown_scheme));
}

TEST(LocationClasses, FormatLocationRefusesALocationOfAnotherStoreType) {
    const location other = file_location{"file", "/x"};
    for (const store& s : registry()->stores()) {
        result<std::string> r = s.format_location(other);
        if (s.type() == store_type::file) {
            ASSERT_TRUE(r);
            EXPECT_EQ(*r, "file:///x");
        } else {
            EXPECT_EQ(r.error(), make_error_code(errc::bad_uri)) << s.id();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Redaction of printable forms.

TEST(Redaction, SecretPrintsAsStars) {
    const secret s("hunter2");
    std::ostringstream os;
    os << s;
    EXPECT_EQ(os.str(), "***");
    EXPECT_EQ(to_string(s), "***");
    EXPECT_EQ(s.reveal(), "hunter2");
    EXPECT_FALSE(s.empty());
    EXPECT_TRUE(secret().empty());
}

TEST(Redaction, RedactUrlIsTotalAndRemovesEveryUserinfo) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"", ""},
        {"no scheme at all", "no scheme at all"},
        {"http://h/p@x", "http://h/p@x"},  // '@' in the path is not userinfo
        {"http://u:pw@h/p@x", "http://***@h/p@x"},
        {"https://u:pw@h?q=a@b", "https://***@h?q=a@b"},
        {"s3://host/b/k?x=a@b", "s3://host/b/k?x=a@b"},       // '@' in the query
        {"S3+HTTPS://ak:s/k@h/b/k", "S3+HTTPS://***@h/b/k"},  // s3 rule, any case
        {"s3://ak:a@b/c@h/b/k#x@y", "s3://***@h/b/k#x@y"},
        {"swift://a:b@c@h/c/o", "swift://***@h/c/o"},  // the last '@' of the authority
        {"http://@h/x", "http://***@h/x"},
        {"rbd://fsid/pool/img/snap", "rbd://fsid/pool/img/snap"},
        // Mistyped URLs (as a command line may hold them) still lose their userinfo.
        {"http:/u:pw@h/x", "http:***@h/x"},
        {"http:u:pw@h/x", "http:***@h/x"},
        {"u:pw@h/x", "u:***@h/x"},  // read as scheme "u": the password still goes
        {"s3:ak:s/k@h/b/k", "s3:***@h/b/k"},
        {"/var/lib/glance/a@b", "***@b"},  // no scheme: hiding too much beats too little
    };
    for (const auto& [in, out] : cases) EXPECT_EQ(redact_url(in), out) << in;
}

TEST(Redaction, NoPrintableFormOfAParsedLocationHoldsItsSecret) {
    const std::string secret_text = "S3NT1N3L";
    const std::pair<const char*, std::string> inputs[] = {
        {"s3", "s3+https://AKIA:" + secret_text + "@s3.example.com/glance/IMG"},
        {"s3", "s3://AKIA:a/" + secret_text + "@s3.example.com/glance/IMG"},
        {"s3", "s3://AKIA:a@" + secret_text + "@s3.example.com/glance/IMG"},
        {"sw", "swift+https://svc%3Aglance:" + secret_text + "@keystone.example.com/v3/c/o"},
        {"sw", "swift://svc:" + secret_text + "%40x@keystone.example.com/c/o"},
        {"web", "https://user:" + secret_text + "@example.com/x?y=1"},
    };
    for (const auto& [id, url] : inputs) {
        result<location> loc = store_named(id).parse_location(url);
        ASSERT_TRUE(loc) << id << " " << redact_url(url);
        EXPECT_THAT(redacted_uri(*loc), Not(HasSubstr(secret_text)));
        EXPECT_THAT(redact_url(url), Not(HasSubstr(secret_text)));
        EXPECT_THAT(redact_url(uri_with_credentials(*loc)), Not(HasSubstr(secret_text)));
        EXPECT_THAT(uri_with_credentials(*loc), HasSubstr(secret_text));  // only for the service
    }
}

}  // namespace
}  // namespace imgstore
