// The seven drivers: their URL prefixes for the upstream vectors we keep (table
// tests/data/prefix_vectors.tsv), and one named test for each place we deliberately differ from
// upstream glance_store (each test names the upstream behaviour it replaces).
#include "drivers/driver.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "imgstore/config.hpp"
#include "imgstore/registry.hpp"
#include "imgstore/resolver.hpp"
#include "imgstore/store.hpp"
#include "test_util.hpp"
#include "tsv_table.hpp"

namespace imgstore {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string refs_dir = test::data_dir + "/config/refs";

using option_list = std::vector<std::pair<std::string, std::string>>;

// A registry holding exactly one store `id` of `type` (no reserved stores) with `options` in
// its section, built from config made in code.
load_result build_one(std::string_view type, std::string_view id, const option_list& options) {
    glance_config c;
    c.add("DEFAULT", "enabled_backends", std::string(id) + ":" + std::string(type));
    c.add("glance_store", "default_backend", id);
    c.add_section(id);
    for (const auto& [k, v] : options) c.add(id, k, v);
    registry_options ro;
    ro.reserved_stores = false;
    return store_registry::build(c, ro);
}

// A registry from config text (reserved stores included).
std::shared_ptr<const store_registry> build_text(std::string_view text) {
    config_load parsed = parse_config(text, "glance-api.conf");
    EXPECT_TRUE(parsed.ok()) << test::join(parsed.diagnostics);
    load_result r = store_registry::build(parsed.config);
    EXPECT_TRUE(r.ok()) << test::join(r.diagnostics);
    return r.registry;
}

std::vector<std::string> prefixes_of(const store& s) {
    return {s.url_prefixes().begin(), s.url_prefixes().end()};
}

// The id of the store owning `url`, or "<reason>" when it is not matched.
std::string owner_of(const location_resolver& resolver, std::string_view url) {
    resolution r = resolver.resolve(url);
    if (r.status == resolve_status::matched) return std::string(r.owner->id());
    return "<" + std::string(to_string(r.reason)) + ">";
}

// ---------------------------------------------------------------------------------------------
// The table.

struct prefix_case {
    std::string vector;
    std::string type;
    std::string id;
    std::string outcome;
    std::string expected;
    option_list options;
    std::string name;
};

void PrintTo(const prefix_case& c, std::ostream* os) { *os << c.vector << " (" << c.type << ")"; }

std::vector<prefix_case> prefix_cases() {
    std::vector<prefix_case> out;
    for (const auto& row : test::read_tsv(test::data_dir + "/prefix_vectors.tsv", 5)) {
        prefix_case c;
        c.vector = row.field(0);
        c.type = row.field(1);
        c.id = row.field(2);
        c.outcome = row.field(3);
        c.expected = row.field(4);
        for (std::size_t i = 5; i < row.fields.size(); ++i) {
            std::string opt = row.fields[i];
            for (auto p = opt.find("@REFS@"); p != std::string::npos; p = opt.find("@REFS@")) {
                opt.replace(p, 6, refs_dir);
            }
            const std::size_t eq = opt.find('=');
            if (eq == std::string::npos) throw std::runtime_error("option without '=': " + opt);
            c.options.emplace_back(opt.substr(0, eq), opt.substr(eq + 1));
        }
        c.name = test::row_name(c.vector, row.line);
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        const std::size_t sp = std::min(s.find(' ', i), s.size());
        if (sp > i) out.emplace_back(s.substr(i, sp - i));
        i = sp + 1;
    }
    return out;
}

class PrefixVectors : public ::testing::TestWithParam<prefix_case> {};

TEST_P(PrefixVectors, GiveTheCanonicalPrefixStatusOrError) {
    const prefix_case& c = GetParam();
    const auto type = parse_store_type(c.type);
    ASSERT_TRUE(type) << c.type;
    load_result r = build_one(c.type, c.id, c.options);
    if (c.outcome == "error") {
        EXPECT_FALSE(r.ok());
        const std::size_t bar = c.expected.find('|');
        ASSERT_NE(bar, std::string::npos) << "expected <key>|<message>";
        std::string key = c.expected.substr(0, bar);
        if (key == "-") key.clear();
        const std::string message = c.expected.substr(bar + 1);
        EXPECT_TRUE(std::any_of(r.diagnostics.begin(), r.diagnostics.end(),
                                [&](const auto& d) {
                                    return d.level == severity::error && d.key == key &&
                                           d.message.find(message) != std::string::npos;
                                }))
            << "want key '" << key << "': " << message << "\ngot:\n"
            << test::join(r.diagnostics);
        return;
    }
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    const store* s = r.registry->find(c.id);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->type(), *type);
    if (c.outcome == "unresolvable") {
        EXPECT_EQ(s->status(), store_status::unresolvable);
        EXPECT_THAT(s->reason(), HasSubstr(c.expected));
        EXPECT_THAT(s->url_prefixes(), IsEmpty());
        return;
    }
    ASSERT_EQ(c.outcome, "ok");
    EXPECT_EQ(s->status(), store_status::ok) << s->reason();
    EXPECT_TRUE(s->reason().empty());
    EXPECT_EQ(prefixes_of(*s), split_words(c.expected));
    for (const auto& p : s->url_prefixes()) {
        EXPECT_TRUE(p.ends_with('/')) << p;
        EXPECT_EQ(p.find('@'), std::string::npos) << "credentials in " << p;
    }
}

