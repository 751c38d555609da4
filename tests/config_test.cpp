#include "imgstore/config.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "imgstore/registry.hpp"
#include "test_util.hpp"
#include "tsv_table.hpp"

namespace imgstore {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const fs::path config_dir = fs::path(test::data_dir) / "config";

std::string fixture(std::string_view name) { return (config_dir / name).string(); }

std::string value_of(const glance_config& c, std::string_view section, std::string_view key) {
    const config_entry* e = c.last(section, key);
    return e ? e->value : "<unset>";
}

std::vector<std::string> values_of(const glance_config& c,
                                   std::string_view section,
                                   std::string_view key) {
    std::vector<std::string> out;
    for (const config_entry* e : c.all(section, key)) out.push_back(e->value);
    return out;
}

std::vector<std::string> messages(const std::vector<diagnostic>& ds) {
    std::vector<std::string> out;
    for (const auto& d : ds) out.push_back(d.message);
    return out;
}

// ---------------------------------------------------------------------------------------------
// The table: one fixture per problem class, its mode, and the diagnostic it must produce.

struct config_case {
    std::string fixture;
    std::string mode;  // read, load, strict
    bool ok = false;
    severity level = severity::error;
    std::uint32_t line = 0;
    std::string section;
    std::string key;
    std::string message;
    std::string name;
};

void PrintTo(const config_case& c, std::ostream* os) { *os << c.fixture << " (" << c.mode << ")"; }

std::vector<config_case> load_cases() {
    std::vector<config_case> out;
    for (const auto& row : test::read_tsv((config_dir / "cases.tsv").string(), 8)) {
        config_case c;
        c.fixture = row.field(0);
        c.mode = row.field(1);
        c.ok = row.field(2) == "ok";
        c.level = row.field(3) == "warning" ? severity::warning : severity::error;
        c.line = static_cast<std::uint32_t>(std::stoul(row.field(4)));
        c.section = row.field(5);
        c.key = row.field(6);
        c.message = row.field(7);
        c.name = test::row_name(c.fixture + "_" + c.mode, row.line);
        out.push_back(std::move(c));
    }
    return out;
}

class ConfigCases : public ::testing::TestWithParam<config_case> {};

TEST_P(ConfigCases, ReportsTheProblemWithMessageAndLocation) {
    const config_case& c = GetParam();
    const std::string path = fixture(c.fixture);
    ASSERT_TRUE(fs::exists(path)) << path;
    std::vector<diagnostic> diags;
    bool ok = false;
    if (c.mode == "read") {
        config_load read = read_config({.files = {path}});
        ok = read.ok();
        diags = std::move(read.diagnostics);
    } else {
        ASSERT_THAT(c.mode, ::testing::AnyOf("load", "strict"));
        registry_options options;
        options.strict = c.mode == "strict";
        load_result r = store_registry::load({.files = {path}}, options);
        ok = r.ok();
        EXPECT_EQ(r.registry != nullptr, !has_errors(r.diagnostics));
        diags = std::move(r.diagnostics);
    }
    EXPECT_EQ(ok, c.ok) << test::join(diags);
    const diagnostic expected{c.level, c.line == 0 ? "" : path, c.line, c.section, c.key, ""};
    auto same_place = [&](const diagnostic& d) {
        return d.level == expected.level && d.file == expected.file && d.line == expected.line &&
               d.section == expected.section && d.key == expected.key &&
               d.message.find(c.message) != std::string::npos;
    };
    EXPECT_TRUE(std::any_of(diags.begin(), diags.end(), same_place))
        << "expected: " << to_string(expected) << c.message << "\ngot:\n"
        << test::join(diags);
}

INSTANTIATE_TEST_SUITE_P(Fixtures,
                         ConfigCases,
                         ::testing::ValuesIn(load_cases()),
                         [](const auto& row) { return row.param.name; });

TEST(ConfigCases, EveryFixtureIsUsed) {
    std::vector<std::string> used;
    for (const auto& c : load_cases()) used.push_back(c.fixture);
    for (const auto& entry : fs::directory_iterator(config_dir)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_regular_file() || !name.ends_with(".conf")) continue;
        // Fixtures that load cleanly are used by the named tests below.
        static const std::vector<std::string> clean{
            "crlf_bom.conf",       "multistore.conf",       "override_base.conf",
            "override_later.conf", "backend_defaults.conf", "description_weight.conf",
            "eb_max_id.conf"};
        if (std::find(clean.begin(), clean.end(), name) != clean.end()) continue;
        EXPECT_NE(std::find(used.begin(), used.end(), name), used.end())
            << name << " is not in cases.tsv";
    }
}

// ---------------------------------------------------------------------------------------------
// The dialect: what is accepted and what each value reads as.

