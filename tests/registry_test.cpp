#include "imgstore/registry.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "imgstore/config.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A full valid config with one store of every type (file stores use their own datadirs).
constexpr std::string_view every_type_conf = R"([DEFAULT]
enabled_backends = fast:file, web:http, ceph:rbd, objects:s3, sw:swift, block:cinder, vm:vmware

[glance_store]
default_backend = fast

[fast]
filesystem_store_datadir = /srv/glance/images
store_description = Local disks

[ceph]
rbd_store_fsid = C0FFEE00-0000-4000-8000-000000000001
rbd_store_pool = images

[objects]
s3_store_host = https://s3.example.com
s3_store_access_key = AKIA
s3_store_secret_key = s3-secret
s3_store_bucket = glance

[sw]
swift_store_auth_address = https://keystone.example.com/v3
swift_store_user = svc:glance
swift_store_key = swift-secret
swift_store_container = images

[block]
cinder_volume_type = fast-ssd

[vm]
vmware_server_host = vcenter.example.com
vmware_server_username = admin
vmware_server_password = vm-secret
vmware_datastores = dc1:ds1:100
)";

load_result load_text(std::string_view text, registry_options options = {}) {
    config_load parsed = parse_config(text, "glance-api.conf");
    EXPECT_TRUE(parsed.ok()) << test::join(parsed.diagnostics);
    return store_registry::build(parsed.config, options);
}

TEST(StoreRegistry, BuildsTheSeedMapForEveryStoreType) {
    load_result r = load_text(every_type_conf);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    const store_registry& reg = *r.registry;
    ASSERT_EQ(reg.stores().size(), 9u);  // seven operator stores + two reserved

    const store* fast = reg.find("fast");
    ASSERT_NE(fast, nullptr);
    EXPECT_EQ(fast->type(), store_type::file);
    EXPECT_THAT(fast->schemes(), ElementsAre("file", "filesystem"));
    EXPECT_THAT(fast->url_prefixes(), ElementsAre("file:///srv/glance/images/"));
    EXPECT_EQ(fast->location_class(), "imgstore::file_location");
    EXPECT_TRUE(fast->is_default());
    EXPECT_EQ(fast->description(), "Local disks");
    EXPECT_EQ(&reg.default_store(), fast);

    EXPECT_THAT(reg.find("ceph")->url_prefixes(),
                ElementsAre("rbd://c0ffee00-0000-4000-8000-000000000001/images/"));
    EXPECT_THAT(reg.find("objects")->url_prefixes(),
                ElementsAre("s3+https://s3.example.com/glance/"));
    EXPECT_THAT(reg.find("sw")->url_prefixes(),
                ElementsAre("swift+https://keystone.example.com/v3/images/"));
    EXPECT_EQ(reg.find("sw")->required_user(), "svc:glance");
    EXPECT_THAT(reg.find("block")->url_prefixes(), ElementsAre("cinder://block/"));
    EXPECT_EQ(reg.find("block")->volume_type(), "fast-ssd");
    EXPECT_THAT(reg.find("vm")->url_prefixes(),
                ElementsAre("vsphere://vcenter.example.com/folder/openstack_glance/"));
    EXPECT_THAT(reg.find("vm")->datastores(), ElementsAre("ds1"));
    EXPECT_TRUE(reg.find("web")->url_prefixes().empty());
    EXPECT_THAT(reg.find("vm")->schemes(), ElementsAre("vsphere"));
    EXPECT_EQ(reg.find("nope"), nullptr);
}

TEST(StoreRegistry, AppendsReservedStoresAfterTheOperatorStores) {
    load_result r = load_text(every_type_conf);
    ASSERT_TRUE(r.ok());
    auto stores = r.registry->stores();
    EXPECT_EQ(stores[7].id(), "os_glance_staging_store");
    EXPECT_EQ(stores[8].id(), "os_glance_tasks_store");
    EXPECT_TRUE(stores[7].is_reserved());
    // Upstream HEAD falls back to the images dir (R11); we keep Train's per-store default.
    EXPECT_THAT(stores[7].url_prefixes(),
                ElementsAre("file:///var/lib/glance/os_glance_staging_store/"));

    registry_options no_reserved;
    no_reserved.reserved_stores = false;
    load_result without = load_text(every_type_conf, no_reserved);
    ASSERT_TRUE(without.ok());
    EXPECT_EQ(without.registry->stores().size(), 7u);
    EXPECT_EQ(without.registry->find("os_glance_tasks_store"), nullptr);
}

