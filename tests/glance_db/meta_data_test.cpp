#include "imgstore/glance_db/meta_data.hpp"

#include <gtest/gtest.h>

#include "glance_db/table_text.hpp"
#include "test_util.hpp"
#include "tsv_table.hpp"

namespace imgstore::glance_db {
namespace {

struct splice_case {
    std::optional<std::string> meta;
    std::string store;
    std::string kind;
    std::string expected;
    std::string note;
    std::size_t line = 0;
};

std::vector<splice_case> splice_cases() {
    std::vector<splice_case> out;
    for (const auto& row : test::read_tsv(test::data_dir + "/glance_db/splice_cases.tsv", 5)) {
        splice_case c;
        const std::string& meta = row.fields[0];
        if (meta == "NULL") {
            c.meta = std::nullopt;
        } else if (meta == "EMPTY") {
            c.meta = std::string();
        } else {
            c.meta = test::unescape_table_text(meta);
        }
        c.store = test::unescape_table_text(row.fields[1]);
        c.kind = row.fields[2];
        c.expected = test::unescape_table_text(row.fields[3]);
        c.note = row.fields[4];
        c.line = row.line;
        out.push_back(std::move(c));
    }
    return out;
}

std::string_view kind_name(meta_kind k) {
    switch (k) {
        case meta_kind::needs_store:
            return "needs_store";
        case meta_kind::has_store:
            return "has_store";
        case meta_kind::malformed:
            return "malformed";
    }
    return "?";
}

class SpliceTable : public testing::TestWithParam<splice_case> {};

TEST_P(SpliceTable, ClassifiesAndSplicesAsGlanceWouldSave) {
    const splice_case& c = GetParam();
    SCOPED_TRACE("splice_cases.tsv line " + std::to_string(c.line) + ": " + c.note);
    std::optional<std::string_view> meta;
    if (c.meta) meta = *c.meta;
    meta_info info = inspect_meta(meta);
    EXPECT_EQ(kind_name(info.kind), c.kind);
    if (info.kind == meta_kind::malformed) {
        EXPECT_FALSE(info.reason.empty());
    }
    auto spliced = splice_store(meta, c.store);
    if (c.expected.rfind("error:", 0) == 0) {
        ASSERT_FALSE(spliced) << "spliced to " << *spliced;
        EXPECT_EQ(spliced.error().code, make_error_code(test::db_errc_named(c.expected.substr(6))));
        EXPECT_FALSE(spliced.error().message.empty());
        return;
    }
    ASSERT_TRUE(spliced) << spliced.error().message;
    EXPECT_EQ(*spliced, c.expected);
    // What was written now names the store, and nothing else changed meaning.
    meta_info after = inspect_meta(*spliced);
    EXPECT_EQ(after.kind, meta_kind::has_store);
    EXPECT_EQ(after.store, c.store);
}

INSTANTIATE_TEST_SUITE_P(GlanceDb,
                         SpliceTable,
                         testing::ValuesIn(splice_cases()),
                         [](const testing::TestParamInfo<splice_case>& p) {
                             return "L" + std::to_string(p.param.line);
                         });

TEST(MetaData, ReportsTheStoreItFinds) {
    EXPECT_EQ(inspect_meta(R"({"a": 1, "store": "fast"})").store, "fast");
    EXPECT_EQ(inspect_meta(R"({"store": "caf\u00e9"})").store, "caf\xC3\xA9");
}

TEST(MetaData, MalformedReasonNeverEchoesTheText) {
    const std::string secretish = "{\"url\": \"s3://AK:S3CRET@host/x\", ";
    meta_info info = inspect_meta(secretish);
    ASSERT_EQ(info.kind, meta_kind::malformed);
    EXPECT_EQ(info.reason.find("S3CRET"), std::string::npos);
    auto spliced = splice_store(secretish, "ceph");
    ASSERT_FALSE(spliced);
    EXPECT_EQ(spliced.error().message.find("S3CRET"), std::string::npos);
}

TEST(MetaData, NestsDeeperThanBoostJsonsDefaultLimit) {
    std::string deep = "{\"a\": " + std::string(100, '[') + std::string(100, ']') + "}";
    EXPECT_EQ(inspect_meta(deep).kind, meta_kind::needs_store);
}

TEST(MetaData, PythonJsonStringMatchesJsonDumps) {
    // json.dumps("a\"b\\c\u00e9\U0001F600\x7f") in Python 3.11
    auto s = python_json_string("a\"b\\c\xC3\xA9\xF0\x9F\x98\x80\x7F");
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, R"("a\"b\\c\u00e9\ud83d\ude00\u007f")");
}

}  // namespace
}  // namespace imgstore::glance_db