TEST(ConfigDialect, AcceptsByteOrderMarkAndCrlfLineEnds) {
    config_load r = read_config({.files = {fixture("crlf_bom.conf")}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.diagnostics, IsEmpty());
    EXPECT_EQ(value_of(r.config, "DEFAULT", "enabled_backends"), "fast:file");
    EXPECT_EQ(value_of(r.config, "fast", "filesystem_store_datadir"), "/srv/images");
    // The continuation line belongs to the key on line 6; no '\r' survives.
    EXPECT_EQ(value_of(r.config, "fast", "store_description"), "two\nlines");
    EXPECT_EQ(r.config.last("fast", "store_description")->line, 6u);
    EXPECT_EQ(r.config.section_names(), (std::vector<std::string>{"DEFAULT", "fast"}));
}

TEST(ConfigDialect, AcceptsLoneCarriageReturnsAsLineEnds) {
    config_load r = parse_config("[a]\rx = 1\r\ny = 2\r");
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(value_of(r.config, "a", "x"), "1");
    EXPECT_EQ(r.config.last("a", "y")->line, 3u);
}

TEST(ConfigDialect, StripsOnePairOfMatchingQuotes) {
    config_load r = read_config({.files = {fixture("multistore.conf")}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(value_of(r.config, "fast", "store_description"), "Fast SSD");
    EXPECT_EQ(value_of(r.config, "cheap", "store_description"), "Cheap HDD");

    config_load q = parse_config(
        "[q]\n"
        "mixed = \"x'\n"
        "double = \"\"inner\"\"\n"
        "inside = a \"b\" c\n"
        "spaced =   ' padded '  \n"
        "empty = ''\n");
    ASSERT_TRUE(q.ok()) << test::join(q.diagnostics);
    EXPECT_EQ(value_of(q.config, "q", "mixed"), "\"x'");        // not a matching pair
    EXPECT_EQ(value_of(q.config, "q", "double"), "\"inner\"");  // one pair only
    EXPECT_EQ(value_of(q.config, "q", "inside"), "a \"b\" c");
    EXPECT_EQ(value_of(q.config, "q", "spaced"), " padded ");  // stripped, then unquoted
    EXPECT_EQ(value_of(q.config, "q", "empty"), "");
}

TEST(ConfigDialect, SplitsAtTheFirstEqualsOrColonAndStripsBothSides) {
    config_load r = parse_config(
        "[s]\n"
        "url = http://host:80/x\n"
        "ratio: a=b\n"
        "\tnot_a_key\n"
        "  spaced key  =  v  \n"
        "after\t =\t v \t\n");
    // line 4 continues `ratio`, so it is part of that value and no error.
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(value_of(r.config, "s", "url"), "http://host:80/x");
    EXPECT_EQ(value_of(r.config, "s", "ratio"), "a=b\nnot_a_key\nspaced key  =  v");
    EXPECT_EQ(value_of(r.config, "s", "spaced key"), "<unset>");  // indented: a continuation
    EXPECT_EQ(value_of(r.config, "s", "after"), "v");
}

TEST(ConfigDialect, JoinsContinuationLinesWithNewlines) {
    config_load r = read_config({.files = {fixture("multistore.conf")}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(value_of(r.config, "DEFAULT", "enabled_backends"),
              "fast:file, cheap:file,\nweb:http");
    EXPECT_EQ(r.config.last("DEFAULT", "enabled_backends")->line, 4u);
    // ... and enabled_backends reads the joined value as one list.
    load_result built = store_registry::build(r.config);
    ASSERT_TRUE(built.ok()) << test::join(built.diagnostics);
    EXPECT_NE(built.registry->find("web"), nullptr);
}

TEST(ConfigDialect, BlankLineEndsAValue) {
    config_load r = read_config({.files = {fixture("unexpected_continuation.conf")}});
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(value_of(r.config, "fast", "filesystem_store_datadir"), "/var/lib/glance/images");
}

TEST(ConfigDialect, ColumnOneCommentEndsAValueAsInOslo) {
    config_load r = parse_config("[a]\nx = 1\n# note\n  2\n; other\ny = 3\n");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(value_of(r.config, "a", "x"), "1");
    EXPECT_EQ(value_of(r.config, "a", "y"), "3");
    ASSERT_EQ(r.diagnostics.size(), 1u) << test::join(r.diagnostics);
    EXPECT_EQ(r.diagnostics[0].line, 4u);
}

TEST(ConfigDialect, IndentedCommentInsideAValueBecomesPartOfIt) {
    config_load r = read_config({.files = {fixture("indented_comment_in_value.conf")}});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(value_of(r.config, "fast", "filesystem_store_datadir"),
              "/srv/images\n# old: /srv/old");
}

TEST(ConfigDialect, InlineHashIsPartOfThePathAndWarnsOnlyForPathLikeValues) {
    config_load r = read_config({.files = {fixture("inline_hash.conf")}});
    EXPECT_EQ(value_of(r.config, "fast", "filesystem_store_datadir"),
              "/srv/images # the fast disks");
    ASSERT_EQ(r.diagnostics.size(), 1u);

    config_load plain = parse_config("[a]\nstore_description = disks # fast\nx = /a#b\n");
    EXPECT_THAT(plain.diagnostics, IsEmpty()) << test::join(plain.diagnostics);
    EXPECT_EQ(value_of(plain.config, "a", "store_description"), "disks # fast");
}

TEST(ConfigDialect, RepeatedKeyLastWinsAndTheWarningNamesBothLines) {
    config_load r = read_config({.files = {fixture("repeated_key.conf")}});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(value_of(r.config, "fast", "filesystem_store_datadir"), "/srv/b");
    EXPECT_THAT(values_of(r.config, "fast", "filesystem_store_datadir"),
                ElementsAre("/srv/a", "/srv/b"));
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_THAT(r.diagnostics[0].message, HasSubstr("line 4"));
    EXPECT_THAT(r.diagnostics[0].message, HasSubstr("line 2"));

    // Three times: each warning names the line it overrides.
    config_load thrice = parse_config("[a]\nk = 1\nk = 2\nk = 3\n");
    EXPECT_THAT(messages(thrice.diagnostics),
                ElementsAre("repeated in this section; line 3 wins over line 2",
                            "repeated in this section; line 4 wins over line 3"));
    // The same key in a section that is written twice (any case) is still repeated.
    config_load split = parse_config("[a]\nk = 1\n[b]\nk = 2\n[A]\nk = 3\n");
    ASSERT_EQ(split.diagnostics.size(), 1u) << test::join(split.diagnostics);
    EXPECT_EQ(split.diagnostics[0].line, 6u);
    EXPECT_EQ(value_of(split.config, "a", "k"), "3");
}

// glance_store reads the swift reference file with Python's configparser (strict), not
// oslo.config: what glance-api.conf merges, that file refuses.
struct reference_repeat_case {
    std::string_view name;
    std::string_view file;     // glance-swift.conf
    std::string_view message;  // a substring of the error; empty: the file is accepted
    std::uint32_t line = 0;
    std::string_view section;
    std::string_view key;
};

constexpr std::string_view repeat_ref1 =
    "[ref1]\nuser = u\nkey = k\nauth_address = https://keystone.example.com/v3\n";

const reference_repeat_case reference_repeat_cases[] = {
    {"DuplicateSection",
     "[ref1]\nuser = u\nkey = k\n[ref2]\nuser = v\n[ref1]\n"
     "auth_address = https://keystone.example.com/v3\n",
     "section repeats line 1", 6, "ref1", ""},
    {"DuplicateSectionWithoutEntries", "[ref1]\nuser = u\nkey = k\nauth_address = h\n[ref1]\n",
     "(DuplicateSectionError)", 5, "ref1", ""},
    {"DuplicateKeyInOneSection",
     "[ref1]\nuser = u\nkey = k\nauth_address = https://keystone.example.com/v3\nkey = k2\n",
     "repeats the key of line 3", 5, "ref1", "key"},
    {"DuplicateKeyInAnotherCase",
     "[ref1]\nuser = u\nkey = k\nauth_address = https://keystone.example.com/v3\nKey = k2\n",
     "(DuplicateOptionError)", 5, "ref1", "Key"},
    {"DuplicateKeyHoldingASecretIsNotEchoed",
     "[ref1]\nuser = u\nkey = k\nauth_address = https://keystone.example.com/v3\n"
     "key = SENTINEL-7a31\n",
     "repeats the key of line 3", 5, "ref1", "key"},
    {"SectionsDifferingOnlyInCase",
     "[ref1]\nuser = u\nkey = k\nauth_address = https://keystone.example.com/v3\n[REF1]\n",
     "differs from [ref1] of line 1 only in case", 5, "REF1", ""},
    {"DuplicateKeyInRepeatedDefault", "[DEFAULT]\nx = 1\n[ref1]\nuser = u\n[DEFAULT]\nx = 2\n",
     "repeats the key of line 2", 6, "DEFAULT", "x"},
    {"KeysInAnyCaseAreReadLowerCasedAsConfigparserReadsThem",
     "[ref1]\nUser = u\nKEY = k\nAuth_Address = https://keystone.example.com/v3\n", "", 0, "", ""},
    {"SameKeyInTwoSectionsIsFine",
     "[ref1]\nuser = u\nkey = k\nauth_address = https://keystone.example.com/v3\n"
     "[ref2]\nuser = u\nkey = k\nauth_address = https://keystone.example.com/v3\n",
     "", 0, "", ""},
};

class ReferenceFileRepeats : public ::testing::TestWithParam<reference_repeat_case> {};

TEST_P(ReferenceFileRepeats, AreRefusedAtTheSecondOccurrenceAsConfigparserRefusesThem) {
    const reference_repeat_case& c = GetParam();
    test::temp_dir dir;
    const auto api = dir.write("glance-api.conf",
                               "[DEFAULT]\nenabled_backends = s:swift\n[glance_store]\n"
                               "default_backend = s\n[s]\n"
                               "swift_store_config_file = glance-swift.conf\n");
    const auto swift = dir.write("glance-swift.conf", c.file).string();
    load_result r = store_registry::load({.files = {api}});
    if (c.message.empty()) {
        EXPECT_TRUE(r.ok()) << test::join(r.diagnostics);
        EXPECT_THAT(r.diagnostics, IsEmpty()) << test::join(r.diagnostics);
        return;
    }
    EXPECT_FALSE(r.ok());
    const diagnostic* found = nullptr;
    for (const diagnostic& d : r.diagnostics) {
        if (d.message.find(c.message) != std::string::npos) found = &d;
    }
    ASSERT_NE(found, nullptr) << test::join(r.diagnostics);
    EXPECT_EQ(found->level, severity::error);
    EXPECT_EQ(found->file, swift);
    EXPECT_EQ(found->line, c.line) << to_string(*found);
    EXPECT_EQ(found->section, c.section) << to_string(*found);
    EXPECT_EQ(found->key, c.key) << to_string(*found);
    EXPECT_THAT(test::join(r.diagnostics), Not(HasSubstr("SENTINEL")));
}

INSTANTIATE_TEST_SUITE_P(Table,
                         ReferenceFileRepeats,
                         ::testing::ValuesIn(reference_repeat_cases),
                         [](const auto& row) { return std::string(row.param.name); });

// configparser's [DEFAULT] in the swift reference file: every reference's defaults (a key of
// the reference wins), never a reference itself.
TEST(ConfigDialect, TheReferenceFilesDefaultSectionGivesDefaultsAndIsNoReference) {
    test::temp_dir dir;
    const auto write_api = [&](std::string_view reference) {
        return dir.write("glance-api.conf",
                         fmt::format("[DEFAULT]\nenabled_backends = s:swift\n[glance_store]\n"
                                     "default_backend = s\n[s]\n"
                                     "swift_store_config_file = glance-swift.conf\n"
                                     "default_swift_reference = {}\n",
                                     reference));
    };
    dir.write("glance-swift.conf",
              "[DEFAULT]\nauth_address = https://keystone.example.com/v3\nuser = shared\n"
              "[ref1]\nuser = u\nkey = k\n"
              "[ref2]\nkey = k2\nauth_address = https://other.example.com/v3\n");
    load_result ok = store_registry::load({.files = {write_api("ref1")}});
    EXPECT_TRUE(ok.ok()) << test::join(ok.diagnostics);
    EXPECT_THAT(ok.diagnostics, IsEmpty()) << test::join(ok.diagnostics);
    load_result other = store_registry::load({.files = {write_api("ref2")}});
    EXPECT_TRUE(other.ok()) << test::join(other.diagnostics);
    load_result not_a_reference = store_registry::load({.files = {write_api("DEFAULT")}});
    EXPECT_FALSE(not_a_reference.ok());
    EXPECT_THAT(test::join(not_a_reference.diagnostics),
                HasSubstr("is not a section of the swift reference file"));
    // Without the defaults, ref1 has no auth_address.
    dir.write("glance-swift.conf", "[ref1]\nuser = u\nkey = k\n");
    load_result bare = store_registry::load({.files = {write_api("ref1")}});
    EXPECT_FALSE(bare.ok());
    EXPECT_THAT(test::join(bare.diagnostics), HasSubstr("reference has no auth_address"));
}

TEST(ConfigDialect, RepeatedSectionsOfTheApiConfigStillMerge) {
    // oslo.config merges a section written twice and lets the last value of a key win: the
    // swift reference file's configparser rules do not apply to glance-api.conf.
    config_load r = parse_config(
        "[DEFAULT]\nenabled_backends = a:file\n[glance_store]\ndefault_backend = a\n"
        "[a]\nfilesystem_store_datadir = /srv/x\n[A]\nweight = 5\n[a]\n"
        "filesystem_store_datadir = /srv/y\n");
    EXPECT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(messages(r.diagnostics),
                ElementsAre("repeated in this section; line 10 wins over line 6"));
    load_result built = store_registry::build(r.config);
    ASSERT_TRUE(built.ok()) << test::join(built.diagnostics);
    EXPECT_EQ(built.registry->find("a")->weight(), 5);
    EXPECT_THAT(built.registry->find("a")->url_prefixes(), ElementsAre("file:///srv/y/"));
}

TEST(ConfigDialect, MultiValuedOptionsAccumulateWithoutWarning) {
    config_load r = read_config({.files = {fixture("multistore.conf")}});
    ASSERT_TRUE(r.ok());
    EXPECT_THAT(r.diagnostics, IsEmpty()) << test::join(r.diagnostics);
    EXPECT_THAT(values_of(r.config, "cheap", "filesystem_store_datadirs"),
                ElementsAre("/srv/cheap1:100", "/srv/cheap2:50"));
    load_result built = store_registry::build(r.config);
    ASSERT_TRUE(built.ok()) << test::join(built.diagnostics);
    EXPECT_THAT(built.registry->find("cheap")->url_prefixes(),
                ElementsAre("file:///srv/cheap1/", "file:///srv/cheap2/"));

    config_load vm =
        parse_config("[vm]\nvmware_datastores = dc1:ds1\nvmware_datastores = dc1:ds2:10\n");
    EXPECT_THAT(vm.diagnostics, IsEmpty());
    EXPECT_THAT(values_of(vm.config, "vm", "vmware_datastores"),
                ElementsAre("dc1:ds1", "dc1:ds2:10"));
}

TEST(ConfigDialect, SectionNamesAreCaseInsensitive) {
    config_load r = parse_config("[Fast]\na = 1\n[FAST]\nb = 2\n");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.config.has_section("fast"));
    EXPECT_EQ(value_of(r.config, "fast", "a"), "1");
    EXPECT_EQ(value_of(r.config, "fAsT", "b"), "2");
    EXPECT_EQ(r.config.section("FAST").size(), 2u);
    EXPECT_EQ(r.config.section_names(), (std::vector<std::string>{"Fast"}));  // as first written
    EXPECT_EQ(value_of(r.config, "fast", "A"), "<unset>");                    // keys are exact
}

TEST(ConfigDialect, BadBytesAreReportedWithoutEchoingThemAndTheRestIsRead) {
    config_load r = read_config({.files = {fixture("invalid_utf8.conf")}});
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(value_of(r.config, "DEFAULT", "enabled_backends"), "fast:file");
    EXPECT_EQ(value_of(r.config, "fast", "store_description"), "<unset>");
    for (const auto& d : r.diagnostics) {
        EXPECT_EQ(d.message.find('\xC3'), std::string::npos);
        EXPECT_EQ(d.message.find("caf"), std::string::npos);
    }
    config_load nul = read_config({.files = {fixture("nul_byte.conf")}});
    EXPECT_EQ(value_of(nul.config, "fast", "filesystem_store_datadir"), "<unset>");
    for (const auto& d : nul.diagnostics) EXPECT_EQ(d.message.find('\0'), std::string::npos);

    // Overlong forms, surrogates and code points above U+10FFFF are not UTF-8.
    for (std::string_view bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
        config_load b = parse_config("[a]\nk = x" + std::string(bad) + "\n");
        EXPECT_FALSE(b.ok()) << "accepted bytes of size " << bad.size();
    }
    config_load good = parse_config("[a]\nk = caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\n");
    EXPECT_TRUE(good.ok()) << test::join(good.diagnostics);
}

TEST(ConfigDialect, ReportsEveryProblemOfAFileAtOnce) {
    config_load r = parse_config("k = 1\n[a\n[b]\nno separator\n= v\n\n  \tstray\n", "x.conf");
    EXPECT_FALSE(r.ok());
    std::vector<std::uint32_t> lines;
    for (const auto& d : r.diagnostics) {
        EXPECT_EQ(d.file, "x.conf");
        lines.push_back(d.line);
    }
    EXPECT_THAT(lines, ElementsAre(1u, 2u, 4u, 5u, 7u)) << test::join(r.diagnostics);
}

// ---------------------------------------------------------------------------------------------
// Files: --config-file order, --config-dir, missing inputs and limits.

TEST(ConfigFiles, LaterConfigFileOverridesEarlierWithoutWarning) {
    config_load r =
        read_config({.files = {fixture("override_base.conf"), fixture("override_later.conf")}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.diagnostics, IsEmpty()) << test::join(r.diagnostics);
    const config_entry* dir = r.config.last("fast", "filesystem_store_datadir");
    ASSERT_NE(dir, nullptr);
    EXPECT_EQ(dir->value, "/srv/later");
    EXPECT_EQ(dir->file, fixture("override_later.conf"));
    EXPECT_EQ(value_of(r.config, "fast", "store_description"), "from base");

    load_result built = store_registry::load(
        {.files = {fixture("override_base.conf"), fixture("override_later.conf")}});
    ASSERT_TRUE(built.ok()) << test::join(built.diagnostics);
    EXPECT_THAT(built.registry->find("fast")->url_prefixes(), ElementsAre("file:///srv/later/"));

    config_load reversed =
        read_config({.files = {fixture("override_later.conf"), fixture("override_base.conf")}});
    EXPECT_EQ(value_of(reversed.config, "fast", "filesystem_store_datadir"), "/srv/base");
}

TEST(ConfigFiles, ConfigDirConfFilesAreReadSortedAfterTheFiles) {
    config_load r =
        read_config({.files = {fixture("override_base.conf")}, .directory = config_dir / "dir"});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.diagnostics, IsEmpty()) << test::join(r.diagnostics);
    // The directory comes after the files, 10-first before 20-second; .txt, .orig and hidden
    // files are not read.
    EXPECT_EQ(value_of(r.config, "fast", "filesystem_store_datadir"), "/srv/dir10");
    EXPECT_EQ(value_of(r.config, "fast", "store_description"), "from dir 20");
    EXPECT_EQ(value_of(r.config, "fast", "weight"), "10");
    std::vector<std::string> files;
    for (const auto& e : r.config.entries()) {
        const std::string name = fs::path(e.file).filename().string();
        if (files.empty() || files.back() != name) files.push_back(name);
    }
    EXPECT_THAT(files, ElementsAre("override_base.conf", "10-first.conf", "20-second.conf"));

    // A directory alone is a whole config source too.
    config_load only_dir = read_config({.directory = config_dir / "dir"});
    EXPECT_TRUE(only_dir.ok());
    EXPECT_EQ(value_of(only_dir.config, "fast", "store_description"), "from dir 20");
}

TEST(ConfigFiles, ConfigDirEntryThatIsNotAFileIsAWarning) {
    test::temp_dir dir;
    dir.write("a.conf", "[a]\nk = 1\n");
    dir.write("sub.conf/inner.conf", "[a]\nk = 2\n");
    config_load r = read_config({.directory = dir.path()});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(value_of(r.config, "a", "k"), "1");
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_EQ(r.diagnostics[0].level, severity::warning);
    EXPECT_EQ(r.diagnostics[0].file, (dir.path() / "sub.conf").string());
    EXPECT_THAT(r.diagnostics[0].message, HasSubstr("not a regular file"));
}

TEST(ConfigFiles, ReportsMissingFilesAndDirectoriesByNameAndReadsTheRest) {
    test::temp_dir dir;
    const std::string missing_file = (dir.path() / "nope.conf").string();
    const std::string missing_dir = (dir.path() / "nope.d").string();
    config_load r = read_config(
        {.files = {missing_file, fixture("override_base.conf")}, .directory = missing_dir});
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(
        r.diagnostics,
        ElementsAre(
            diagnostic{severity::error, missing_file, 0, "", "", "config file not found"},
            diagnostic{severity::error, missing_dir, 0, "", "", "config directory not found"}));
    EXPECT_EQ(value_of(r.config, "fast", "store_description"), "from base");

    config_load swapped =
        read_config({.files = {dir.path()}, .directory = fixture("crlf_bom.conf")});
    ASSERT_EQ(swapped.diagnostics.size(), 2u);
    EXPECT_EQ(swapped.diagnostics[0].file, dir.path().string());
    EXPECT_THAT(swapped.diagnostics[0].message, HasSubstr("is a directory"));
    EXPECT_EQ(swapped.diagnostics[1].file, fixture("crlf_bom.conf"));
    EXPECT_THAT(swapped.diagnostics[1].message, HasSubstr("is not a directory"));

    load_result built = store_registry::load({.files = {missing_file}});
    EXPECT_FALSE(built.ok());
    EXPECT_THAT(test::join(built.diagnostics), HasSubstr(missing_file + ": config file not found"));
}

TEST(ConfigFiles, RejectsAFileOverTheEightMebibyteLimit) {
    test::temp_dir dir;
    const std::size_t limit = 8u << 20;
    std::string text = "[a]\nk = 1\n";
    text.resize(limit, '#');  // the rest is one long comment line
    text.back() = '\n';
    const auto at_limit = dir.write("at-limit.conf", text);
    config_load fits = read_config({.files = {at_limit}});
    EXPECT_TRUE(fits.ok()) << test::join(fits.diagnostics);
    EXPECT_EQ(value_of(fits.config, "a", "k"), "1");

    text += '\n';
    const auto over = dir.write("over.conf", text);
    config_load r = read_config({.files = {over}});
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(r.diagnostics,
                ElementsAre(diagnostic{severity::error, over.string(), 0, "", "",
                                       "config file is larger than the limit of 8388608 bytes"}));
    EXPECT_EQ(value_of(r.config, "a", "k"), "<unset>");  // nothing of it is used
}

TEST(ConfigFiles, TheSizeLimitIsConfigurableAndAppliesToTextAndDirectories) {
    const config_limits small{.max_file_bytes = 16};
    config_load r = read_config({.files = {fixture("repeated_key.conf")}}, small);
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(r.diagnostics[0].message, HasSubstr("limit of 16 bytes"));

    config_load text = parse_config("[a]\nkey = 0123456789\n", "inline.conf", small);
    ASSERT_EQ(text.diagnostics.size(), 1u);
    EXPECT_EQ(text.diagnostics[0].file, "inline.conf");

    config_load in_dir = read_config({.directory = config_dir / "dir"}, small);
    EXPECT_FALSE(in_dir.ok());
    EXPECT_EQ(in_dir.diagnostics[0].file, fixture("dir/10-first.conf"));

    load_result built =
        store_registry::load({.files = {fixture("override_base.conf")}}, {.limits = small});
    EXPECT_FALSE(built.ok());
}

TEST(ConfigFiles, ReadsAStreamThatIsNotARegularFile) {
    // /dev/stdin-like inputs (process substitution) have no size: the limit applies as read.
    if (!fs::exists("/dev/null")) GTEST_SKIP() << "no /dev/null";
    config_load r = read_config({.files = {"/dev/null"}});
    EXPECT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_TRUE(r.config.entries().empty());
}

// ---------------------------------------------------------------------------------------------
// Stores: [backend_defaults], store_description, weight, limits, ids.

const store_option* option_of(const store& s, std::string_view name) {
    for (const auto& o : s.options()) {
        if (o.name == name) return &o;
    }
    return nullptr;
}

TEST(StoreConfig, FallsBackToBackendDefaultsThenToTheBuiltInDefault) {
    load_result r = store_registry::load({.files = {fixture("backend_defaults.conf")}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    const store& fast = *r.registry->find("fast");
    const store& cheap = *r.registry->find("cheap");
    const store_option* own = option_of(fast, "filesystem_store_chunk_size");
    ASSERT_NE(own, nullptr);
    EXPECT_EQ(own->value, "4096");
    EXPECT_EQ(own->from, store_option::origin::store_section);
    const store_option* shared = option_of(cheap, "filesystem_store_chunk_size");
    EXPECT_EQ(shared->value, "131072");
    EXPECT_EQ(shared->from, store_option::origin::backend_defaults);
    const store_option* builtin = option_of(cheap, "filesystem_store_file_perm");
    EXPECT_EQ(builtin->value, "0");
    EXPECT_EQ(builtin->from, store_option::origin::builtin_default);
    // Options that feed the prefix fall back too ([ceph] is empty).
    EXPECT_THAT(r.registry->find("ceph")->url_prefixes(),
                ElementsAre("rbd://6f2c1a3e-0e45-4c1b-9e0f-0123456789ab/shared/"));
    // [CHEAP] is cheap's section: oslo lower-cases group names.
    EXPECT_THAT(cheap.url_prefixes(), ElementsAre("file:///srv/cheap/"));
    EXPECT_EQ(fast.weight(), 7);
}

TEST(StoreConfig, ReservedStoresIgnoreTheBackendDefaultsDataDirectory) {
    // Upstream HEAD (R11): a reserved store with no datadir of its own inherits
    // [backend_defaults] and lands in the images directory; it keeps /var/lib/glance/<id>.
    config_load c = parse_config(
        "[DEFAULT]\nenabled_backends = fast:file\n[glance_store]\ndefault_backend = fast\n"
        "[backend_defaults]\nfilesystem_store_datadir = /srv/images\n"
        "[os_glance_tasks_store]\nfilesystem_store_datadir = /srv/tasks\n");
    ASSERT_TRUE(c.ok());
    load_result r = store_registry::build(c.config);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.registry->find("fast")->url_prefixes(), ElementsAre("file:///srv/images/"));
    EXPECT_THAT(r.registry->find("os_glance_staging_store")->url_prefixes(),
                ElementsAre("file:///var/lib/glance/os_glance_staging_store/"));
    EXPECT_THAT(r.registry->find("os_glance_tasks_store")->url_prefixes(),
                ElementsAre("file:///srv/tasks/"));
}

TEST(StoreConfig, ReadsStoreDescriptionAndWeightOnEveryStore) {
    load_result r = store_registry::load({.files = {fixture("description_weight.conf")}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    const store_registry& reg = *r.registry;
    EXPECT_EQ(reg.find("fast")->description(), "Fast SSD, replicated");
    EXPECT_EQ(reg.find("fast")->weight(), 100);
    EXPECT_EQ(reg.find("cheap")->description(), "");
    EXPECT_EQ(reg.find("cheap")->weight(), -5);
    EXPECT_EQ(reg.find("web")->weight(), 0);
    EXPECT_EQ(reg.find("os_glance_staging_store")->weight(), 0);
    EXPECT_THAT(to_string(reg), HasSubstr("description: Fast SSD, replicated"));
}

TEST(StoreConfig, AcceptsIdsOfUpToSixtyFourAllowedCharacters) {
    load_result r = store_registry::load({.files = {fixture("eb_max_id.conf")}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_EQ(r.registry->default_store().id(), "a.b_c-D");
    const std::string longest = "s123456789012345678901234567890123456789012345678901234567890123";
    ASSERT_EQ(longest.size(), 64u);
    ASSERT_NE(r.registry->find(longest), nullptr);
    EXPECT_THAT(r.registry->find(longest)->url_prefixes(),
                ElementsAre("cinder://" + longest + "/"));
}

// `n` cinder stores (they need no section), declared on line 2 of the file.
std::string many_stores(std::size_t n) {
    std::string text = "[DEFAULT]\nenabled_backends = ";
    for (std::size_t i = 0; i < n; ++i) {
        if (i) text += ", ";
        text += "c" + std::to_string(i) + ":cinder";
    }
    return text + "\n[glance_store]\ndefault_backend = c0\n";
}

TEST(StoreConfig, RejectsMoreThanOneHundredThousandStores) {
    // 99,999 operator stores + the 2 reserved ones = 100,001.
    test::temp_dir dir;
    const auto path = dir.write("many.conf", many_stores(99'999));
    load_result r = store_registry::load({.files = {path}});
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(r.diagnostics, ElementsAre(diagnostic{severity::error, path.string(), 2, "DEFAULT",
                                                      "enabled_backends",
                                                      "100001 stores exceed the limit of 100000"}));
}

TEST(StoreConfig, TheStoreLimitCountsReservedStoresAndIsInclusive) {
    config_load three = parse_config(many_stores(3));
    registry_options five;
    five.max_stores = 5;
    load_result at_limit = store_registry::build(three.config, five);
    EXPECT_TRUE(at_limit.ok()) << test::join(at_limit.diagnostics);
    EXPECT_EQ(at_limit.registry->stores().size(), 5u);

    config_load four = parse_config(many_stores(4));
    load_result over = store_registry::build(four.config, five);
    EXPECT_FALSE(over.ok());
    EXPECT_THAT(test::join(over.diagnostics), HasSubstr("6 stores exceed the limit of 5"));

    five.reserved_stores = false;
    EXPECT_TRUE(store_registry::build(four.config, five).ok());
}

// ---------------------------------------------------------------------------------------------
// Config built in code (a service without files).

TEST(ConfigInCode, AddKeepsEveryOccurrenceWithItsOrigin) {
    glance_config c;
    c.add("DEFAULT", "enabled_backends", "fast:file, cheap:file");
    c.add("Fast", "filesystem_store_datadir", "/srv/fast");
    c.add("cheap", "filesystem_store_datadirs", "/srv/c1:10", "svc.yaml", 12);
    c.add("cheap", "filesystem_store_datadirs", "/srv/c2");
    c.add_section("empty");
    c.add("glance_store", "default_backend", "fast");

    EXPECT_EQ(c.entries().size(), 5u);
    const config_entry* e = c.last("FAST", "filesystem_store_datadir");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->file, "<api>");
    EXPECT_EQ(e->line, 0u);
    EXPECT_EQ(e->section, "Fast");
    EXPECT_EQ(c.all("cheap", "filesystem_store_datadirs")[0]->file, "svc.yaml");
    EXPECT_EQ(c.all("cheap", "filesystem_store_datadirs")[0]->line, 12u);
    EXPECT_TRUE(c.has_section("EMPTY"));
    EXPECT_TRUE(c.section("empty").empty());
    EXPECT_FALSE(c.has_section("missing"));
    EXPECT_EQ(c.last("missing", "k"), nullptr);
    EXPECT_THAT(c.section_names(),
                ElementsAre("DEFAULT", "Fast", "cheap", "empty", "glance_store"));

    load_result r = store_registry::build(c);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.registry->find("fast")->url_prefixes(), ElementsAre("file:///srv/fast/"));
    EXPECT_THAT(r.registry->find("cheap")->url_prefixes(),
                ElementsAre("file:///srv/c1/", "file:///srv/c2/"));
}

TEST(ConfigInCode, ProblemsNameTheCallerSuppliedOrigin) {
    glance_config c;
    c.add("DEFAULT", "enabled_backends", "fast:file, bad id:file");
    c.add("glance_store", "default_backend", "fast");
    c.add("fast", "weight", "heavy", "service-defaults", 3);
    load_result r = store_registry::build(c);
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(r.diagnostics,
                ::testing::IsSupersetOf(
                    {diagnostic{severity::error, "<api>", 0, "DEFAULT", "enabled_backends",
                                "store id 'bad id' must be 1-64 characters of A-Z a-z 0-9 . _ -"},
                     diagnostic{severity::error, "service-defaults", 3, "fast", "weight",
                                "must be an integer"}}));
    EXPECT_THAT(to_string(r.diagnostics[0]), Not(HasSubstr(":0:")));
}

TEST(ConfigInCode, CopiesAreIndependentValues) {
    glance_config a;
    a.add("s", "k", "1");
    glance_config b = a;
    b.add("s", "k", "2");
    EXPECT_EQ(value_of(a, "s", "k"), "1");
    EXPECT_EQ(value_of(b, "s", "k"), "2");
    EXPECT_EQ(b.all("s", "k").size(), 2u);
}

}  // namespace
}  // namespace imgstore