TEST(StoreRegistry, ViewsStoresBySchemeInRegistrationOrder) {
    load_result r = load_text(R"([DEFAULT]
enabled_backends = b:file, a:file, web:http
[glance_store]
default_backend = a
[b]
filesystem_store_datadir = /b
[a]
filesystem_store_datadir = /a
)");
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    auto ids = [&](std::string_view scheme) {
        std::vector<std::string> out;
        for (const store* s : r.registry->stores_for_scheme(scheme)) out.emplace_back(s->id());
        return out;
    };
    EXPECT_THAT(ids("file"),
                ElementsAre("b", "a", "os_glance_staging_store", "os_glance_tasks_store"));
    EXPECT_THAT(ids("filesystem"),
                ElementsAre("b", "a", "os_glance_staging_store", "os_glance_tasks_store"));
    EXPECT_THAT(ids("https"), ElementsAre("web"));
    EXPECT_TRUE(ids("vsphere").empty());
    EXPECT_THAT(r.registry->schemes(), ElementsAre("file", "filesystem", "http", "https"));
}

TEST(StoreRegistry, OrderOfEnabledBackendsChangesNoPrefix) {
    std::vector<std::string> items{"fast:file", "web:http",     "ceph:rbd", "objects:s3",
                                   "sw:swift",  "block:cinder", "vm:vmware"};
    load_result base = load_text(every_type_conf);
    ASSERT_TRUE(base.ok());
    std::mt19937 rng(20261124);
    for (int round = 0; round < 10; ++round) {
        std::shuffle(items.begin(), items.end(), rng);
        std::string joined;
        for (const auto& i : items) joined += (joined.empty() ? "" : ", ") + i;
        std::string text(every_type_conf);
        text.replace(text.find("fast:file"),
                     text.find('\n', text.find("fast:file")) - text.find("fast:file"), joined);
        load_result shuffled = load_text(text);
        ASSERT_TRUE(shuffled.ok()) << joined;
        for (const store& s : base.registry->stores()) {
            const store* other = shuffled.registry->find(s.id());
            ASSERT_NE(other, nullptr);
            EXPECT_TRUE(std::ranges::equal(s.url_prefixes(), other->url_prefixes())) << s.id();
            EXPECT_EQ(s.status(), other->status());
        }
    }
}

// One row per configuration error class of semantics.md section 1 that the registry owns:
// the config text, and the exact diagnostic it must produce (file:line: [section] key: message).
struct error_case {
    std::string_view name;
    std::string_view text;
    std::string_view expected;
};

// Names the row in ctest output instead of dumping its bytes.
void PrintTo(const error_case& c, std::ostream* os) { *os << c.name; }

