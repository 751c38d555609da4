#include "imgstore/glance_db/images.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "glance_db/scratch_db.hpp"

namespace imgstore::glance_db {
namespace {

using test::db_server;

class GlanceImages : public testing::TestWithParam<db_server> {};

database images_test_open(const test::scratch_glance_db& db) {
    auto opened = open(db.spec());
    if (!opened) throw std::runtime_error(opened.error().message);
    return std::move(*opened);
}

constexpr std::string_view img = "11111111-2222-4333-8444-555555555555";

TEST_P(GlanceImages, ReadsAnImageWithItsPropertiesAndOnlyItsLiveActiveLocations) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image(img);
    scratch->exec(
        "UPDATE images SET size = 42, checksum = 'abc', disk_format = 'raw', "
        "updated_at = '2021-02-03 04:05:06' WHERE id = '" +
        std::string(img) + "'");
    scratch->exec(
        "INSERT INTO image_properties (image_id, name, value, created_at, deleted) "
        "VALUES ('" +
        std::string(img) +
        "', 'os_distro', 'debian', "
        "'2020-01-01 00:00:00', false)");
    scratch->exec(
        "INSERT INTO image_properties (image_id, name, value, created_at, deleted) "
        "VALUES ('" +
        std::string(img) + "', 'gone', 'x', '2020-01-01 00:00:00', true)");
    const auto first = scratch->add_location(img, "file:///a/1", std::nullopt);
    scratch->add_location(img, "file:///a/2", "{}", "pending_delete");
    scratch->add_location(img, "file:///a/3", "{}", "active", true);
    const auto last = scratch->add_location(img, "file:///a/4", R"({"store": "x"})");
    auto db = images_test_open(*scratch);
    auto got = read_image(db, std::string(img));
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_TRUE(got->has_value());
    const image_row& row = **got;
    EXPECT_EQ(row.id, img);
    EXPECT_EQ(row.status, "active");
    EXPECT_EQ(row.size, 42);
    EXPECT_EQ(row.virtual_size, std::nullopt);
    EXPECT_EQ(row.checksum, "abc");
    EXPECT_EQ(row.os_hash_algo, std::nullopt);
    EXPECT_EQ(row.disk_format, "raw");
    EXPECT_EQ(row.visibility, "public");
    EXPECT_FALSE(row.is_protected);
    EXPECT_EQ(row.created_at, "2020-01-01T00:00:00Z");
    EXPECT_EQ(row.updated_at, "2021-02-03T04:05:06Z");
    ASSERT_EQ(row.properties.size(), 1u);
    EXPECT_EQ(row.properties[0].first, "os_distro");
    EXPECT_EQ(row.properties[0].second, "debian");
    ASSERT_EQ(row.locations.size(), 2u);
    EXPECT_EQ(row.locations[0].id, first);
    EXPECT_EQ(row.locations[0].meta_data, std::nullopt);
    EXPECT_EQ(row.locations[1].id, last);
    EXPECT_EQ(row.locations[1].meta_data, R"({"store": "x"})");
}

TEST_P(GlanceImages, ReadsLiveTagsInTheOrderTheyWereAddedEachValueOnce) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    const std::string id(img);
    const std::string other = "99999999-2222-4333-8444-555555555555";
    scratch->add_image(id);
    scratch->add_image(other);
    auto db = images_test_open(*scratch);
    EXPECT_TRUE(read_image(db, id).value()->tags.empty());  // no rows: an empty list

    struct tag_row {
        std::string value;
        bool deleted;
    };
    // Every class of value a tag row can hold, as bytes: duplicates (live twice, live and
    // deleted, only by case or a trailing space, which MariaDB's collation would merge),
    // quotes and backslashes, non-ASCII (UTF-8, within MariaDB's utf8mb3), SQL metacharacters.
    const std::vector<tag_row> rows = {
        {"zeta", false},
        {"gone", true},
        {"alpha", false},
        {"zeta", false},
        {"Alpha", false},
        {"alpha ", false},
        {"it's \"quoted\" \\ here", false},
        {"d\u00e9bian \u65e5\u672c", false},
        {"'; DROP TABLE images; --", false},
        {"", false},
        {"alpha", true},
    };
    for (const tag_row& r : rows) scratch->add_tag(id, r.value, r.deleted);
    scratch->add_tag(other, "not mine");
    const std::vector<std::string> expected = {"zeta",
                                               "alpha",
                                               "Alpha",
                                               "alpha ",
                                               "it's \"quoted\" \\ here",
                                               "d\u00e9bian \u65e5\u672c",
                                               "'; DROP TABLE images; --",
                                               ""};
    auto got = read_image(db, id);
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->tags, expected);
    EXPECT_EQ(read_image(db, other).value()->tags, std::vector<std::string>{"not mine"});
}

