// oslo.config's `$` substitution as imgstore applies it to every option it reads
// (doc/config-dialect.md): one row per class, the value of store_description it gives or the
// error it must report at the entry.
#include "detail/substitution.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

#include "imgstore/registry.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Stores s and u (file) and v (s3); store_description of [s] is line 14.
std::string substitution_conf(std::string_view description, std::string_view extra) {
    return "[DEFAULT]\n"
           "enabled_backends = s:file, u:file, v:s3\n"
           "root = /srv\n"
           "[glance_store]\n"
           "default_backend = s\n"
           "[u]\n"
           "filesystem_store_datadir = /srv/u\n"
           "[v]\n"
           "s3_store_host = s3.example.com\n"
           "s3_store_access_key = ak\n"
           "s3_store_secret_key = sk\n"
           "s3_store_bucket = b\n"
           "[s]\n"
           "store_description = " +
           std::string(description) + "\n" + std::string(extra);
}

struct substitution_case {
    std::string_view name;
    std::string_view description;  // the value of [s] store_description
    std::string_view extra;        // more lines, appended after it
    std::string_view expected;     // the description it reads as, or
    std::string_view error;        // a substring of the error at line 14
};

void PrintTo(const substitution_case& c, std::ostream* os) { *os << c.name; }

const substitution_case substitution_cases[] = {
    {"NoDollar", "plain text", "", "plain text", ""},
    {"NameFromDefault", "$root/images", "", "/srv/images", ""},
    {"BracedName", "${root}images", "", "/srvimages", ""},
    {"DoubleDollarIsALiteral", "/srv/$$glance/images", "", "/srv/$glance/images", ""},
    {"BackslashDollarIsALiteral", "\\$root", "", "$root", ""},
    {"DollarAtTheEnd", "cost $", "", "cost $", ""},
    {"DollarBeforeABlank", "a $ b", "", "a $ b", ""},
    {"DollarBeforeADigit", "$1 and $-", "", "$1 and $-", ""},
    {"UnterminatedBrace", "${root", "", "${root", ""},
    {"BraceWithoutAName", "${1x} ${}", "", "${1x} ${}", ""},
    {"AKeyTheStoreTypeDoesNotDeclareIsReadFromDefault", "$root", "root = /mine\n", "/srv", ""},
    {"RegisteredInTheStoreGroup", "$filesystem_store_datadir",
     "filesystem_store_datadir = /srv/s\n", "/srv/s", ""},
    {"RegisteredButUnsetInAStoreGroupIsEmpty", "[$filesystem_store_datadir]", "", "[]", ""},
    {"IntegerAsPythonPrintsIt", "w$weight", "weight = +7\n", "w7", ""},
    {"BooleanAsPythonPrintsIt", "$filesystem_thin_provisioning",
     "filesystem_thin_provisioning = yes\n", "True", ""},
    {"Nested", "$a", "[DEFAULT]\na = $b/a\nb = $root/b\n", "/srv/b/a", ""},
    {"OtherStoreGroup", "$u.filesystem_store_datadir", "", "/srv/u", ""},
    {"OtherPlainGroup", "$glance_store.default_backend", "", "s", ""},
    {"BackendDefaultsGivesTheDefault", "$backend_defaults.filesystem_store_chunk_size", "", "65536",
     ""},
    {"UnknownName", "$nosuch/x", "", "", "$nosuch: no option 'nosuch' in [s] or [DEFAULT]"},
    {"NamesAreCaseSensitive", "$ROOT", "", "", "$ROOT: no option 'ROOT'"},
    {"UnknownGroup", "$nogroup.root", "", "", "$nogroup.root: no option 'root' in [nogroup]"},
    {"TrailingDotIsPartOfTheName", "$root.", "", "", "$root.: no option '' in [root]"},
    {"UnregisteredKeyOfTheStoreGroupIsNotUsed", "$colour", "colour = blue\n", "",
     "$colour: no option 'colour'"},
    {"Cycle", "$a", "[DEFAULT]\na = $b\nb = $a\n", "",
     "$a: substitution cycle [s] store_description -> [default] a -> [default] b -> [default] a"},
    {"SelfReference", "x$store_description", "", "", "$store_description: substitution cycle"},
    {"MultiValuedOption", "$filesystem_store_datadirs", "filesystem_store_datadirs = /a\n", "",
     "$filesystem_store_datadirs: a multi-valued, list or dict option cannot be substituted"},
    {"SecretIntoPlainOption", "$v.s3_store_secret_key", "", "",
     "$s3_store_secret_key: a secret option is never substituted into an option that is not "
     "secret"},
    {"NotAnInteger", "$weight", "[DEFAULT]\n[s]\nweight = x\n", "",
     "$weight: its value is not an integer"},
    {"ExponentialGrowthIsBounded", "$x6", R"([DEFAULT]
x0 = 0123456789012345678901234567890123456789012345678901234567890123456789
x1 = $x0$x0$x0$x0$x0$x0$x0$x0
x2 = $x1$x1$x1$x1$x1$x1$x1$x1
x3 = $x2$x2$x2$x2$x2$x2$x2$x2
x4 = $x3$x3$x3$x3$x3$x3$x3$x3
x5 = $x4$x4$x4$x4$x4$x4$x4$x4
x6 = $x5$x5$x5$x5$x5$x5$x5$x5
)",
     "", "expands to more than 1048576 bytes"},
};