const error_case error_cases[] = {
    {"MissingEnabledBackends", "[glance_store]\ndefault_backend = a\n",
     "[DEFAULT] enabled_backends: not set: list the stores as id:type, id:type, ..."},
    {"EmptyEnabledBackends", "[DEFAULT]\nenabled_backends =\n[glance_store]\ndefault_backend = a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: is empty: list the stores as id:type, "
     "id:type, ..."},
    {"EmptyItem",
     "[DEFAULT]\nenabled_backends = a:file,,b:http\n[glance_store]\ndefault_backend = a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: item 2 is empty"},
    {"ItemWithoutColon",
     "[DEFAULT]\nenabled_backends = a:file, b\n[glance_store]\ndefault_backend = a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: item 2 has no ':' (expected id:type)"},
    {"EmptyId",
     "[DEFAULT]\nenabled_backends = a:file, :http\n[glance_store]\ndefault_backend = a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: item 2 has an empty store id"},
    {"EmptyType", "[DEFAULT]\nenabled_backends = a:file, b:\n[glance_store]\ndefault_backend = a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: item 2 has an empty store type"},
    {"UnknownType",
     "[DEFAULT]\nenabled_backends = a:file, b:sheepdog\n[glance_store]\ndefault_backend = a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: store 'b': unknown type 'sheepdog' (known "
     "types: file, http, rbd, s3, swift, cinder, vmware)"},
    {"RepeatedId",
     "[DEFAULT]\nenabled_backends = a:file, A:http\n[glance_store]\ndefault_backend = a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: store id 'A' repeats item 1 (ids are "
     "case-insensitive)"},
    {"IdWithBadCharacters",
     "[DEFAULT]\nenabled_backends = a:file, b/c:http\n[glance_store]\ndefault_backend = a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: store id 'b/c' must be 1-64 characters of A-Z "
     "a-z 0-9 . _ -"},
    {"IdTooLong",
     "[DEFAULT]\nenabled_backends = a:file, "
     "x12345678901234567890123456789012345678901234567890123456789012345:http\n"
     "[glance_store]\ndefault_backend = a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: store id "
     "'x123456789012345678901234567890123456789012345678901234567890123...' must be 1-64 "
     "characters of A-Z a-z 0-9 . _ -"},
    {"ReservedPrefix",
     "[DEFAULT]\nenabled_backends = a:file, os_glance_mine:file\n[glance_store]\ndefault_backend = "
     "a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: store id 'os_glance_mine': the prefix "
     "'os_glance_' is reserved"},
    {"MissingDefaultBackend", "[DEFAULT]\nenabled_backends = a:file\n",
     "[glance_store] default_backend: not set: name the store that receives new images"},
    {"UnknownDefaultBackend",
     "[DEFAULT]\nenabled_backends = a:file\n[glance_store]\ndefault_backend = b\n",
     "glance-api.conf:4: [glance_store] default_backend: 'b' is not a store in enabled_backends"},
    {"ReservedDefaultBackend",
     "[DEFAULT]\nenabled_backends = a:file\n[glance_store]\ndefault_backend = "
     "os_glance_tasks_store\n",
     "glance-api.conf:4: [glance_store] default_backend: 'os_glance_tasks_store' is a reserved "
     "store and cannot be the default"},
    {"SamePrefixTwice",
     "[DEFAULT]\nenabled_backends = a:file, b:file\n[glance_store]\ndefault_backend = a\n"
     "[a]\nfilesystem_store_datadir = /srv/x\n[b]\nfilesystem_store_datadir = /srv/x/\n",
     "glance-api.conf:8: [b] filesystem_store_datadir: stores 'a' and 'b' have the same URL "
     "prefix file:///srv/x/; 'a' has it (set at glance-api.conf:6)"},
    {"SameDefaultPrefixIsLocatedWhereTheStoresAreDeclared",
     "[DEFAULT]\nenabled_backends = a:file, b:file\n[glance_store]\ndefault_backend = a\n",
     "glance-api.conf:2: [DEFAULT] enabled_backends: stores 'a' and 'b' have the same URL prefix "
     "file:///var/lib/glance/images/; 'a' has it (declared at glance-api.conf:2)"},
    {"SamePrefixAcrossTheS3Family",
     "[DEFAULT]\nenabled_backends = a:s3, b:s3\n[glance_store]\ndefault_backend = a\n"
     "[a]\ns3_store_host = https://h\ns3_store_access_key = k\ns3_store_secret_key = s\n"
     "s3_store_bucket = x\n[b]\ns3_store_host = h\ns3_store_access_key = k\n"
     "s3_store_secret_key = s\ns3_store_bucket = x\n",
     "glance-api.conf:14: [b] s3_store_bucket: stores 'a' and 'b' have the same URL prefix "
     "s3://h/x/; 'a' has it (set at glance-api.conf:9)"},
};

class RegistryErrors : public ::testing::TestWithParam<error_case> {};

TEST_P(RegistryErrors, ReportsTheProblemWithItsLocationAndBuildsNothing) {
    const error_case& c = GetParam();
    config_load parsed = parse_config(c.text, "glance-api.conf");
    ASSERT_TRUE(parsed.ok()) << test::join(parsed.diagnostics);
    load_result r = store_registry::build(parsed.config);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.registry, nullptr);
    std::vector<std::string> errors;
    for (const auto& d : r.diagnostics) {
        if (d.level == severity::error) errors.push_back(to_string(d));
    }
    EXPECT_THAT(errors, ::testing::Contains(std::string(c.expected))) << test::join(r.diagnostics);
}

