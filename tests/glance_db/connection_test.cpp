#include "imgstore/glance_db/connection.hpp"

#include <gtest/gtest.h>

#include "glance_db/table_text.hpp"
#include "test_util.hpp"
#include "tsv_table.hpp"

namespace imgstore::glance_db {
namespace {

struct url_case {
    test::tsv_row row;
};

std::vector<test::tsv_row> url_cases() {
    return test::read_tsv(test::data_dir + "/glance_db/connection_urls.tsv", 12);
}

std::string options_text(const connection_spec& spec) {
    std::string out;
    for (const auto& [k, v] : spec.options) {
        if (!out.empty()) out += ';';
        out += k + "=" + v;
    }
    return out;
}

class ConnectionUrlTable : public testing::TestWithParam<test::tsv_row> {};

TEST_P(ConnectionUrlTable, ParsesAsSqlalchemyReadsIt) {
    const test::tsv_row& row = GetParam();
    SCOPED_TRACE("connection_urls.tsv line " + std::to_string(row.line) + ": " + row.field(11));
    auto spec = parse_connection_url(row.field(0));
    if (row.field(1) != "ok") {
        ASSERT_FALSE(spec) << "parsed as " << spec->display();
        EXPECT_EQ(spec.error().code, make_error_code(test::db_errc_named(row.field(1))));
        EXPECT_NE(spec.error().message.find("database connection URL"), std::string::npos)
            << spec.error().message;
        return;
    }
    ASSERT_TRUE(spec) << spec.error().message;
    EXPECT_EQ(to_string(spec->kind), row.field(2));
    EXPECT_EQ(spec->user, row.field(3));
    EXPECT_EQ(spec->password.reveal(), row.field(4));
    EXPECT_EQ(spec->host, row.field(5));
    EXPECT_EQ(spec->port ? std::to_string(*spec->port) : std::string(), row.field(6));
    EXPECT_EQ(spec->database, row.field(7));
    EXPECT_EQ(spec->socket, row.field(8));
    EXPECT_EQ(options_text(*spec), row.field(9));
    EXPECT_EQ(spec->display(), row.field(10));
}

INSTANTIATE_TEST_SUITE_P(GlanceDb,
                         ConnectionUrlTable,
                         testing::ValuesIn(url_cases()),
                         [](const testing::TestParamInfo<test::tsv_row>& p) {
                             return "L" + std::to_string(p.param.line);
                         });

// Each form an operator may write, and each way of getting one wrong, with a sentinel
// password: neither display(), where() nor any error message may hold it.
TEST(ConnectionUrl, PasswordNeverInDisplayOrErrors) {
    const std::string pw = "Sn7-sentinel-pw";
    const std::vector<std::string> urls = {
        "mysql+pymysql://glance:{}@db.example.com/glance?charset=utf8",
        "mysql://glance:{}@db.example.com:3306/glance?unix_socket=/run/m.sock",
        "postgresql+psycopg2://glance:{}@/glance?host=/run/postgresql",
        "postgresql://glance:{}@[::1]:5432/glance",
        "postgresql://glance:{}@db:99999/glance",
        "postgresql://glance:{}@db:port/glance",
        "postgresql://glance:{}@db/glance?foo=bar",
        "postgresql://glance:{}@db/glance?port=x",
        "postgresql+asyncpg://glance:{}@db/glance",
        "oracle://glance:{}@db/glance",
        "mysql+pymysql://glance:{}@x@db/glance",
        "mysql+pymysql://glance:x@{}@db/glance",
        "mysql+pymysql://glance:{}@[db/glance",
        "mysql+pymysql://glance:{}%00@db/glance",
        "mysql://glance:{}@db/glance?charset&x",
        "sqlite://glance:{}@/x.db",
        "mysql://glance:{}@db/{}?charset=utf8&{}=1",
    };
    for (std::string url : urls) {
        for (auto at = url.find("{}"); at != std::string::npos; at = url.find("{}")) {
            url.replace(at, 2, pw);
        }
        SCOPED_TRACE(url);
        auto spec = parse_connection_url(url);
        if (spec) {
            EXPECT_EQ(spec->display().find(pw), std::string::npos) << spec->display();
            EXPECT_EQ(spec->where().find(pw), std::string::npos) << spec->where();
            EXPECT_EQ(imgstore::to_string(spec->password), "***");
        } else {
            EXPECT_EQ(spec.error().message.find(pw), std::string::npos) << spec.error().message;
            try {
                (void)spec.value();
                ADD_FAILURE() << "value() of an error did not throw";
            } catch (const db_exception& e) {
                EXPECT_EQ(std::string(e.what()).find(pw), std::string::npos) << e.what();
            }
        }
    }
}

TEST(ConnectionUrl, WhereNamesHostAndDatabase) {
    auto tcp = parse_connection_url("postgresql://glance:pw@db.example.com:5433/glance");
    ASSERT_TRUE(tcp);
    EXPECT_EQ(tcp->where(), "postgresql database 'glance' on db.example.com:5433");
    auto sock = parse_connection_url("mysql://glance:pw@localhost/glance?unix_socket=/run/m.sock");
    ASSERT_TRUE(sock);
    EXPECT_EQ(sock->where(), "mysql database 'glance' on socket /run/m.sock");
    auto file = parse_connection_url("sqlite:////var/lib/glance/glance.sqlite");
    ASSERT_TRUE(file);
    EXPECT_EQ(file->where(), "sqlite database /var/lib/glance/glance.sqlite");
}

TEST(ConnectionUrl, RejectsUrlsLongerThan64KiB) {
    std::string url = "sqlite:////" + std::string(70000, 'a');
    auto spec = parse_connection_url(url);
    ASSERT_FALSE(spec);
    EXPECT_EQ(spec.error().code, make_error_code(db_errc::bad_url));
}

}  // namespace
}  // namespace imgstore::glance_db
