// What stamp reads and writes byte for byte, and what stores prints (issue 15, items 1, 4, 7,
// 10): records are edited in place whatever their numbers, escapes, spacing, duplicate or
// escaped keys; the 8 MiB record limit at both edges; the --volume-types file's blanks, BOM,
// comments, NUL and invalid UTF-8; stores text that no value can forge or colour.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli_runner.hpp"
#include "test_util.hpp"

namespace imgstore::cli_test {
namespace {

// A record template: "[[old|new]]" is `old` in the input and `new` in the expected output;
// everything else must come out as it went in.
std::string record_side(std::string_view text, bool expected) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t open = text.find("[[", i);
        if (open == std::string_view::npos) {
            out.append(text.substr(i));
            break;
        }
        const std::size_t bar = text.find('|', open);
        const std::size_t close = text.find("]]", bar);
        out.append(text.substr(i, open - i));
        out.append(expected ? text.substr(bar + 1, close - bar - 1)
                            : text.substr(open + 2, bar - open - 2));
        i = close + 2;
    }
    return out;
}

struct edit_row {
    const char* what;
    const char* text;
};

// The store insertions below follow the record's spacing: `"key": value` here.
const std::vector<edit_row> edit_rows{
    // Numbers a double cannot hold, or would print differently.
    {"1e999 beside an escaped key",
     R"({"n\u0061me": 1e999, "locations": [{"url": "file:///srv/glance/images/a"[[|, "metadata": {"store": "fast"}]]}]})"},
    {"big integers",
     R"({"id": 123456789012345678901234567890, "size": 18446744073709551616, "locations": [{"url": "file:///srv/glance/images/a", "metadata": {[[|"store": "fast", ]]"n": -18446744073709551617}}]})"},
    {"negative zero and exponent spellings",
     R"({"a": -0, "b": -0.0, "c": 1.0E+2, "d": 1e-400, "e": 0.1000000000000000055511151231257827, "locations": [{"url": "file:///srv/glance/images/a", "metadata": {[[|"store": "fast", ]]"w": 1.50}}]})"},
    // Escapes in values, kept as written.
    {"escapes in values",
     R"({"name": "caf\u00e9 \/ \ud83d\ude00 \"q\" \\ \u0000 \t", "locations": [{"url": "file:///srv/glance/images/a", "metadata": {[[|"store": "fast", ]]"note": "\u00E9\/"}}]})"},
    {"escaped url is matched by its value",
     R"({"locations": [{"url": "file:\/\/\/srv\/glance\/images\/\u0061", "metadata": {"store": [[null|"fast"]]}}]})"},
    // Keys written with escapes, at every level.
    {"escaped locations key",
     R"({"id": "a", "loc\u0061tions": [{"url": "file:///srv/glance/images/a", "metadata": {[[|"store": "fast"]]}}]})"},
    {"escaped url key",
     R"({"locations": [{"\u0075rl": "file:///srv/glance/images/a", "metadata": {[[|"store": "fast", ]]"k": 1E400}}]})"},
    {"escaped metadata key",
     R"({"locations": [{"url": "file:///srv/glance/images/a", "met\u0061data": {[[|"store": "fast", ]]"k": -0}}]})"},
    {"escaped store key",
     R"({"locations": [{"url": "file:///srv/glance/images/a", "metadata": {"st\u006fre": [[""|"fast"]], "k": 1e999}}]})"},
    {"every key escaped",
     R"({"\u006cocations": [{"\u0075\u0072\u006c": "file:///srv/glance/images/a", "\u006detadata": {"\u0073tore": [[null|"fast"]]}}], "\u0069d": 1e999})"},
    // Whitespace, kept wherever it is.
    {"tabs and odd spacing",
     "{ \"locations\" :\t[ { \"url\" :\"file:///srv/glance/images/a\" ,\"metadata\"\t: "
     "{[[|\"store\":\"fast\",]] \"x\" : 1e999 } } ] }"},
    {"compact record",
     R"({"locations":[{"url":"file:///srv/glance/images/a"[[|,"metadata":{"store":"fast"}]]}],"z":1E+2})"},
    {"trailing carriage return",
     "{\"locations\": [{\"url\": \"file:///srv/glance/images/a\"[[|, \"metadata\": {\"store\": "
     "\"fast\"}]]}], \"n\": 1e999}\r"},
    // Duplicate keys: the last one is the one a parser keeps, and the one edited.
    {"duplicate store keys",
     R"({"locations": [{"url": "file:///srv/glance/images/a", "metadata": {"store": "fast2", "store": [[null|"fast"]]}}]})"},
    {"duplicate locations keys",
     R"({"locations": "junk", "locations": [{"url": "file:///srv/glance/images/a", "metadata": {[[|"store": "fast"]]}}]})"},
    {"duplicate url keys",
     R"({"locations": [{"url": "gopher://x/y", "url": "file:///srv/glance/images/a", "metadata": {[[|"store": "fast"]]}}]})"},
    // Nested objects that hold the same names are not the location's.
    {"nested store and url keys",
     R"({"meta": {"locations": [{"url": "x"}]}, "locations": [{"extra": {"url": "gopher://x/y", "metadata": {"store": null}}, "url": "file:///srv/glance/images/a", "metadata": {[[|"store": "fast", ]]"nested": {"store": null, "n": 1e999}}}]})"},
    {"several locations, one already set",
     R"({"locations": [{"url": "file:///srv/glance/images/a", "metadata": {"store": "fast"}}, {"url": "file:///var/lib/glance/images2/b", "metadata": {[[|"store": "archive"]]}}, {"url": "file:///srv/glance/images/c"[[|, "metadata": {"store": "fast"}]]}]})"},
    {"legacy cinder url rewritten beside an escaped key",
     R"({"n\u0061me": 1e999, "locations": [{"\u0075rl": [["cinder://0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e"|"cinder://volumes/0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e"]][[|, "metadata": {"store": "volumes"}]]}]})"},
};

TEST(CliRecords, StampChangesOnlyTheEditedBytesWhateverTheRecordHolds) {
    std::string input;
    std::string expected;
    for (const edit_row& r : edit_rows) {
        input += record_side(r.text, false) + "\n";
        expected += record_side(r.text, true) + "\n";
    }
    const args a = cat({"stamp", "--volume-types", "examples/volume-types.tsv"}, example_config);
    const auto once = tool(a, input);
    EXPECT_EQ(once.status, 0) << once.err;
    const auto out = lines_of(once.out);
    const auto want = lines_of(expected);
    ASSERT_EQ(out.size(), want.size()) << once.out;
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], want[i]) << edit_rows[i].what;
    // And the result is a fixed point: nothing left to stamp, nothing changed.
    const auto twice = tool(a, once.out);
    EXPECT_EQ(twice.status, 0) << twice.err;
    EXPECT_EQ(twice.out, once.out);
    EXPECT_TRUE(contains(twice.err, " 0 stamped")) << twice.err;
}

// A record of exactly `size` bytes (its '\n' not counted) whose location needs a store.
std::string record_of_size(std::size_t size) {
    const std::string head = R"({"locations": [{"url": "file:///srv/glance/images/a"}], "pad": ")";
    const std::string tail = "\"}";
    return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

TEST(CliRecords, ARecordOfExactlyEightMebibytesIsStampedAndOneByteMoreIsMalformed) {
    constexpr std::size_t limit = 8u << 20;
    struct row {
        std::size_t size;
        bool final_newline;
        bool accepted;
    };
    for (const row& r : {row{limit, true, true}, row{limit, false, true},
                         row{limit + 1, true, false}, row{limit + 1, false, false}}) {
        const std::string record = record_of_size(r.size);
        ASSERT_EQ(record.size(), r.size);
        const auto out =
            tool(cat({"stamp"}, example_config), record + (r.final_newline ? "\n" : ""));
        const std::string what =
            std::to_string(r.size) + (r.final_newline ? " with" : " without") + " a final newline";
        if (r.accepted) {
            EXPECT_EQ(out.status, 0) << what << ": " << out.err;
            EXPECT_TRUE(contains(out.err, "1 stamped")) << what << ": " << out.err;
            EXPECT_TRUE(out.out.starts_with(
                R"({"locations": [{"url": "file:///srv/glance/images/a", "metadata": {"store": "fast"}}], "pad": ")"))
                << what;
        } else {
            EXPECT_EQ(out.status, 3) << what;
            EXPECT_TRUE(contains(out.err, "line 1: malformed record (longer than 8 MiB)"))
                << out.err;
            EXPECT_EQ(out.out, record + (r.final_newline ? "\n" : ""))
                << what << ": copied unchanged";
        }
    }
}

constexpr std::string_view legacy_cinder_record =
    R"({"locations": [{"url": "cinder://0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e"}]})";

TEST(CliRecords, VolumeTypesFileIgnoresBlanksBomAndCommentsAsDocumented) {
    const std::vector<std::pair<const char*, std::string>> rows{
        {"plain", "0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e\tglance-ssd\n"},
        {"byte order mark",
         "\xEF\xBB\xBF"
         "0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e\tglance-ssd\n"},
        {"trailing blanks", "0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e\tglance-ssd \t \n"},
        {"leading blanks", "  \t0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e\tglance-ssd\n"},
        {"blanks around the tab", "0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e  \t  glance-ssd\n"},
        {"CRLF", "0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e\tglance-ssd\r\n"},
        {"upper-case id", "0D5B8C1E-2F3A-4B6C-8D9E-0F1A2B3C4D5E\tglance-ssd\n"},
        {"whitespace-only and empty lines",
         " \t \n\n\r\n0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e\tglance-ssd\n  \n"},
        {"indented comments",
         "  # a comment\n\t# another\n#x\ty\n0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e\tglance-ssd\n"},
        {"no final newline", "0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e\tglance-ssd"},
        {"UTF-8 elsewhere",
         "# caf\xC3\xA9\nother\tt\xC3\xA9\n0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e\tglance-ssd\n"},
    };
    scratch_dir d;
    for (const auto& [what, text] : rows) {
        const std::string tsv = d.write("types.tsv", text);
        const auto r = tool(cat({"stamp", "--volume-types", tsv}, example_config),
                            std::string(legacy_cinder_record) + "\n");
        EXPECT_EQ(r.status, 0) << what << ": " << r.err;
        EXPECT_TRUE(contains(r.out, R"("metadata": {"store": "volumes"})"))
            << what << ": " << r.out;
    }
}

TEST(CliRecords, VolumeTypesFileRefusesWhatWouldSilentlyNeverMatch) {
    const std::vector<std::pair<std::string, std::size_t>> rows{
        {std::string("0d5b8c1e\tglance-ssd\0\n", 20), 1},  // NUL
        {"# ok\n0d5b8c1e\tglance\xFF-ssd\n", 2},           // invalid byte
        {"a\tb\n0d5b8c1e\t\xC0\xAF\n", 2},                 // overlong '/'
        {"0d5b8c1e\t\xED\xA0\x80\n", 1},                   // a surrogate
        {"0d5b8c1e\tglance-\xC3\n", 1},                    // truncated sequence
        {"\xEF\xBB\xBF\xEF\xBB\xBF"
         "0d5b8c1e\tssd\n",
         1},                             // a second BOM is an id
        {"0d5b8c1e glance-ssd\n", 1},    // no tab
        {"0d5b8c1e\t \n", 1},            // empty type
        {"\tglance-ssd\n", 1},           // empty id
        {"0d5b 8c1e\tglance-ssd\n", 1},  // blank inside the id
        {"0d5b8c1e\tglance\tssd\n", 1},  // tab inside the type
        {"x\ta\nX\tb\n", 2},             // one id, two types
    };
    scratch_dir d;
    for (const auto& [text, line] : rows) {
        const std::string tsv = d.write("types.tsv", std::string(text));
        const auto r = tool(cat({"stamp", "--volume-types", tsv}, example_config),
                            std::string(legacy_cinder_record) + "\n");
        EXPECT_EQ(r.status, 3) << line << ": " << r.err;
        EXPECT_TRUE(contains(r.err, tsv + ":" + std::to_string(line) + ": ")) << r.err;
        EXPECT_TRUE(r.out.empty()) << "nothing written before the file is read";
    }
}

TEST(CliRecords, StoresTextEscapesEveryValueAndShowsEachOptionOnce) {
    // Continuation lines give a value newlines; the others carry terminal controls.
    scratch_dir d;
    const std::string conf =
        d.write("glance.conf",
                "[DEFAULT]\nenabled_backends = fast:file, ceph:rbd\n[glance_store]\n"
                "default_backend = fast\n"
                "[fast]\nfilesystem_store_datadir = /srv/images\nweight = 7\n"
                "store_description = first\n  fast (file) default\n  \x1b[31mred\x1b[0m\n"
                "[ceph]\nrbd_store_fsid = c0ffee00-0000-4000-8000-000000000001\n"
                "rbd_store_user = a\x7f"
                "b\xC2\x9B"
                "31m\\z\n"
                "store_description = tab\there\r\n");
    const auto r = tool({"stores", "--config-file", conf});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(test::terminal_control_at(r.out), std::string::npos) << r.out;
    // Each store is one header line; every other line is an indented field.
    std::size_t headers = 0;
    for (const auto& line : lines_of(r.out)) {
        if (!line.starts_with("  ")) ++headers;
    }
    EXPECT_EQ(headers, 4u) << r.out;  // fast, ceph and the two reserved stores
    EXPECT_TRUE(
        contains(r.out, "  description: first\\nfast (file) default\\n\\x1b[31mred\\x1b[0m\n"))
        << r.out;
    EXPECT_TRUE(contains(r.out, "  rbd_store_user = a\\x7fb\\xc2\\x9b31m\\\\z\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "  description: tab\\there\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "  weight: 7\n")) << r.out;
    EXPECT_FALSE(contains(r.out, "store_description =")) << r.out;
    EXPECT_FALSE(contains(r.out, "weight =")) << r.out;
}

}  // namespace
}  // namespace imgstore::cli_test
