// Every diagnostic has its place: one row per diagnostic the registry, the drivers and the
// swift reference file reader can produce (the INI reader's own are in config_test's table),
// with the file and line it must name. Only a problem about an option set nowhere has no line.
#include "imgstore/diagnostic.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

#include "imgstore/registry.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

struct place_case {
    std::string_view name;
    std::string_view type;     // one store `s` of this type, section [s] from line 6
    std::string_view body;     // the [s] section (line 6 on)
    std::string_view swift;    // glance-swift.conf beside the config, when not empty
    std::string_view message;  // a substring of the diagnostic's message
    std::string_view file;     // "api", "swift" or "" (no place exists)
    std::uint32_t line = 0;
};

void PrintTo(const place_case& c, std::ostream* os) { *os << c.name; }

constexpr std::string_view ref_ok =
    "[ref1]\nuser = u\nkey = k\nauth_address = https://keystone.example.com/v3\n";

// [DEFAULT] enabled_backends is line 2, [glance_store] default_backend line 4, [s] line 5.
const place_case place_cases[] = {
    {"UnknownOption", "file", "no_such = 1\n", "", "unknown option", "api", 6},
    {"NotAnInteger", "file", "weight = heavy\n", "", "must be an integer", "api", 6},
    {"BelowMinimum", "file", "filesystem_store_chunk_size = 0\n", "", "must be >= 1", "api", 6},
    {"AboveMaximum", "swift",
     "swift_store_multiple_containers_seed = 33\nswift_store_auth_address = h\n"
     "swift_store_user = u\nswift_store_key = k\n",
     "", "must be <= 32", "api", 6},
    {"NotABoolean", "file", "filesystem_thin_provisioning = maybe\n", "", "must be a boolean",
     "api", 6},
    {"NotAChoice", "swift", "swift_store_endpoint_type = x\n", "", "must be one of", "api", 6},
    {"RequiredOptionSetNowhereIsAtTheDeclaration", "s3", "", "", "required option is not set",
     "api", 2},
    {"StoreWithoutSection", "file", "", "", "has no [s] section", "api", 2},
    {"DatadirNotAbsolute", "file", "filesystem_store_datadir = x\n", "", "must be an absolute path",
     "api", 6},
    {"DatadirAndDatadirs", "file",
     "filesystem_store_datadir = /a\nfilesystem_store_datadirs = /b\n", "", "not both", "api", 7},
    {"EachDatadirsEntryAtItsLine", "file",
     "filesystem_store_datadirs = /a:1\nfilesystem_store_datadirs = b\n"
     "filesystem_store_datadirs = /c\n",
     "", "must be an absolute path", "api", 7},
    {"DatadirsPriority", "file",
     "filesystem_store_datadirs = /a:x\nfilesystem_store_datadirs = /b\n", "",
     "priority must be an integer", "api", 6},
    {"DatadirsTwice", "file", "filesystem_store_datadirs = /a\nfilesystem_store_datadirs = /a\n",
     "", "listed twice", "api", 7},
    {"RbdPool", "rbd",
     "rbd_store_fsid = c0ffee00-0000-4000-8000-000000000001\n"
     "rbd_store_pool = a/b\n",
     "", "must be a pool name", "api", 7},
    {"RbdFsid", "rbd", "rbd_store_fsid = nope\n", "", "must be a UUID", "api", 6},
    {"RbdUnresolvable", "rbd", "rbd_store_ceph_conf = /nonexistent/ceph.conf\n", "",
     "is unresolvable", "api", 6},
    {"S3Host", "s3",
     "s3_store_host = h?x\ns3_store_access_key = a\ns3_store_secret_key = s\n"
     "s3_store_bucket = b\n",
     "", "must be a host", "api", 6},
    {"S3Bucket", "s3",
     "s3_store_host = h\ns3_store_access_key = a\ns3_store_secret_key = s\n"
     "s3_store_bucket = a/b\n",
     "", "must be a bucket name", "api", 9},
    {"SwiftContainer", "swift",
     "swift_store_container = a/b\nswift_store_auth_address = h\n"
     "swift_store_user = u\nswift_store_key = k\n",
     "", "must be a container name", "api", 6},
    {"SwiftAuthAddressMissing", "swift", "swift_store_user = u\nswift_store_key = k\n", "",
     "required without swift_store_config_file", "api", 2},
    {"SwiftAuthAddressBad", "swift",
     "swift_store_auth_address = h?q\nswift_store_user = u\nswift_store_key = k\n", "",
     "without credentials, query or blanks", "api", 6},
    {"SwiftAppCredentialHalf", "swift",
     "swift_store_auth_address = h\nswift_store_application_credential_id = i\n", "", "or neither",
     "api", 7},
    {"SwiftUserWithoutKey", "swift", "swift_store_auth_address = h\nswift_store_user = u\n", "",
     "are required without application credentials", "api", 2},
    {"SwiftMultiTenantWithFile", "swift",
     "swift_store_multi_tenant = true\nswift_store_config_file = glance-swift.conf\n", ref_ok,
     "cannot use swift_store_config_file", "api", 6},
    {"SwiftEndpoint", "swift", "swift_store_multi_tenant = true\nswift_store_endpoint = h?q\n", "",
     "without credentials, query or blanks", "api", 7},
    {"SwiftMultiTenantUnresolvable", "swift", "swift_store_multi_tenant = true\n", "",
     "is unresolvable", "api", 6},
    {"SwiftReferenceFileNotFound", "swift", "swift_store_config_file = nowhere-7d1e.conf\n", "",
     "not found in", "api", 6},
    {"SwiftReferenceFileEmptyName", "swift", "swift_store_config_file =\n", "", "is empty", "api",
     6},
    {"SwiftReferenceNotInFile", "swift",
     "swift_store_config_file = glance-swift.conf\ndefault_swift_reference = ref9\n", ref_ok,
     "is not a section of the swift reference file", "api", 7},
    {"SwiftReferenceUnknownKey", "swift", "swift_store_config_file = glance-swift.conf\n",
     "[ref1]\nuser = u\nkey = k\nauth_address = https://h/v3\ncolour = blue\n",
     "unknown key in a swift account reference", "swift", 5},
    {"SwiftReferenceWithoutAuthAddress", "swift", "swift_store_config_file = glance-swift.conf\n",
     "[ref1]\nuser = u\nkey = k\n", "reference has no auth_address", "swift", 1},
    {"SwiftReferenceBadAuthAddress", "swift", "swift_store_config_file = glance-swift.conf\n",
     "[ref1]\nuser = u\nkey = k\n\nauth_address = https://h/v3?x\n",
     "without credentials, query or blanks", "swift", 5},
    {"SwiftReferenceHalfAppCredential", "swift", "swift_store_config_file = glance-swift.conf\n",
     "[other]\nauth_address = h\n[ref1]\nauth_address = h\napplication_credential_id = i\n",
     "go together", "swift", 3},
    {"SwiftReferenceWithoutCredentials", "swift", "swift_store_config_file = glance-swift.conf\n",
     "# comment\n[ref1]\nauth_address = h\n", "needs user and key", "swift", 2},
    {"SwiftReferenceFileSyntax", "swift", "swift_store_config_file = glance-swift.conf\n",
     "[ref1]\nuser u\n", "has no '=' or ':'", "swift", 2},
    {"VmwareRequired", "vmware", "vmware_server_host = h\n", "", "required option is not set",
     "api", 2},
    {"VmwareEachDatastoreAtItsLine", "vmware",
     "vmware_server_host = h\nvmware_server_username = u\nvmware_server_password = p\n"
     "vmware_datastores = dc:ds\nvmware_datastores = nocolon\n",
     "", "entry must be dc_path:ds_name[:weight]", "api", 10},
    {"VmwareDatastoreWeight", "vmware",
     "vmware_server_host = h\nvmware_server_username = u\nvmware_server_password = p\n"
     "vmware_datastores = dc:ds:x\n",
     "", "weight must be an integer", "api", 9},
    {"VmwareImageDir", "vmware",
     "vmware_server_host = h\nvmware_server_username = u\nvmware_server_password = p\n"
     "vmware_store_image_dir = /a/../b\n",
     "", "must not contain empty", "api", 9},
    {"VmwareHost", "vmware",
     "vmware_server_host = u@h\nvmware_server_username = u\nvmware_server_password = p\n", "",
     "must be a host name or IP address", "api", 6},
};

