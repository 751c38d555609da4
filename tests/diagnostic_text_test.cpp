// Diagnostics as text never carry a byte a terminal acts on, nor an unbounded value (issue 15,
// items 4 and 7): every place a config value can reach a diagnostic, fed each class of hostile
// bytes, and to_string's escaping of each part of a diagnostic.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imgstore/config.hpp"
#include "imgstore/diagnostic.hpp"
#include "imgstore/registry.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

// A rendered diagnostic holds its place and message, and a quoted value of at most 64
// characters, each escaped to at most 8 bytes (a C1 control is `\xc2\x9b`); 1 KiB is room
// for that, and far below the 10 KB value.
constexpr std::size_t max_rendered_diagnostic_bytes = 1024;

struct hostile_payload {
    std::string_view name;
    std::string bytes;
    // Whether the payload reaches a value through a file's text: the INI reader ends a line at
    // CR or LF and refuses a line with invalid UTF-8 before anything of it is read.
    bool passes_ini_reader = true;
};

std::vector<hostile_payload> hostile_payloads() {
    std::string big;  // 10 KB of terminal controls and text
    while (big.size() < 10240) big += "\x1b[2J\xC2\x9Bx";
    return {
        {"Esc", "a\x1b[2Jb"},
        {"CrLf", "a\r\nb", false},
        {"Bel", "a\x07z"},
        {"Del", "a\x7fz"},
        {"C1Csi",
         "a\xC2\x9B"
         "31mz"},
        {"InvalidUtf8", "a\xFF\xFEz", false},
        {"TenKilobytes", big},
    };
}

using hostile_options = std::vector<std::pair<std::string, std::string>>;

// One store `a` of `type` with `options`, built in code (so every byte of a value reaches the
// registry), read as if from glance-api.conf in `dir`: a swift reference file is found beside.
std::vector<diagnostic> hostile_one_store(const test::temp_dir& dir,
                                          std::string_view type,
                                          const hostile_options& options,
                                          std::string_view default_backend = "a") {
    glance_config c;
    c.add("DEFAULT", "enabled_backends", "a:" + std::string(type));
    c.add("glance_store", "default_backend", default_backend);
    for (const auto& [key, value] : options) c.add("a", key, value);
    c.set_sources({.files = {dir.path() / "glance-api.conf"}});
    return store_registry::build(c).diagnostics;
}

const hostile_options hostile_swift_inline{
    {"swift_store_auth_address", "https://keystone.example.com/v3"},
    {"swift_store_user", "u"},
    {"swift_store_key", "k"}};

hostile_options hostile_with(hostile_options base, std::string key, std::string value) {
    base.emplace_back(std::move(key), std::move(value));
    return base;
}

// A swift store reading glance-swift.conf (written with `reference_file`) beside the config.
std::vector<diagnostic> hostile_swift_file_store(const test::temp_dir& dir,
                                                 const std::string& reference_file,
                                                 const hostile_options& options = {}) {
    dir.write("glance-swift.conf", reference_file);
    return hostile_one_store(dir, "swift",
                             hostile_with(options, "swift_store_config_file", "glance-swift.conf"));
}

constexpr std::string_view hostile_ref_ok =
    "[ref1]\nuser = u\nkey = k\nauth_address = https://keystone.example.com/v3\n";

struct hostile_place {
    std::string_view name;
    std::string_view message;   // the diagnostic the payload reaches says this
    bool via_ini_text = false;  // the payload is written into a file's text
    std::vector<diagnostic> (*run)(const std::string& payload, const test::temp_dir& dir);
};

void PrintTo(const hostile_place& p, std::ostream* os) { *os << p.name; }