INSTANTIATE_TEST_SUITE_P(Table,
                         PrefixVectors,
                         ::testing::ValuesIn(prefix_cases()),
                         [](const auto& row) { return row.param.name; });

// The scheme table and the drivers agree: each scheme of the table is declared by exactly one
// driver (a driver cannot declare one outside it: ctest driver_scheme_table), and a family's
// schemes all belong to the driver that driver_for(family) names.
TEST(SchemeTable, EverySchemeBelongsToExactlyOneDriver) {
    for (const detail::scheme_row& row : detail::scheme_rows) {
        std::vector<std::string_view> owners;
        for (store_type t : all_store_types()) {
            if (detail::driver_for(t).schemes.mask() & detail::bit(row.id)) {
                owners.push_back(to_string(t));
            }
        }
        EXPECT_EQ(owners.size(), 1u) << row.name;
        EXPECT_EQ(detail::driver_for(row.family).schemes.mask() & detail::bit(row.id),
                  detail::bit(row.id))
            << row.name << " is not declared by the driver of its family "
            << detail::family_name(row.family);
    }
}

TEST(SchemeTable, DriversListTheirSchemesOnceEachAndTheNamesAreTheTables) {
    for (store_type t : all_store_types()) {
        const detail::scheme_list& schemes = detail::driver_for(t).schemes;
        detail::scheme_mask seen = 0;
        for (std::string_view name : schemes.names()) {
            const detail::scheme_row* row = detail::scheme_row_named(name);
            ASSERT_NE(row, nullptr) << name;
            EXPECT_EQ(seen & detail::bit(row->id), 0u) << name << " listed twice";
            seen |= detail::bit(row->id);
            detail::known_scheme found;
            EXPECT_TRUE(detail::find_scheme(name, found) && found == row->id) << name;
        }
        EXPECT_EQ(seen, schemes.mask()) << to_string(t);
    }
}

TEST(PrefixVectorsTable, CoversTheUpstreamVectorsWeKeep) {
    std::vector<std::string> vectors;
    for (const auto& c : prefix_cases()) vectors.push_back(c.vector);
    for (const char* v : {"P1",  "P2",  "P3",  "P4",  "P5",  "P6",  "R1",  "R2",  "R3",  "R4",
                          "R5",  "R6",  "R7",  "R8",  "R9",  "R10", "R12", "R13", "R14", "R15",
                          "R16", "R19", "R20", "R21", "R22", "R23", "R24", "R25", "R26", "R27",
                          "R28", "R29", "R30", "R32", "R33", "R34", "R35", "R36", "R37", "R38"}) {
        EXPECT_NE(std::find(vectors.begin(), vectors.end(), v), vectors.end()) << v;
    }
}

// ---------------------------------------------------------------------------------------------
// What every driver declares.