class DiagnosticPlaces : public ::testing::TestWithParam<place_case> {};

TEST_P(DiagnosticPlaces, EveryDiagnosticNamesItsFileAndLine) {
    const place_case& c = GetParam();
    test::temp_dir dir;
    const auto api =
        dir.write("glance-api.conf", "[DEFAULT]\nenabled_backends = s:" + std::string(c.type) +
                                         "\n[glance_store]\ndefault_backend = s\n" +
                                         (c.body.empty() ? "" : "[s]\n" + std::string(c.body)));
    std::string swift;
    if (!c.swift.empty()) swift = dir.write("glance-swift.conf", c.swift).string();
    load_result r = store_registry::load({.files = {api}});
    const diagnostic* found = nullptr;
    for (const diagnostic& d : r.diagnostics) {
        if (d.message.find(c.message) != std::string::npos) found = &d;
    }
    ASSERT_NE(found, nullptr) << test::join(r.diagnostics);
    const std::string file = c.file == "api" ? api.string() : c.file == "swift" ? swift : "";
    EXPECT_EQ(found->file, file) << to_string(*found);
    EXPECT_EQ(found->line, c.line) << to_string(*found);
}

INSTANTIATE_TEST_SUITE_P(Table,
                         DiagnosticPlaces,
                         ::testing::ValuesIn(place_cases),
                         [](const auto& row) { return std::string(row.param.name); });

