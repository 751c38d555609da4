// The private text helpers that the library, the Glance database layer, the tool and the
// service share (src/detail/utf8.hpp, text.hpp, json_scan.hpp): one table row per class of
// input, hostile ones included.
#include "detail/text.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detail/json_scan.hpp"
#include "detail/utf8.hpp"
#include "test_util.hpp"

namespace imgstore::detail {
namespace {

struct utf8_case {
    std::string_view name;
    std::string_view bytes;
    std::size_t invalid_at;  // npos: well-formed
};

// Every way a sequence can be ill-formed (RFC 3629, table 3-7 of the Unicode standard), at the
// start, in the middle and cut off at the end, beside the well-formed edges of each length.
constexpr std::size_t npos = std::string_view::npos;
const utf8_case utf8_cases[] = {
    {"empty", "", npos},
    {"ASCII with controls", "a\tb\x7f\x01", npos},
    {"NUL is ASCII", std::string_view("a\0b", 3), npos},
    {"two bytes, lowest", "\xC2\x80", npos},
    {"three bytes, lowest", "\xE0\xA0\x80", npos},
    {"last before the surrogates", "\xED\x9F\xBF", npos},
    {"first after the surrogates", "\xEE\x80\x80", npos},
    {"four bytes, highest", "\xF4\x8F\xBF\xBF", npos},
    {"mixed", "caf\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80", npos},
    {"stray continuation byte", "ab\x80", 2},
    {"overlong two-byte lead C0", "\xC0\xAF", 0},
    {"overlong two-byte lead C1", "x\xC1\xBF", 1},
    {"overlong three bytes", "\xE0\x9F\xBF", 0},
    {"overlong four bytes", "\xF0\x8F\xBF\xBF", 0},
    {"surrogate", "ok\xED\xA0\x80", 2},
    {"above U+10FFFF", "\xF4\x90\x80\x80", 0},
    {"lead byte F5", "\xF5\x80\x80\x80", 0},
    {"lead byte FF", "a\xFF", 1},
    {"cut short at the end", "abc\xE2\x82", 3},
    {"continuation replaced by ASCII", "\xE2\x28\xA1", 0},
    {"second sequence bad", "\xC3\xA9\xC3", 2},
};

TEST(Utf8, FindsTheFirstByteOfEveryIllFormedSequence) {
    for (const utf8_case& c : utf8_cases) {
        EXPECT_EQ(invalid_utf8_at(c.bytes), c.invalid_at) << c.name;
        EXPECT_EQ(is_valid_utf8(c.bytes), c.invalid_at == npos) << c.name;
    }
}

TEST(Utf8, DecodesWhatItAcceptsAndEncodesItBackToTheSameBytes) {
    for (const utf8_case& c : utf8_cases) {
        std::string again;
        std::size_t i = 0;
        while (i < c.bytes.size()) {
            const std::size_t before = i;
            const std::optional<char32_t> cp = next_code_point(c.bytes, i);
            if (!cp) {
                EXPECT_EQ(i, before) << c.name << ": a failed decode does not advance";
                break;
            }
            EXPECT_EQ(i - before, utf8_sequence_length(c.bytes, before)) << c.name;
            append_utf8(again, *cp);
        }
        EXPECT_EQ(i == c.bytes.size(), c.invalid_at == npos) << c.name;
        EXPECT_EQ(again, c.bytes.substr(0, i)) << c.name;
    }
}

TEST(Utf8, DecodesTheCodePointOfEachLength) {
    const struct {
        std::string_view bytes;
        char32_t cp;
    } rows[] = {{"A", U'A'},
                {"\xC2\x80", 0x80},
                {"\xDF\xBF", 0x7FF},
                {"\xE0\xA0\x80", 0x800},
                {"\xEF\xBF\xBD", 0xFFFD},
                {"\xF0\x90\x80\x80", 0x10000},
                {"\xF4\x8F\xBF\xBF", 0x10FFFF}};
    for (const auto& r : rows) {
        std::size_t i = 0;
        EXPECT_EQ(next_code_point(r.bytes, i), std::optional<char32_t>(r.cp));
        EXPECT_EQ(i, r.bytes.size());
    }
}

struct escape_case {
    std::string_view name;
    std::string_view in;
    std::string_view out;
};

const escape_case escape_cases[] = {
    {"plain text", "Local SSD, replicated", "Local SSD, replicated"},
    {"newline forging a line", "x\nfake (file) default", "x\\nfake (file) default"},
    {"carriage return", "a\rb", "a\\rb"},
    {"tab", "a\tb", "a\\tb"},
    {"backslash doubled, so an escape in the input stays distinct", "a\\nb", "a\\\\nb"},
    {"ANSI colour", "\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"},
    {"NUL and other C0", std::string_view("\0\x01\x1f", 3), "\\x00\\x01\\x1f"},
    {"DEL", "a\x7f", "a\\x7f"},
    {"C1 CSI",
     "\xC2\x9B"
     "31m",
     "\\xc2\\x9b31m"},
    {"C1 lowest and highest", "\xC2\x80\xC2\x9F", "\\xc2\\x80\\xc2\\x9f"},
    {"first code point after C1 kept", "\xC2\xA0", "\xC2\xA0"},
    {"UTF-8 kept", "caf\xC3\xA9 \xF0\x9F\x98\x80", "caf\xC3\xA9 \xF0\x9F\x98\x80"},
    {"invalid byte", "a\xFF", "a\\xff"},
    {"truncated sequence", "\xE2\x82", "\\xe2\\x82"},
    {"overlong slash", "\xC0\xAF", "\\xc0\\xaf"},
    {"surrogate", "\xED\xA0\x80", "\\xed\\xa0\\x80"},
};

TEST(EscapeText, WritesEveryControlAndInvalidByteAsAnEscape) {
    for (const escape_case& c : escape_cases) {
        const std::string got = escape_text(c.in);
        EXPECT_EQ(got, c.out) << c.name;
        EXPECT_TRUE(is_valid_utf8(got)) << c.name;
        EXPECT_EQ(got.find('\n'), std::string::npos) << c.name;
        EXPECT_EQ(test::terminal_control_at(got), std::string::npos) << c.name;
    }
}

TEST(EscapeText, GivesEveryByteItsOwnSpelling) {
    // Distinct inputs give distinct outputs: a value cannot pass itself off as another.
    std::string all;
    for (int b = 0; b < 256; ++b) {
        const std::string one = escape_text(std::string(1, static_cast<char>(b)));
        EXPECT_EQ(all.find("|" + one + "|"), std::string::npos) << b;
        all += "|" + one + "|";
    }
}

struct cut_case {
    std::string_view name;
    std::string in;
    std::string out;
};

TEST(CutText, KeepsAtMostTheBoundInCharactersAndMarksTheCut) {
    const std::string e_acute = "\xC3\xA9";
    const std::string c1 = "\xC2\x9B";
    auto times = [](std::string_view unit, std::size_t n) {
        std::string out;
        for (std::size_t i = 0; i < n; ++i) out += unit;
        return out;
    };
    const cut_case cases[] = {
        {"empty", "", ""},
        {"short value kept whole", "fast", "fast"},
        {"exactly the bound kept whole", std::string(64, 'x'), std::string(64, 'x')},
        {"one over the bound cut and marked", std::string(65, 'x'), std::string(64, 'x') + "..."},
        {"10 KB value", std::string(10240, 'x'), std::string(64, 'x') + "..."},
        {"two-byte characters counted once, never split", times(e_acute, 65),
         times(e_acute, 64) + "..."},
        {"four-byte characters", times("\xF0\x9F\x98\x80", 70),
         times("\xF0\x9F\x98\x80", 64) + "..."},
        {"C1 controls counted as characters", times(c1, 65), times(c1, 64) + "..."},
        {"invalid bytes one character each", std::string(66, '\xFF'),
         std::string(64, '\xFF') + "..."},
        {"a sequence cut short by the end is bytes", "x\xE2\x82", "x\xE2\x82"},
        {"control bytes kept for the renderer to escape", "a\x1b[2J\r\n", "a\x1b[2J\r\n"},
    };
    for (const cut_case& c : cases) {
        const std::string got = cut_text(c.in);
        EXPECT_EQ(got, c.out) << c.name;
        // Well-formed input stays well-formed: the cut never falls inside a sequence.
        if (is_valid_utf8(c.in)) {
            EXPECT_TRUE(is_valid_utf8(got)) << c.name;
        }
    }
    EXPECT_EQ(cut_text("abcdef", 3), "abc...");
}

TEST(StripBlanks, StripsSpacesAndTabsOnly) {
    const struct {
        std::string_view in;
        std::string_view out;
    } rows[] = {{"", ""},           {" \t ", ""},       {" a b\t", "a b"},
                {"\ra\r", "\ra\r"}, {"\va\n", "\va\n"}, {"\t x", "x"}};
    for (const auto& r : rows) EXPECT_EQ(strip_blanks(r.in), r.out) << "'" << r.in << "'";
}

TEST(AppendHex, WritesTwoLowerCaseDigitsForEveryByte) {
    std::string out = "sha256:";
    append_hex(out, std::string_view("\0\x01\x7f\x80\xab\xff", 6));
    EXPECT_EQ(out, "sha256:00017f80abff");
    append_hex(out, "");
    EXPECT_EQ(out, "sha256:00017f80abff");
}

TEST(PercentDecode, DecodesValidEscapesAndFailsOrKeepsTheOthers) {
    // strict: percent_decode; lenient: Python's unquote / unquote_plus (database URLs).
    const struct {
        std::string_view in;
        bool plus_is_space;
        std::optional<std::string_view> strict;
        std::string_view lenient;
    } rows[] = {
        {"", false, "", ""},
        {"p%40ss%2Fw%3ard", false, "p@ss/w:rd", "p@ss/w:rd"},
        {"%00%ff", false, std::string_view("\0\xff", 2), std::string_view("\0\xff", 2)},
        {"100%", false, std::nullopt, "100%"},
        {"%4", false, std::nullopt, "%4"},
        {"%zz%41", false, std::nullopt, "%zzA"},
        {"%%41", false, std::nullopt, "%A"},
        {"%2%41", false, std::nullopt, "%2A"},
        {"a+b%2B", false, "a+b+", "a+b+"},
        {"a+b%2B", true, "a b+", "a b+"},
        {"%+%2+", true, std::nullopt, "% %2 "},
        {"%25%34%31", false, "%41", "%41"},  // decoded once, never twice
    };
    for (const auto& r : rows) {
        const std::optional<std::string> strict = percent_decode(r.in, r.plus_is_space);
        EXPECT_EQ(strict.has_value(), r.strict.has_value()) << r.in;
        if (strict && r.strict) {
            EXPECT_EQ(*strict, *r.strict) << r.in;
        }
        EXPECT_EQ(percent_decode_lenient(r.in, r.plus_is_space), r.lenient) << r.in;
    }
}

TEST(JsonScan, FindsEachMemberWithItsDecodedKeyAndWholeValue) {
    // Accepted JSON only (the callers parse first): every kind of value, escapes that hide a
    // quote or a brace inside strings, keys written with escapes, any white space.
    const struct {
        std::string_view text;
        std::vector<std::pair<std::string_view, std::string_view>> members;
    } rows[] = {
        {"{}", {}},
        {" \t\r\n{ } ", {}},
        {R"({"a":1,"b":-2.5e3,"c":true,"d":null})",
         {{"a", "1"}, {"b", "-2.5e3"}, {"c", "true"}, {"d", "null"}}},
        {R"({ "s" : "x\"}{[" , "t":"\\" })", {{"s", R"("x\"}{[")"}, {"t", R"("\\")"}}},
        {R"({"o":{"p":[1,{"q":"]"}]},"r":[]})", {{"o", R"({"p":[1,{"q":"]"}]})"}, {"r", "[]"}}},
        {R"({"loc\u0061tions":0,"\u00e9\n":1,"\ud83d\ude00":2,"\/\b\f\r\t":3})",
         {{"locations", "0"}, {"\xC3\xA9\n", "1"}, {"\xF0\x9F\x98\x80", "2"}, {"/\b\f\r\t", "3"}}},
    };
    for (const auto& r : rows) {
        const json_scan sc(r.text);
        const std::size_t open = sc.skip_space(0);
        ASSERT_EQ(sc.at(open), '{') << r.text;
        EXPECT_EQ(sc.value_end(open), r.text.find_last_of('}') + 1) << r.text;
        std::vector<std::pair<std::string, std::string>> got;
        sc.members(open, [&](std::string_view key, std::size_t begin, std::size_t end) {
            got.emplace_back(key, r.text.substr(begin, end - begin));
        });
        ASSERT_EQ(got.size(), r.members.size()) << r.text;
        for (std::size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].first, r.members[i].first) << r.text;
            EXPECT_EQ(got[i].second, r.members[i].second) << r.text;
        }
    }
}

TEST(JsonScan, WalksTheElementsOfAnArray) {
    const std::string_view text = R"([ "a,]" , {"b":[1,2]},3 ,[] ])";
    const json_scan sc(text);
    std::vector<std::string_view> got;
    sc.elements(0, [&](std::size_t begin, std::size_t end) {
        got.push_back(text.substr(begin, end - begin));
    });
    EXPECT_EQ(got, (std::vector<std::string_view>{R"("a,]")", R"({"b":[1,2]})", "3", "[]"}));
}

}  // namespace
}  // namespace imgstore::detail