TEST_P(GlanceImages, AnUnknownOrDeletedImageIsAbsent) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image(img, /*deleted=*/true);
    auto db = images_test_open(*scratch);
    for (const std::string& id :
         {std::string(img), std::string("nope"), std::string("' OR 1=1 --")}) {
        auto got = read_image(db, id);
        ASSERT_TRUE(got) << got.error().message;
        EXPECT_FALSE(got->has_value()) << id;
    }
}

TEST_P(GlanceImages, AnUploadGoesFromQueuedThroughSavingToActiveWithItsLocation) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image(img);
    scratch->exec("UPDATE images SET status = 'queued' WHERE id = '" + std::string(img) + "'");
    auto db = images_test_open(*scratch);
    const std::string id(img);
    EXPECT_EQ(begin_upload(db, "no-such-image").value(), upload_state::no_image);
    EXPECT_EQ(begin_upload(db, id).value(), upload_state::applied);
    EXPECT_EQ(begin_upload(db, id).value(), upload_state::wrong_status);  // one upload at a time
    EXPECT_EQ(abort_upload(db, id).value(), upload_state::applied);
    EXPECT_EQ(read_image(db, id).value()->status, "queued");
    EXPECT_EQ(begin_upload(db, id).value(), upload_state::applied);
    upload_record rec{"file:///d/" + id, R"({"store": "fast"})", 5, "md5", "sha512", "h"};
    EXPECT_EQ(finish_upload(db, id, rec).value(), upload_state::applied);
    auto row = read_image(db, id).value();
    ASSERT_TRUE(row);
    EXPECT_EQ(row->status, "active");
    EXPECT_EQ(row->size, 5);
    EXPECT_EQ(row->checksum, "md5");
    EXPECT_EQ(row->os_hash_algo, "sha512");
    EXPECT_EQ(row->os_hash_value, "h");
    ASSERT_EQ(row->locations.size(), 1u);
    EXPECT_EQ(row->locations[0].value, rec.location_value);
    EXPECT_EQ(row->locations[0].meta_data, rec.meta_data);
    // An active image takes no second upload, and finishing twice writes nothing.
    EXPECT_EQ(begin_upload(db, id).value(), upload_state::wrong_status);
    EXPECT_EQ(finish_upload(db, id, rec).value(), upload_state::wrong_status);
    EXPECT_EQ(read_image(db, id).value()->locations.size(), 1u);
}

TEST_P(GlanceImages, FinishingAnUploadOfAnImageDeletedMeanwhileWritesNothing) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image(img);
    scratch->exec("UPDATE images SET status = 'queued' WHERE id = '" + std::string(img) + "'");
    auto db = images_test_open(*scratch);
    const std::string id(img);
    ASSERT_EQ(begin_upload(db, id).value(), upload_state::applied);
    scratch->exec("UPDATE images SET deleted = true WHERE id = '" + id + "'");
    upload_record rec{"file:///d/" + id, R"({"store": "fast"})", 5, "md5", "sha512", "h"};
    EXPECT_EQ(finish_upload(db, id, rec).value(), upload_state::no_image);
    scratch->exec("UPDATE images SET deleted = false WHERE id = '" + id + "'");
    EXPECT_TRUE(read_image(db, id).value()->locations.empty());
}

INSTANTIATE_TEST_SUITE_P(GlanceDb,
                         GlanceImages,
                         testing::ValuesIn(test::all_db_servers()),
                         [](const testing::TestParamInfo<db_server>& p) {
                             return test::db_server_name(p.param);
                         });

}  // namespace
}  // namespace imgstore::glance_db