// The registry's own diagnostics: every one at a line, except an option set nowhere.
TEST(DiagnosticPlaces, RegistryProblemsAreAtTheirLinesOrSayTheOptionIsSetNowhere) {
    const struct {
        std::string_view text;
        std::string_view message;
        std::uint32_t line;
    } rows[] = {
        {"[glance_store]\ndefault_backend = a\n", "enabled_backends: not set", 0},
        {"[DEFAULT]\nenabled_backends = a:file\n", "default_backend: not set", 0},
        {"[DEFAULT]\nenabled_backends = a:file, b:nosuch\n[glance_store]\ndefault_backend = a\n",
         "unknown type", 2},
        {"[DEFAULT]\nenabled_backends = a:file\n[glance_store]\ndefault_backend = b\n",
         "is not a store", 4},
        {"[DEFAULT]\nenabled_backends = a:http, b:http\n[glance_store]\ndefault_backend = a\n",
         "2 http stores", 2},
        {"[DEFAULT]\n\nenabled_backends = a:file, b:file\n[glance_store]\ndefault_backend = a\n"
         "[a]\nfilesystem_store_datadir = /x\n[b]\nfilesystem_store_datadir = /x/y\n",
         "is inside prefix", 9},
    };
    for (const auto& row : rows) {
        config_load parsed = parse_config(row.text, "glance-api.conf");
        load_result r = store_registry::build(parsed.config);
        const diagnostic* found = nullptr;
        for (const diagnostic& d : r.diagnostics) {
            if (to_string(d).find(row.message) != std::string::npos) found = &d;
        }
        ASSERT_NE(found, nullptr) << row.message << "\n" << test::join(r.diagnostics);
        EXPECT_EQ(found->line, row.line) << to_string(*found);
        EXPECT_EQ(found->file, row.line == 0 ? "" : "glance-api.conf") << to_string(*found);
    }
}

}  // namespace
}  // namespace imgstore