INSTANTIATE_TEST_SUITE_P(Table,
                         RegistryErrors,
                         ::testing::ValuesIn(error_cases),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(StoreRegistry, ReportsEveryProblemAtOnce) {
    load_result r = load_text(R"([DEFAULT]
enabled_backends = a:file, b:nosuch, :http, a:rbd
[glance_store]
default_backend = zz
)");
    ASSERT_FALSE(r.ok());
    EXPECT_GE(std::count_if(r.diagnostics.begin(), r.diagnostics.end(),
                            [](const diagnostic& d) { return d.level == severity::error; }),
              4);
}

TEST(StoreRegistry, WarnsAboutNestedPrefixesAndKeepsBoth) {
    load_result r = load_text(R"([DEFAULT]
enabled_backends = outer:file, inner:file
[glance_store]
default_backend = outer
[outer]
filesystem_store_datadir = /var/lib/glance
[inner]
filesystem_store_datadir = /var/lib/glance/images
)");
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(test::join(r.diagnostics),
                HasSubstr("warning: glance-api.conf:8: [inner] filesystem_store_datadir: URL "
                          "prefix file:///var/lib/glance/images/ of store 'inner' is inside "
                          "prefix file:///var/lib/glance/ of store 'outer' (set at "
                          "glance-api.conf:6): the longer prefix wins"));
    EXPECT_FALSE(r.registry->warnings().empty());
}

TEST(StoreRegistry, WarnsAboutSeveralHttpStores) {
    load_result r = load_text(R"([DEFAULT]
enabled_backends = a:http, b:http
[glance_store]
default_backend = a
)");
    ASSERT_TRUE(r.ok());
    EXPECT_THAT(test::join(r.diagnostics), HasSubstr("2 http stores"));
}

TEST(StoreRegistry, UnknownKeyIsAWarningAndAnErrorWhenStrict) {
    std::string_view text = R"([DEFAULT]
enabled_backends = a:file
[glance_store]
default_backend = a
[a]
filesystem_store_datadir = /srv/a
filesytem_store_datadir = /srv/typo
)";
    load_result lax = load_text(text);
    ASSERT_TRUE(lax.ok());
    EXPECT_THAT(
        test::join(lax.diagnostics),
        HasSubstr("warning: glance-api.conf:7: [a] filesytem_store_datadir: unknown option"));
    registry_options strict;
    strict.strict = true;
    load_result r = load_text(text, strict);
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(test::join(r.diagnostics),
                HasSubstr("glance-api.conf:7: [a] filesytem_store_datadir: unknown option"));
}

TEST(StoreRegistry, EnforcesTheStoreLimit) {
    registry_options small;
    small.max_stores = 3;
    load_result r = load_text(every_type_conf, small);
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(test::join(r.diagnostics), HasSubstr("9 stores exceed the limit of 3"));
}

