// imgstore_gen_glance_db (the quick starts' and the backfill benchmark's database maker), run
// as a child process; its SQL is loaded into a fresh Glance database on every server and read
// back through glance_db::read_image.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "glance_db/scratch_db.hpp"
#include "imgstore/glance_db/images.hpp"

namespace imgstore::test {
namespace {

class GenGlanceDb : public testing::TestWithParam<db_server> {};

// The generator's --dialect: the server's name, but MariaDB speaks "mysql".
std::string gen_dialect(db_server s) {
    return s == db_server::mariadb ? "mysql" : db_server_name(s);
}

// Runs the generator's statements one at a time (a driver runs one statement per call). Each
// ends with ";\n" at the end of a line; the test's values hold no such text.
void load_generated_sql(scratch_glance_db& db, const std::string& sql) {
    std::size_t start = 0;
    for (std::size_t end; (end = sql.find(";\n", start)) != std::string::npos; start = end + 2) {
        db.exec(sql.substr(start, end - start));
    }
    EXPECT_EQ(sql.substr(start), "");
}

glance_db::image_row read_generated_image(scratch_glance_db& db, const std::string& id) {
    auto opened = glance_db::open(db.spec());
    if (!opened) throw std::runtime_error(opened.error().message);
    auto row = glance_db::read_image(*opened, id);
    if (!row) throw std::runtime_error(row.error().message);
    if (!*row) throw std::runtime_error("no image " + id);
    return std::move(**row);
}

TEST_P(GenGlanceDb, WritesEachRecordsImageFieldsAndLocationsAsGlanceStoresThem) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    const std::string full = "10000000-0000-4000-8000-000000000001";
    const std::string queued = "10000000-0000-4000-8000-000000000002";
    const std::string odd = "10000000-0000-4000-8000-000000000003";
    const std::string no_locations_key = "10000000-0000-4000-8000-000000000004";
    const std::string input =
        R"({"id": ")" + full +
        R"(", "name": "it's d\u00e9bian \\ \"x\"", "status": "active", "size": 17, )"
        R"("checksum": "0123456789abcdef0123456789abcdef", "disk_format": "qcow2", )"
        R"("container_format": "bare", "visibility": "private", "locations": [)"
        R"({"url": "file:///a/1"}, {"url": "file:///a/2", "metadata": {"store": "fast", "k": "\u00e9"}}]})"
        "\n"
        R"({"id": ")" +
        queued +
        R"(", "name": "empty", "status": "queued", "locations": []})"
        "\n"
        R"({"id": ")" +
        odd +
        R"(", "name": 5, "size": "big", "checksum": null, "locations": []})"
        "\n"
        R"({"id": ")" +
        no_locations_key +
        R"("})"
        "\n"
        "not json\n";
    auto gen = cli_test::run(IMGSTORE_GEN_GLANCE_DB, {"--dialect", gen_dialect(GetParam())}, input);
    ASSERT_EQ(gen.status, 0) << gen.err;
    load_generated_sql(*scratch, gen.out);

    const glance_db::image_row a = read_generated_image(*scratch, full);
    EXPECT_EQ(a.name, "it's d\u00e9bian \\ \"x\"");
    EXPECT_EQ(a.status, "active");
    EXPECT_EQ(a.size, 17);
    EXPECT_EQ(a.checksum, "0123456789abcdef0123456789abcdef");
    EXPECT_EQ(a.disk_format, "qcow2");
    EXPECT_EQ(a.container_format, "bare");
    EXPECT_EQ(a.visibility, "private");
    ASSERT_EQ(a.locations.size(), 2u);
    EXPECT_EQ(a.locations[0].value, "file:///a/1");
    EXPECT_EQ(a.locations[0].meta_data, std::nullopt);  // no metadata: NULL, as old rows hold
    EXPECT_EQ(a.locations[1].value, "file:///a/2");
    EXPECT_EQ(a.locations[1].meta_data, R"({"store": "fast", "k": "\u00e9"})");  // json.dumps

    const glance_db::image_row q = read_generated_image(*scratch, queued);
    EXPECT_EQ(q.status, "queued");
    EXPECT_EQ(q.name, "empty");
    EXPECT_EQ(q.size, std::nullopt);
    EXPECT_EQ(q.checksum, std::nullopt);
    EXPECT_TRUE(q.locations.empty());

    // Fields of the wrong type are not guessed at: the defaults stand.
    const glance_db::image_row o = read_generated_image(*scratch, odd);
    EXPECT_EQ(o.name, "image");
    EXPECT_EQ(o.status, "active");
    EXPECT_EQ(o.visibility, "public");
    EXPECT_EQ(o.size, std::nullopt);
    EXPECT_EQ(o.checksum, std::nullopt);

    // A record without a locations array is not an image record.
    auto db = glance_db::open(scratch->spec());
    ASSERT_TRUE(db);
    auto absent = glance_db::read_image(*db, no_locations_key);
    ASSERT_TRUE(absent);
    EXPECT_FALSE(absent->has_value());
}

INSTANTIATE_TEST_SUITE_P(Db,
                         GenGlanceDb,
                         testing::ValuesIn(all_db_servers()),
                         [](const testing::TestParamInfo<db_server>& p) {
                             return db_server_name(p.param);
                         });

}  // namespace
}  // namespace imgstore::test