class Substitution : public ::testing::TestWithParam<substitution_case> {};

TEST_P(Substitution, ExpandsAsOsloConfigOrReportsTheEntry) {
    const substitution_case& c = GetParam();
    config_load parsed = parse_config(substitution_conf(c.description, c.extra), "glance-api.conf");
    ASSERT_TRUE(parsed.ok()) << test::join(parsed.diagnostics);
    load_result r = store_registry::build(parsed.config);
    if (c.error.empty()) {
        ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
        EXPECT_EQ(r.registry->find("s")->description(), c.expected);
        return;
    }
    ASSERT_FALSE(r.ok());
    std::vector<std::string> errors;
    for (const diagnostic& d : r.diagnostics) {
        if (d.level == severity::error) errors.push_back(to_string(d));
    }
    // The entry's own error (a referenced option may have one of its own too).
    EXPECT_THAT(errors, ::testing::Contains(HasSubstr(
                            "glance-api.conf:14: [s] store_description: " + std::string(c.error))))
        << test::join(r.diagnostics);
}

INSTANTIATE_TEST_SUITE_P(Table,
                         Substitution,
                         ::testing::ValuesIn(substitution_cases),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(Substitution, AnUnsetStoreOptionReadsAsEmptyWithAWarning) {
    config_load parsed =
        parse_config(substitution_conf("[$filesystem_store_datadir]", ""), "glance-api.conf");
    load_result r = store_registry::build(parsed.config);
    ASSERT_TRUE(r.ok());
    EXPECT_THAT(test::join(r.diagnostics),
                HasSubstr("warning: glance-api.conf:14: [s] store_description: "
                          "$filesystem_store_datadir: filesystem_store_datadir is not set in [s]; "
                          "glance substitutes an empty string"));
}

TEST(Substitution, AppliesToEveryValueOfAMultiValuedOption) {
    config_load parsed = parse_config(substitution_conf("d",
                                                        "filesystem_store_datadirs = $root/a\n"
                                                        "filesystem_store_datadirs = ${root}/b\n"),
                                      "glance-api.conf");
    load_result r = store_registry::build(parsed.config);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.registry->find("s")->url_prefixes(),
                ElementsAre("file:///srv/a/", "file:///srv/b/"));
}

TEST(Substitution, AppliesToEnabledBackendsAndDefaultBackend) {
    config_load parsed = parse_config(R"([DEFAULT]
enabled_backends = a:file, $more
more = b:file
first = a
[glance_store]
default_backend = $first
[b]
filesystem_store_datadir = /srv/$$b
)",
                                      "glance-api.conf");
    load_result r = store_registry::build(parsed.config);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(r.registry->default_store().id(), "a");
    EXPECT_THAT(r.registry->find("b")->url_prefixes(), ElementsAre("file:///srv/$b/"));

    config_load bad = parse_config(
        "[DEFAULT]\nenabled_backends = a:file\n[glance_store]\ndefault_backend = $nope\n",
        "glance-api.conf");
    load_result e = store_registry::build(bad.config);
    ASSERT_FALSE(e.ok());
    EXPECT_THAT(test::join(e.diagnostics),
                HasSubstr("glance-api.conf:4: [glance_store] default_backend: $nope: no option"));
}

TEST(Substitution, ASecretsErrorsNeverShowItsText) {
    for (std::string_view value : {"pa$Hunter2word", "${Hunter2}", "x$Hunter2.y"}) {
        config_load parsed = parse_config(
            substitution_conf("d", "[v]\ns3_store_secret_key = " + std::string(value) + "\n"),
            "glance-api.conf");
        load_result r = store_registry::build(parsed.config);
        ASSERT_FALSE(r.ok()) << value;
        const std::string text = test::join(r.diagnostics);
        EXPECT_THAT(text, HasSubstr("s3_store_secret_key: holds a '$' that names no option"));
        EXPECT_EQ(text.find("Hunter2"), std::string::npos) << text;
    }
    // A secret may use another secret, and $$ for a literal $.
    config_load ok =
        parse_config(substitution_conf("d",
                                       "[v]\ns3_store_access_key = $s3_store_secret_key\n"
                                       "s3_store_secret_key = pa$$word\n"),
                     "glance-api.conf");
    load_result r = store_registry::build(ok.config);
    EXPECT_TRUE(r.ok()) << test::join(r.diagnostics);
}

}  // namespace
}  // namespace imgstore