TEST(StoreRegistry, LoadsFromFilesAndReportsUnreadableOnes) {
    test::temp_dir dir;
    auto conf = dir.write("glance-api.conf", std::string(every_type_conf));
    load_result r = store_registry::load({.files = {conf}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(r.registry->stores().size(), 9u);

    load_result missing = store_registry::load({.files = {dir.path() / "nope.conf"}});
    EXPECT_FALSE(missing.ok());
    EXPECT_THAT(test::join(missing.diagnostics), HasSubstr("nope.conf"));
}

TEST(StoreRegistry, BuildsFromConfigMadeInCode) {
    glance_config config;
    config.add("DEFAULT", "enabled_backends", "fast:file");
    config.add("glance_store", "default_backend", "fast");
    config.add("fast", "filesystem_store_datadir", "/data/images");
    load_result r = store_registry::build(config);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.registry->find("fast")->url_prefixes(), ElementsAre("file:///data/images/"));
}

TEST(StoreRegistry, GivesFileStoresTheirDatadirsWithPriorities) {
    glance_config config;
    config.add("DEFAULT", "enabled_backends", "one:file, many:file");
    config.add("glance_store", "default_backend", "one");
    config.add("one", "filesystem_store_datadir", "/data/one/");
    config.add("many", "filesystem_store_datadirs", "/data/a:5");
    config.add("many", "filesystem_store_datadirs", " /data/b ");
    config.add("many", "filesystem_store_datadirs", "/data/c/:-2");
    load_result r = store_registry::build(config);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    using d = store_datadir;
    EXPECT_THAT(r.registry->find("one")->datadirs(), ElementsAre(d{"/data/one", 0}));
    EXPECT_THAT(r.registry->find("many")->datadirs(),
                ElementsAre(d{"/data/a", 5}, d{"/data/b", 0}, d{"/data/c", -2}));
    EXPECT_THAT(r.registry->find("os_glance_staging_store")->datadirs(),
                ElementsAre(d{"/var/lib/glance/os_glance_staging_store", 0}));
}

TEST(StoreRegistry, GivesRawOptionValuesAsSecrets) {
    load_result r = load_text(every_type_conf);
    ASSERT_TRUE(r.ok());
    auto reveal = [](std::span<const secret> values) {
        std::vector<std::string> out;
        for (const secret& v : values) out.emplace_back(v.reveal());
        return out;
    };
    const store& objects = *r.registry->find("objects");
    EXPECT_THAT(reveal(objects.raw_option("s3_store_secret_key")), ElementsAre("s3-secret"));
    EXPECT_THAT(reveal(objects.raw_option("s3_store_host")), ElementsAre("https://s3.example.com"));
    // Built-in defaults count; a multi-valued option keeps each occurrence.
    EXPECT_THAT(reveal(r.registry->find("fast")->raw_option("filesystem_store_chunk_size")),
                ElementsAre("65536"));
    EXPECT_THAT(reveal(r.registry->find("vm")->raw_option("vmware_datastores")),
                ElementsAre("dc1:ds1:100"));
    // Unset without default, and not an option of the type.
    EXPECT_TRUE(r.registry->find("fast")->raw_option("filesystem_store_metadata_file").empty());
    EXPECT_TRUE(objects.raw_option("filesystem_store_datadir").empty());
}

TEST(StoreRegistry, PrintsEveryStoreWithSecretsRedacted) {
    load_result r = load_text(every_type_conf);
    ASSERT_TRUE(r.ok());
    std::string text = to_string(*r.registry);
    EXPECT_THAT(text, HasSubstr("fast (file) default"));
    EXPECT_THAT(text, HasSubstr("url prefixes: file:///srv/glance/images/"));
    EXPECT_THAT(text, HasSubstr("s3_store_secret_key = ***"));
    EXPECT_THAT(text, ::testing::Not(HasSubstr("s3-secret")));
    EXPECT_THAT(text, ::testing::Not(HasSubstr("vm-secret")));
}

// Values that a config can carry and that would forge a line or reach a terminal as controls:
// continuation lines give a value newlines; the rest are bytes written in the file.
TEST(StoreRegistry, PrintsEveryValueEscapedSoNoneCanForgeALine) {
    const struct {
        std::string_view name;
        std::string_view written;  // as in the file (continuation lines indented)
        std::string_view shown;
    } rows[] = {
        {"continuation lines", "first\n  second", "first\\nsecond"},
        {"a forged store block", "x\n  evil (file) default\n  weight: 9",
         "x\\nevil (file) default\\nweight: 9"},
        {"tab", "a\tb", "a\\tb"},
        {"ANSI colour", "\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"},
        {"DEL",
         "a\x7f"
         "b",
         "a\\x7fb"},
        {"C1 CSI",
         "b\xC2\x9B"
         "31m",
         "b\\xc2\\x9b31m"},
        {"backslash", "a\\nb", "a\\\\nb"},
        {"UTF-8 kept", "caf\xC3\xA9 \xF0\x9F\x98\x80", "caf\xC3\xA9 \xF0\x9F\x98\x80"},
    };
    for (const auto& r : rows) {
        const std::string conf =
            "[DEFAULT]\nenabled_backends = fast:file, ceph:rbd\n[glance_store]\n"
            "default_backend = fast\n[fast]\nstore_description = " +
            std::string(r.written) +
            "\n[ceph]\nrbd_store_fsid = c0ffee00-0000-4000-8000-000000000001\n"
            "rbd_store_user = " +
            std::string(r.written) + "\n";
        const load_result loaded = load_text(conf);
        ASSERT_TRUE(loaded.ok()) << r.name << test::join(loaded.diagnostics);
        const std::string text = to_string(*loaded.registry);
        EXPECT_THAT(text, HasSubstr("\n  description: " + std::string(r.shown) + "\n")) << r.name;
        EXPECT_THAT(text, HasSubstr("\n  rbd_store_user = " + std::string(r.shown) + "\n"))
            << r.name;
        // One header line per store (fast, ceph and the two reserved stores), every other
        // line an indented field; no byte below 0x20 but the line ends, no DEL, no C1.
        std::size_t headers = 0;
        std::size_t begin = 0;
        for (std::size_t end = text.find('\n'); end != std::string::npos;
             begin = end + 1, end = text.find('\n', begin)) {
            if (text.compare(begin, 2, "  ") != 0) ++headers;
        }
        EXPECT_EQ(headers, 4u) << r.name << "\n" << text;
        EXPECT_EQ(begin, text.size()) << r.name << ": the text ends with a line end";
        EXPECT_EQ(test::terminal_control_at(text), std::string::npos) << r.name;
    }
}

}  // namespace
}  // namespace imgstore