TEST(Drivers, DeclareUpstreamSchemesInGetSchemesOrderAndTheirLocationClass) {
    auto reg = build_text(R"([DEFAULT]
enabled_backends = f:file, h:http, r:rbd, s:s3, w:swift, c:cinder, v:vmware
[glance_store]
default_backend = f
[r]
rbd_store_fsid = e2e6f4a0-1111-2222-3333-444455556666
[s]
s3_store_host = h
s3_store_access_key = a
s3_store_secret_key = b
s3_store_bucket = c
[w]
swift_store_auth_address = https://ks/v3
swift_store_user = u
swift_store_key = k
[v]
vmware_server_host = h
vmware_server_username = u
vmware_server_password = p
)");
    ASSERT_NE(reg, nullptr);
    auto schemes = [&](std::string_view id) {
        const store* s = reg->find(id);
        return std::vector<std::string>(s->schemes().begin(), s->schemes().end());
    };
    EXPECT_THAT(schemes("f"), ElementsAre("file", "filesystem"));
    EXPECT_THAT(schemes("h"), ElementsAre("http", "https"));
    EXPECT_THAT(schemes("r"), ElementsAre("rbd"));
    EXPECT_THAT(schemes("s"), ElementsAre("s3", "s3+http", "s3+https"));
    EXPECT_THAT(schemes("w"), ElementsAre("swift+https", "swift", "swift+http", "swift+config"));
    EXPECT_THAT(schemes("c"), ElementsAre("cinder"));
    EXPECT_THAT(schemes("v"), ElementsAre("vsphere"));
    const std::pair<const char*, const char*> classes[] = {
        {"f", "imgstore::file_location"},   {"h", "imgstore::http_location"},
        {"r", "imgstore::rbd_location"},    {"s", "imgstore::s3_location"},
        {"w", "imgstore::swift_location"},  {"c", "imgstore::cinder_location"},
        {"v", "imgstore::vsphere_location"}};
    for (const auto& [id, cls] : classes) EXPECT_EQ(reg->find(id)->location_class(), cls) << id;
    // The type name round-trips, and only the seven upstream names are types.
    for (store_type t : all_store_types()) EXPECT_EQ(parse_store_type(to_string(t)), t);
    EXPECT_EQ(parse_store_type("sheepdog"), std::nullopt);
    EXPECT_EQ(parse_store_type("File"), std::nullopt);
    EXPECT_EQ(parse_store_type("glance.store.filesystem.Store"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// file

TEST(FileDriver, PrefixEndsAtSegmentBoundaryUnlikeUpstreamFileSlashSlashSlashX) {
    // Upstream P1/L2: prefix `file:///srv/images` (no '/') also owns `/srv/images2/...`.
    auto reg = build_text(R"([DEFAULT]
enabled_backends = fast:file, fast2:file
[glance_store]
default_backend = fast
[fast]
filesystem_store_datadir = /srv/images
[fast2]
filesystem_store_datadir = /srv/images2
)");
    ASSERT_NE(reg, nullptr);
    EXPECT_THAT(reg->find("fast")->url_prefixes(), ElementsAre("file:///srv/images/"));
    location_resolver resolver(reg);
    EXPECT_EQ(owner_of(resolver, "file:///srv/images/IMG"), "fast");
    EXPECT_EQ(owner_of(resolver, "file:///srv/images2/IMG"), "fast2");  // upstream: fast
    EXPECT_EQ(owner_of(resolver, "file:///srv/images-old/IMG"), "<no_prefix>");
}

TEST(FileDriver, FilesystemSchemeUrlsMatchWhereUpstreamPrefixIsAlwaysFileL3) {
    auto reg = build_text(R"([DEFAULT]
enabled_backends = fast:file
[glance_store]
default_backend = fast
[fast]
filesystem_store_datadir = /srv/images
)");
    location_resolver resolver(reg);
    EXPECT_EQ(owner_of(resolver, "filesystem:///srv/images/IMG"), "fast");  // upstream: none
}

TEST(FileDriver, OwnsEveryDatadirWhereUpstreamPicksOneByFreeSpace) {
    // Upstream R4/R5: one directory becomes the prefix (highest priority, then most free bytes);
    // images in the other directories are never matched.
    auto reg = build_text(R"([DEFAULT]
enabled_backends = multi:file
[glance_store]
default_backend = multi
[multi]
filesystem_store_datadirs = /srv/a:100
filesystem_store_datadirs = /srv/b:200
filesystem_store_datadirs = /srv/c
)");
    ASSERT_NE(reg, nullptr);
    EXPECT_THAT(reg->find("multi")->url_prefixes(),
                ElementsAre("file:///srv/a/", "file:///srv/b/", "file:///srv/c/"));
    location_resolver resolver(reg);
    for (const char* url : {"file:///srv/a/IMG", "file:///srv/b/IMG", "file:///srv/c/IMG"}) {
        EXPECT_EQ(owner_of(resolver, url), "multi") << url;
    }
}

TEST(FileDriver, ReservedStoreDatadirIsItsOwnDirectoryNotTheImagesDirectoryOfHeadR11) {
    // Upstream HEAD R11: an unset reserved datadir falls back to [backend_defaults], i.e.
    // /var/lib/glance/images, the operator's own image directory. Train used /var/lib/glance/<id>.
    auto reg = build_text(R"([DEFAULT]
enabled_backends = fast:file
[glance_store]
default_backend = fast
)");
    ASSERT_NE(reg, nullptr);
    EXPECT_THAT(reg->find("fast")->url_prefixes(), ElementsAre("file:///var/lib/glance/images/"));
    EXPECT_THAT(reg->find("os_glance_staging_store")->url_prefixes(),
                ElementsAre("file:///var/lib/glance/os_glance_staging_store/"));
    EXPECT_THAT(reg->find("os_glance_tasks_store")->url_prefixes(),
                ElementsAre("file:///var/lib/glance/os_glance_tasks_store/"));
    location_resolver resolver(reg);
    EXPECT_EQ(owner_of(resolver, "file:///var/lib/glance/os_glance_staging_store/IMG"),
              "os_glance_staging_store");
    EXPECT_EQ(owner_of(resolver, "file:///var/lib/glance/images/IMG"), "fast");
}

TEST(FileDriver, StoreSectionDatadirsWinsOverBackendDefaultsDatadirWhereHeadRefusesR10) {
    // Upstream HEAD R10: datadirs in [id] while [backend_defaults] still has a datadir is
    // "Specify either ..." (prefix None). The more specific section wins here; both in one
    // section stays an error (R10 row of the table).
    auto reg = build_text(R"([DEFAULT]
enabled_backends = single:file, multi:file
[glance_store]
default_backend = single
[backend_defaults]
filesystem_store_datadir = /srv/single
[multi]
filesystem_store_datadirs = /srv/m1
filesystem_store_datadirs = /srv/m2
)");
    ASSERT_NE(reg, nullptr);
    EXPECT_THAT(reg->find("single")->url_prefixes(), ElementsAre("file:///srv/single/"));
    EXPECT_THAT(reg->find("multi")->url_prefixes(),
                ElementsAre("file:///srv/m1/", "file:///srv/m2/"));

    auto reverse = build_text(R"([DEFAULT]
enabled_backends = one:file
[glance_store]
default_backend = one
[backend_defaults]
filesystem_store_datadirs = /srv/m1
[one]
filesystem_store_datadir = /srv/one
)");
    ASSERT_NE(reverse, nullptr);
    EXPECT_THAT(reverse->find("one")->url_prefixes(), ElementsAre("file:///srv/one/"));
}

TEST(FileDriver, InvalidDatadirIsALoadErrorWhereUpstreamKeepsAReadOnlyStoreWithoutPrefix) {
    // Upstream 1.5: configure_add fails, the store stays registered read-only, url_prefix None.
    load_result r = build_one("file", "fast", {{"filesystem_store_datadir", "relative/dir"}});
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.registry, nullptr);
}

// ---------------------------------------------------------------------------------------------
// http

TEST(HttpDriver, OneStoreClaimsHttpAndHttpsAndTwoAreAmbiguousWhereUpstreamFirstWinsL9) {
    // Upstream: prefix "http" for every http store; the first in enabled_backends order owns
    // every http(s) URL (L9, L10).
    auto one = build_text(R"([DEFAULT]
enabled_backends = fast:file, web:http
[glance_store]
default_backend = fast
)");
    ASSERT_NE(one, nullptr);
    EXPECT_THAT(one->find("web")->url_prefixes(), IsEmpty());
    location_resolver single(one);
    EXPECT_EQ(owner_of(single, "https://example.com/img.qcow2"), "web");
    EXPECT_EQ(owner_of(single, "http://example.com/img.qcow2"), "web");

    auto two = build_text(R"([DEFAULT]
enabled_backends = fast:file, web:http, web2:http
[glance_store]
default_backend = fast
)");
    location_resolver both(two);
    EXPECT_EQ(owner_of(both, "https://example.com/img.qcow2"), "<ambiguous>");
}

// ---------------------------------------------------------------------------------------------
// rbd

TEST(RbdDriver, WithoutFsidIsUnresolvableWhereUpstreamFallsBackToTheCatchAllRbdP2R16) {
    // Upstream: `rbd://`, which matches every rbd URL of every cluster, including legacy
    // one-part `rbd://<image>` URLs.
    load_result r =
        build_one("rbd", "ceph1", {{"rbd_store_ceph_conf", refs_dir + "/ceph-no-fsid.conf"}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    const store& s = *r.registry->find("ceph1");
    EXPECT_EQ(s.status(), store_status::unresolvable);
    EXPECT_THAT(s.url_prefixes(), IsEmpty());
    EXPECT_THAT(s.reason(), HasSubstr("ceph-no-fsid.conf has no [global] fsid"));
    // The load still succeeds, with a warning that says why.
    EXPECT_THAT(test::join(r.diagnostics),
                HasSubstr("store 'ceph1' is unresolvable and will never be matched"));
    location_resolver resolver(r.registry);
    EXPECT_EQ(resolver.resolve("rbd://e2e6f4a0-1111-2222-3333-444455556666/images/IMG/snap").status,
              resolve_status::no_store);
    EXPECT_EQ(resolver.resolve("rbd://IMG").status, resolve_status::no_store);
}

TEST(RbdDriver, ReadsFsidFromCephConfGlobalSectionAndComparesItLowerCase) {
    test::temp_dir dir;
    const auto conf =
        dir.write("ceph.conf", "[global]\nfsid = C0FFEE00-0000-4000-8000-0000000000AB\n");
    load_result r = build_one("rbd", "ceph", {{"rbd_store_ceph_conf", conf.string()}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.registry->find("ceph")->url_prefixes(),
                ElementsAre("rbd://c0ffee00-0000-4000-8000-0000000000ab/images/"));
    location_resolver resolver(r.registry);
    EXPECT_EQ(owner_of(resolver, "rbd://C0FFEE00-0000-4000-8000-0000000000AB/images/IMG/snap"),
              "ceph");
    EXPECT_EQ(owner_of(resolver, "rbd://c0ffee00-0000-4000-8000-0000000000ab/images/IMG/snap"),
              "ceph");
    EXPECT_EQ(owner_of(resolver, "rbd://c0ffee00-0000-4000-8000-0000000000ab/images2/IMG/snap"),
              "<no_prefix>");
}

TEST(RbdDriver, ReadsCephConfInCephsOwnDialectWithIndentedKeys) {
    // ceph.conf is not oslo INI: ceph strips every line, so indented keys are ordinary keys
    // (oslo's dialect would read them as continuation lines and find no fsid).
    test::temp_dir dir;
    const auto conf = dir.write("ceph.conf",
                                "[global]\n"
                                "    mon host = 10.0.0.1, 10.0.0.2\n"
                                "    fsid = 6F2C1A3E-0E45-4C1B-9E0F-0123456789AB  # cluster\n"
                                "[client.glance]\n"
                                "    fsid = 00000000-0000-4000-8000-000000000000\n");
    load_result r = build_one("rbd", "ceph", {{"rbd_store_ceph_conf", conf.string()}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.registry->find("ceph")->url_prefixes(),
                ElementsAre("rbd://6f2c1a3e-0e45-4c1b-9e0f-0123456789ab/images/"));
}

TEST(RbdDriver, TheDefaultCephConfIsEtcCephCephConf) {
    if (fs::exists("/etc/ceph/ceph.conf")) GTEST_SKIP() << "this machine has a ceph.conf";
    load_result r = build_one("rbd", "ceph", {});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(r.registry->find("ceph")->status(), store_status::unresolvable);
    EXPECT_THAT(r.registry->find("ceph")->reason(), HasSubstr("/etc/ceph/ceph.conf"));
}

TEST(RbdDriver, FsidMustBeAUuidWhereUpstreamQuotesAnyStringR14) {
    // Upstream R14: fsid `a/b c%d` gives `rbd://a%2Fb%20c%25d/images/`.
    load_result r = build_one("rbd", "ceph", {{"rbd_store_fsid", "a/b c%d"}});
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(test::join(r.diagnostics),
                HasSubstr("[ceph] rbd_store_fsid: the cluster fsid must be a UUID"));
}

// A TCP listener on 127.0.0.1 (an ephemeral port) standing in for a Ceph monitor: it can tell
// whether anything connected to it, without accepting on its own.
class monitor_listener {
  public:
    monitor_listener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
        sockaddr_in at{};
        at.sin_family = AF_INET;
        at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof at;
        ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&at), size) == 0 &&
              ::listen(fd_, 16) == 0 &&
              ::getsockname(fd_, reinterpret_cast<sockaddr*>(&at), &size) == 0;
        port_ = ntohs(at.sin_port);
    }
    ~monitor_listener() {
        if (fd_ >= 0) ::close(fd_);
    }
    monitor_listener(const monitor_listener&) = delete;
    monitor_listener& operator=(const monitor_listener&) = delete;

    bool ok() const { return ok_; }
    int port() const { return port_; }
    /// How many connections are waiting (accepted and closed here).
    int connections() const {
        int n = 0;
        for (int c; (c = ::accept(fd_, nullptr, nullptr)) >= 0; ++n) ::close(c);
        return n;
    }
    /// Connects to the listener, as a client of the monitor would.
    bool connect_once() const {
        const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in at{};
        at.sin_family = AF_INET;
        at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        at.sin_port = htons(static_cast<std::uint16_t>(port_));
        const bool done = c >= 0 && ::connect(c, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0;
        if (c >= 0) ::close(c);
        return done;
    }

  private:
    int fd_;
    bool ok_ = false;
    int port_ = 0;
};

TEST(RbdDriver, PrefixNeverReadsTheNetwork) {
    // Upstream connects to the cluster at start-up (one round trip per rbd store) and asks it
    // for its fsid. Here every cluster's monitor is a listener: loading stores whose fsid comes
    // from rbd_store_fsid, from ceph.conf, or from nowhere (unresolvable, where upstream would
    // ask), building a resolver and parsing locations never connects to it.
    monitor_listener monitor;
    ASSERT_TRUE(monitor.ok()) << "no loopback listener";
    const std::string mon = "127.0.0.1:" + std::to_string(monitor.port());
    test::temp_dir dir;
    const auto with_fsid =
        dir.write("ceph-a.conf", "[global]\nmon host = " + mon +
                                     "\nfsid = e2e6f4a0-1111-2222-3333-444455556666\n");
    const auto without_fsid = dir.write("ceph-b.conf", "[global]\nmon_host = v2:" + mon + "\n");
    glance_config c;
    c.add("DEFAULT", "enabled_backends", "ceph:rbd, ceph2:rbd, ceph3:rbd");
    c.add("glance_store", "default_backend", "ceph");
    c.add("ceph", "rbd_store_ceph_conf", with_fsid.string());
    c.add("ceph", "rados_connect_timeout", "1");
    c.add("ceph", "rbd_store_user", "glance");
    c.add("ceph2", "rbd_store_ceph_conf", without_fsid.string());
    c.add("ceph3", "rbd_store_ceph_conf", without_fsid.string());
    c.add("ceph3", "rbd_store_fsid", "c0ffee00-0000-4000-8000-000000000003");
    load_result r = store_registry::build(c);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(r.registry->find("ceph")->status(), store_status::ok);
    EXPECT_EQ(r.registry->find("ceph2")->status(), store_status::unresolvable);
    EXPECT_EQ(r.registry->find("ceph3")->status(), store_status::ok);
    const location_resolver resolver(r.registry);
    EXPECT_EQ(owner_of(resolver, "rbd://e2e6f4a0-1111-2222-3333-444455556666/images/IMG/snap"),
              "ceph");
    EXPECT_TRUE(
        r.registry->find("ceph")->parse_location("rbd://e2e6f4a0-1111-2222-3333-444455556666/"
                                                 "images/IMG/snap"));
    EXPECT_EQ(monitor.connections(), 0) << "the library connected to the Ceph monitor";
    // The listener does see a connection when there is one.
    ASSERT_TRUE(monitor.connect_once());
    EXPECT_EQ(monitor.connections(), 1);
}

// ---------------------------------------------------------------------------------------------
// s3

const option_list s3_options{{"s3_store_host", "https://s3.example.com"},
                             {"s3_store_access_key", "AKIA"},
                             {"s3_store_secret_key", "s3cr/et"},
                             {"s3_store_bucket", "glance"}};

TEST(S3Driver, PrefixCarriesNoCredentialsWhereUpstreamEmbedsBothKeysP3) {
    // Upstream P3: `s3+https://user:key@s3-region1.com/glance` (secret in clear).
    load_result r = build_one("s3", "objects", s3_options);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.registry->find("objects")->url_prefixes(),
                ElementsAre("s3+https://s3.example.com/glance/"));
    location_resolver resolver(r.registry);
    // Credential-bearing (L15), credential-free (L16, glance's 2026 migration) and the other
    // schemes of the family (L17) all belong to the store.
    EXPECT_EQ(owner_of(resolver, "s3+https://AKIA:s3cr/et@s3.example.com/glance/IMG"), "objects");
    EXPECT_EQ(owner_of(resolver, "s3+https://s3.example.com/glance/IMG"), "objects");
    EXPECT_EQ(owner_of(resolver, "s3://AKIA:s3cr/et@s3.example.com/glance/IMG"), "objects");
    EXPECT_EQ(owner_of(resolver, "s3+http://s3.example.com/glance/IMG"), "objects");
}

TEST(S3Driver, BucketPrefixEndsAtSegmentBoundaryUnlikeUpstreamL18) {
    // Upstream L18: prefix `.../glance` (no '/') also owns bucket `glance2`.
    load_result r = build_one("s3", "objects", s3_options);
    ASSERT_TRUE(r.ok());
    location_resolver resolver(r.registry);
    EXPECT_EQ(owner_of(resolver, "s3+https://AKIA:sk@s3.example.com/glance2/IMG"), "<no_prefix>");
}

TEST(S3Driver, NormalisesHostSchemeCaseAndTrailingSlashWhereUpstreamNeverMatchesR21R22) {
    // Upstream R21: `s3+https://ak:sk@h:8443//bkt`; R22:
    // `s3://ak:sk@HTTPS://Upper.example.com/bkt`.
    load_result r = build_one("s3", "objects",
                              {{"s3_store_host", "HTTPS://Upper.Example.com:8443/"},
                               {"s3_store_access_key", "ak"},
                               {"s3_store_secret_key", "sk"},
                               {"s3_store_bucket", "bkt"}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.registry->find("objects")->url_prefixes(),
                ElementsAre("s3+https://upper.example.com:8443/bkt/"));
    location_resolver resolver(r.registry);
    EXPECT_EQ(owner_of(resolver, "s3+https://ak:sk@upper.example.com:8443/bkt/IMG"), "objects");
}

TEST(S3Driver, MissingRequiredOptionIsALoadErrorWhereUpstreamDisablesAddR23) {
    // Upstream R23/U39: the store stays registered read-only with url_prefix None.
    load_result r = build_one("s3", "objects", {{"s3_store_host", "https://h"}});
    EXPECT_FALSE(r.ok());
    std::vector<std::string> keys;
    for (const auto& d : r.diagnostics) keys.push_back(d.key);
    EXPECT_THAT(keys, ::testing::IsSupersetOf(
                          {"s3_store_access_key", "s3_store_secret_key", "s3_store_bucket"}));
}

// ---------------------------------------------------------------------------------------------
// swift

std::string swift_conf_path() { return refs_dir + "/glance-swift.conf"; }

TEST(SwiftDriver, ConfigPrefixUsesTheConfiguredReferenceNotNoneR27) {
    // Upstream HEAD R27: with default_swift_reference not set in [id] the prefix is
    // `swift+config://None/glance/` (Train: `ref1`, the option's default).
    load_result r = build_one("swift", "swift1", {{"swift_store_config_file", swift_conf_path()}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    const auto prefixes = prefixes_of(*r.registry->find("swift1"));
    EXPECT_THAT(prefixes, ::testing::Contains("swift+config://ref1/glance/"));
    for (const auto& p : prefixes) EXPECT_EQ(p.find("None"), std::string::npos) << p;

    // The reference also falls back from [backend_defaults], as every option does.
    glance_config c;
    c.add("DEFAULT", "enabled_backends", "swift1:swift");
    c.add("glance_store", "default_backend", "swift1");
    c.add("backend_defaults", "default_swift_reference", "ref2");
    c.add("swift1", "swift_store_config_file", swift_conf_path());
    load_result fallback = store_registry::build(c, {.reserved_stores = false});
    ASSERT_TRUE(fallback.ok()) << test::join(fallback.diagnostics);
    EXPECT_THAT(prefixes_of(*fallback.registry->find("swift1")),
                ::testing::Contains("swift+config://ref2/glance/"));
}

TEST(SwiftDriver, ConfigStoreAlsoOwnsItsReferenceWrittenInlineWhereUpstreamDoesNotL21) {
    // Upstream L21: `swift+https://tenant%3Auser1:key1@example.com/glance/IMG` (the same
    // account, written inline by a store without the reference file) matches no store.
    load_result r = build_one("swift", "sw", {{"swift_store_config_file", swift_conf_path()}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    location_resolver resolver(r.registry);
    EXPECT_EQ(owner_of(resolver, "swift+config://ref1/glance/IMG"), "sw");
    EXPECT_EQ(owner_of(resolver, "swift+https://tenant%3Auser1:key1@example.com/glance/IMG"), "sw");
    EXPECT_EQ(owner_of(resolver, "swift+config://ref2/glance/IMG"), "<no_prefix>");  // L20
}

TEST(SwiftDriver, PrefixCarriesNoCredentialsAndTheUserIsCheckedApartR24) {
    // Upstream R24: `swift+https://tenant%3Auser1:key@localhost:8080/glance/` (key in clear);
    // a URL matched only when its credentials were spelled exactly alike.
    load_result r = build_one("swift", "sw",
                              {{"swift_store_auth_address", "localhost:8080"},
                               {"swift_store_user", "tenant:user1"},
                               {"swift_store_key", "key"},
                               {"swift_store_container", "glance"}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    const store& s = *r.registry->find("sw");
    EXPECT_THAT(s.url_prefixes(), ElementsAre("swift+https://localhost:8080/glance/"));
    EXPECT_EQ(s.required_user(), "tenant:user1");
    location_resolver resolver(r.registry);
    EXPECT_EQ(owner_of(resolver, "swift+https://tenant%3Auser1:key@localhost:8080/glance/IMG"),
              "sw");
    EXPECT_EQ(owner_of(resolver, "swift+https://tenant%3Auser1:rotated@localhost:8080/glance/IMG"),
              "sw");  // a new key is still the same account
    EXPECT_EQ(owner_of(resolver, "swift+https://other:key@localhost:8080/glance/IMG"),
              "<user_mismatch>");
}

TEST(SwiftDriver,
     MultiTenantIsUnresolvableUnlessAnEndpointIsSetWhereUpstreamPrefixNeverMatchesR30) {
    // Upstream R30: None until the first request, then the malformed per-request
    // `swift+https://https://swift.example.com/v1/AUTH_p1:glance_`.
    load_result r = build_one("swift", "mt", {{"swift_store_multi_tenant", "True"}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(r.registry->find("mt")->status(), store_status::unresolvable);
    EXPECT_THAT(r.registry->find("mt")->reason(), HasSubstr("swift_store_endpoint"));

    load_result with =
        build_one("swift", "mt",
                  {{"swift_store_multi_tenant", "yes"},
                   {"swift_store_endpoint", "https://swift.example.com/v1/AUTH_p1"}});
    ASSERT_TRUE(with.ok()) << test::join(with.diagnostics);
    EXPECT_THAT(with.registry->find("mt")->url_prefixes(),
                ElementsAre("swift+https://swift.example.com/v1/AUTH_p1/"));
    location_resolver resolver(with.registry);
    // U28: the per-image container `<container>_<id>` written by the driver.
    EXPECT_EQ(owner_of(resolver, "swift+https://swift.example.com/v1/AUTH_p1/glance_IMG/IMG"),
              "mt");
}

TEST(SwiftDriver, MultiTenantWithReferenceFileIsALoadErrorWhereUpstreamSkipsTheStoreSilently) {
    load_result r = build_one(
        "swift", "mt",
        {{"swift_store_multi_tenant", "true"}, {"swift_store_config_file", swift_conf_path()}});
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(test::join(r.diagnostics),
                HasSubstr("a multi-tenant store cannot use swift_store_config_file"));
}

// ---------------------------------------------------------------------------------------------
// cinder

TEST(CinderDriver, PrefixIsCinderIdSlashUnlikeUpstreamCinderIdL7) {
    // Upstream P6: `cinder://cinder1`, which also owns `cinder://cinder10/...` (L7).
    auto reg = build_text(R"([DEFAULT]
enabled_backends = cinder1:cinder, cinder10:cinder
[glance_store]
default_backend = cinder1
)");
    ASSERT_NE(reg, nullptr);
    EXPECT_THAT(reg->find("cinder1")->url_prefixes(), ElementsAre("cinder://cinder1/"));
    location_resolver resolver(reg);
    const std::string volume = "db457a25-8f16-4b2c-a644-eae8d17fe224";
    EXPECT_EQ(owner_of(resolver, "cinder://cinder1/" + volume), "cinder1");
    EXPECT_EQ(owner_of(resolver, "cinder://cinder10/" + volume), "cinder10");  // upstream: cinder1
    EXPECT_EQ(owner_of(resolver, "cinder://" + volume), "<cinder_legacy>");    // L8
}

TEST(CinderDriver, KeepsTheVolumeTypeForTheLegacyLookup) {
    load_result r = build_one("cinder", "block", {{"cinder_volume_type", "fast-ssd"}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(r.registry->find("block")->volume_type(), "fast-ssd");
    load_result none = build_one("cinder", "block", {});
    EXPECT_EQ(none.registry->find("block")->volume_type(), "");
}

// ---------------------------------------------------------------------------------------------
// vmware

const option_list vmware_options{{"vmware_server_host", "127.0.0.1"},
                                 {"vmware_server_username", "admin"},
                                 {"vmware_server_password", "pw"},
                                 {"vmware_store_image_dir", "/openstack_glance"},
                                 {"vmware_datastores", "a:b:0"}};

TEST(VmwareDriver, KeepsFolderForAnAbsoluteImageDirWhereUpstreamDropsItP4) {
    // Upstream P4: `vsphere://127.0.0.1/openstack_glance`, while its locations are
    // `vsphere://127.0.0.1/folder/openstack_glance/<id>?...` (U40): it never matches.
    load_result r = build_one("vmware", "vmware1", vmware_options);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.registry->find("vmware1")->url_prefixes(),
                ElementsAre("vsphere://127.0.0.1/folder/openstack_glance/"));
    EXPECT_THAT(r.registry->find("vmware1")->datastores(), ElementsAre("b"));
    location_resolver resolver(r.registry);
    EXPECT_EQ(
        owner_of(resolver, "vsphere://127.0.0.1/folder/openstack_glance/IMG?dcPath=a&dsName=b"),
        "vmware1");
}

TEST(VmwareDriver, CanBeTheDefaultStoreWhereUpstreamCannotFetchItById) {
    // Upstream 1.9: SCHEME_TO_CLS_BACKEND_MAP['vmware'] does not exist (the scheme is
    // vsphere), so default_backend = vm1 fails "Store for identifier vm1 not found".
    glance_config c;
    c.add("DEFAULT", "enabled_backends", "vm1:vmware");
    c.add("glance_store", "default_backend", "vm1");
    for (const auto& [k, v] : vmware_options) c.add("vm1", k, v);
    load_result r = store_registry::build(c);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(r.registry->default_store().id(), "vm1");
    EXPECT_EQ(r.registry->find("vm1")->type(), store_type::vmware);
    EXPECT_EQ(r.registry->stores_for_scheme("vsphere").size(), 1u);
    EXPECT_TRUE(r.registry->stores_for_scheme("vmware").empty());
}

TEST(VmwareDriver, TwoStoresSharingHostAndFolderAreToldApartByDatastore) {
    auto reg = build_text(R"([DEFAULT]
enabled_backends = vm1:vmware, vm2:vmware
[glance_store]
default_backend = vm1
[backend_defaults]
vmware_server_host = vcenter.example.com
vmware_server_username = admin
vmware_server_password = pw
[vm1]
vmware_datastores = dc1:ds1
[vm2]
vmware_datastores = dc1:ds2:10
)");
    ASSERT_NE(reg, nullptr);
    location_resolver resolver(reg);
    const std::string base = "vsphere://vcenter.example.com/folder/openstack_glance/IMG?dcPath=dc1";
    EXPECT_EQ(owner_of(resolver, base + "&dsName=ds1"), "vm1");
    EXPECT_EQ(owner_of(resolver, base + "&dsName=ds2"), "vm2");

    // Without datastores to tell them apart, the same prefix twice is a load error.
    config_load same = parse_config(R"([DEFAULT]
enabled_backends = vm1:vmware, vm2:vmware
[glance_store]
default_backend = vm1
[backend_defaults]
vmware_server_host = vcenter.example.com
vmware_server_username = admin
vmware_server_password = pw
)");
    load_result clash = store_registry::build(same.config);
    EXPECT_FALSE(clash.ok());
    EXPECT_THAT(test::join(clash.diagnostics), HasSubstr("stores 'vm1' and 'vm2' have the same"));
}

TEST(Drivers, DeclareExactlyGlanceStoresMultiValuedOptions) {
    // The INI reader lets these accumulate when repeated (detail::option_name_rules()).
    std::vector<std::string_view> multi;
    for (store_type t : all_store_types()) {
        for (const auto& spec : detail::all_options(detail::driver_for(t))) {
            EXPECT_EQ(detail::is_multi_valued_option(spec.name),
                      spec.kind == detail::option_kind::multi_string)
                << spec.name;
            if (spec.kind == detail::option_kind::multi_string) multi.push_back(spec.name);
        }
    }
    EXPECT_THAT(multi, ElementsAre("filesystem_store_datadirs", "vmware_datastores"));
    EXPECT_FALSE(detail::is_multi_valued_option("filesystem_store_datadir"));
}

}  // namespace
}  // namespace imgstore