const hostile_place hostile_places[] = {
    {"EnabledBackendsId", "must be 1-64 characters", false,
     [](const std::string& p, const test::temp_dir&) {
         glance_config c;
         c.add("DEFAULT", "enabled_backends", "a:file, " + p + ":file");
         c.add("glance_store", "default_backend", "a");
         return store_registry::build(c).diagnostics;
     }},
    {"EnabledBackendsType", "unknown type", false,
     [](const std::string& p, const test::temp_dir& dir) { return hostile_one_store(dir, p, {}); }},
    {"DefaultBackend", "is not a store in enabled_backends", false,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_one_store(dir, "file", {}, p);
     }},
    {"UnknownKeyOfAStoreSection", "unknown option for this store type", false,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_one_store(dir, "file", {{"no_such_" + p, "1"}});
     }},
    {"IntegerOption", "must be an integer", false,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_one_store(dir, "file", {{"weight", p}});
     }},
    {"BooleanOption", "must be a boolean", false,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_one_store(dir, "file", {{"filesystem_thin_provisioning", p}});
     }},
    {"ChoiceOption", "must be one of", false,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_one_store(
             dir, "swift", hostile_with(hostile_swift_inline, "swift_store_endpoint_type", p));
     }},
    {"UrlOption", "must be a host", false,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_one_store(dir, "s3",
                                  {{"s3_store_host", "https://" + p + "?"},
                                   {"s3_store_access_key", "a"},
                                   {"s3_store_secret_key", "s"},
                                   {"s3_store_bucket", "b"}});
     }},
    {"PathOptionInAPrefix", "have the same URL prefix", false,
     [](const std::string& p, const test::temp_dir&) {
         glance_config c;
         c.add("DEFAULT", "enabled_backends", "a:file, b:file");
         c.add("glance_store", "default_backend", "a");
         // A prefix longer than a URL may be (8 KiB) is refused without being quoted; 2,000
         // bytes of the value make a long prefix that the message quotes.
         const std::string dir = "/srv/" + p.substr(0, 2000);
         c.add("a", "filesystem_store_datadir", dir);
         c.add("b", "filesystem_store_datadir", dir);
         return store_registry::build(c).diagnostics;
     }},
    {"PathOptionCephConf", "is unresolvable", false,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_one_store(dir, "rbd", {{"rbd_store_ceph_conf", "/nonexistent-4c1d/" + p}});
     }},
    {"SectionName", "repeated in this section", true,
     [](const std::string& p, const test::temp_dir&) {
         return parse_config("[" + p + "]\nk = 1\nk = 2\n", "glance-api.conf").diagnostics;
     }},
    {"SwiftReferenceFileName", "not found in", false,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_one_store(dir, "swift",
                                  {{"swift_store_config_file", "glance-" + p + ".conf"}});
     }},
    {"SwiftDefaultReference", "is not a section of the swift reference file", false,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_swift_file_store(dir, std::string(hostile_ref_ok),
                                         {{"default_swift_reference", p}});
     }},
    {"SwiftReferenceSectionName", "reference has no auth_address", true,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_swift_file_store(
             dir, std::string(hostile_ref_ok) + "[" + p + "]\nuser = u\nkey = k\n");
     }},
    {"SwiftReferenceUnknownKey", "unknown key in a swift account reference", true,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_swift_file_store(dir,
                                         std::string(hostile_ref_ok) + "colour" + p + " = 1\n");
     }},
    {"SwiftReferenceValue", "auth_address must be", true,
     [](const std::string& p, const test::temp_dir& dir) {
         return hostile_swift_file_store(dir, "[ref1]\nuser = " + p + "\nkey = " + p +
                                                  "\nauth_address = https://h/" + p + " x\n");
     }},
    {"ConfigDirFileName", "has no '=' or ':'", false,
     [](const std::string& p, const test::temp_dir& dir) {
         // A file name holds no '/' and at most 255 bytes.
         dir.write("conf.d/x" + p.substr(0, 200) + ".conf", "garbage\n");
         return read_config({.directory = dir.path() / "conf.d"}).diagnostics;
     }},
};

class HostileConfigValues : public ::testing::TestWithParam<hostile_place> {};

TEST_P(HostileConfigValues, ReachNoDiagnosticAsAControlByteOrUnbounded) {
    const hostile_place& place = GetParam();
    for (const hostile_payload& payload : hostile_payloads()) {
        SCOPED_TRACE(payload.name);
        test::temp_dir dir;
        const std::vector<diagnostic> ds = place.run(payload.bytes, dir);
        ASSERT_FALSE(ds.empty());
        if (!place.via_ini_text || payload.passes_ini_reader) {
            bool reached = false;
            for (const diagnostic& d : ds)
                reached |= d.message.find(place.message) != std::string::npos;
            EXPECT_TRUE(reached) << test::join(ds);
        }
        for (const diagnostic& d : ds) {
            const std::string text = to_string(d);
            EXPECT_EQ(test::terminal_control_at(text), std::string::npos) << text;
            EXPECT_EQ(text.find('\n'), std::string::npos) << text;
            EXPECT_LE(text.size(), max_rendered_diagnostic_bytes)
                << text.substr(0, 2 * max_rendered_diagnostic_bytes);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Table,
                         HostileConfigValues,
                         ::testing::ValuesIn(hostile_places),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(HostileConfigValues, ASubstitutedNameIsQuotedBounded) {
    // `$name` runs over every name character: a 10 KB one, named in two messages.
    const std::string name(10240, 'n');
    for (const std::string& value : {"$" + name, "${" + name + "}", "$grp." + name}) {
        test::temp_dir dir;
        const auto ds = hostile_one_store(dir, "file", {{"store_description", value}});
        ASSERT_FALSE(ds.empty());
        for (const diagnostic& d : ds) {
            EXPECT_LE(to_string(d).size(), max_rendered_diagnostic_bytes)
                << to_string(d).substr(0, 2048);
        }
    }
}

TEST(DiagnosticText, EscapesEveryPart) {
    const diagnostic d{severity::warning,
                       "conf.d/a\x1b[2J.conf",
                       3,
                       "s\x07",
                       "k\x7f",
                       "store 'x\xC2\x9B"
                       "31m': a\r\nfake line \\ \xFF"};
    EXPECT_EQ(to_string(d),
              "warning: conf.d/a\\x1b[2J.conf:3: [s\\x07] k\\x7f: store 'x\\xc2\\x9b31m': "
              "a\\r\\nfake line \\\\ \\xff");
    // Printable UTF-8 and the usual form are kept.
    EXPECT_EQ(to_string({severity::error, "glance-api.conf", 2, "DEFAULT", "enabled_backends",
                         "store 'caf\xC3\xA9': unknown type"}),
              "glance-api.conf:2: [DEFAULT] enabled_backends: store 'caf\xC3\xA9': unknown type");
}

TEST(DiagnosticText, CutsTheSectionAndKeyLikeAQuotedValue) {
    const std::string section(10240, 's');
    const std::string key(10240, 'k');
    const std::string text = to_string({severity::error, "f", 1, section, key, "m"});
    EXPECT_EQ(text, "f:1: [" + std::string(64, 's') + "...] " + std::string(64, 'k') + "...: m");
}

}  // namespace
}  // namespace imgstore
