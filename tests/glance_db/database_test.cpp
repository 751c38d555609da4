#include "imgstore/glance_db/database.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "glance_db/scratch_db.hpp"
#include "test_util.hpp"

namespace imgstore::glance_db {
namespace {

using test::db_server;
using test::scratch_glance_db;

class GlanceDatabase : public testing::TestWithParam<db_server> {};

database open_or_fail(const scratch_glance_db& db, const open_options& options = {}) {
    auto opened = open(db.spec(), options);
    if (!opened) throw std::runtime_error(opened.error().message);
    return std::move(*opened);
}

std::vector<std::int64_t> walk_ids(database& db, const row_filter& filter, std::size_t batch) {
    std::vector<std::int64_t> ids;
    std::int64_t after = 0;
    for (;;) {
        auto rows = read_batch(db, after, batch, filter);
        if (!rows) throw std::runtime_error(rows.error().message);
        if (rows->empty()) return ids;
        EXPECT_LE(rows->size(), batch);
        for (const auto& r : *rows) {
            EXPECT_GT(r.id, after);
            ids.push_back(r.id);
            after = r.id;
        }
    }
}

row_update stamp(const location_row& row, std::string new_meta) {
    return {row.id, row.value, row.meta_data, row.status, row.value, std::move(new_meta)};
}

TEST_P(GlanceDatabase, OpensAGlanceDatabase) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    auto db = open(scratch->spec());
    ASSERT_TRUE(db) << db.error().message;
    EXPECT_EQ(db->spec().database, scratch->spec().database);
}

TEST_P(GlanceDatabase, MissingTableIsAClearError) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->exec("DROP TABLE image_locations");
    auto db = open(scratch->spec());
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, make_error_code(db_errc::not_glance));
    EXPECT_NE(db.error().message.find("image_locations"), std::string::npos) << db.error().message;
    EXPECT_NE(db.error().message.find(scratch->spec().where()), std::string::npos);
}

TEST_P(GlanceDatabase, MissingColumnIsAClearError) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->exec("ALTER TABLE image_locations DROP COLUMN meta_data");
    auto db = open(scratch->spec());
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, make_error_code(db_errc::not_glance));
    EXPECT_NE(db.error().message.find("meta_data"), std::string::npos) << db.error().message;
}

// Servers only: SQLite has no password.
class GlanceDatabaseServer : public testing::TestWithParam<db_server> {};

TEST_P(GlanceDatabaseServer, WrongPasswordNamesHostAndDatabaseNeverThePassword) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    for (std::string wrong : {"Wr0ng-S3ntinel", "it's \\ 'quoted' pw", "sp ace=1 host=x"}) {
        connection_spec spec = scratch->spec();
        spec.password = secret(wrong);
        auto db = open(spec);
        ASSERT_FALSE(db);
        EXPECT_EQ(db.error().code, make_error_code(db_errc::connect_failed));
        EXPECT_EQ(db.error().message.find(wrong), std::string::npos) << db.error().message;
        EXPECT_NE(db.error().message.find(spec.database), std::string::npos) << db.error().message;
        EXPECT_NE(db.error().message.find(spec.socket), std::string::npos) << db.error().message;
    }
}

TEST(GlanceDatabaseSqlite, MissingFileIsAnErrorAndStaysMissing) {
    test::temp_dir dir;
    auto path = dir.path() / "nope.sqlite";
    auto spec = parse_connection_url("sqlite:///" + path.string());
    ASSERT_TRUE(spec);
    auto db = open(*spec);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, make_error_code(db_errc::connect_failed));
    EXPECT_NE(db.error().message.find(path.string()), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(GlanceDatabaseSqlite, EmptyFileIsNotGlance) {
    test::temp_dir dir;
    auto path = dir.write("empty.sqlite", "");
    auto db = open(parse_connection_url("sqlite:///" + path.string()).value());
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, make_error_code(db_errc::not_glance));
}

// Rows of every kind the walk must tell apart.
struct walk_fixture {
    std::vector<std::int64_t> active;          // walked always
    std::vector<std::int64_t> pending_delete;  // walked when asked
    std::vector<std::int64_t> never;           // deleted rows, other statuses, deleted images

    explicit walk_fixture(scratch_glance_db& db) {
        db.add_image("img-live");
        db.add_image("img-gone", /*deleted=*/true);
        active.push_back(db.add_location("img-live", "file:///a/1", std::nullopt));
        never.push_back(db.add_location("img-live", "file:///a/2", "{}", "deleted", true));
        active.push_back(db.add_location("img-live", "file:///a/3", "{}"));
        pending_delete.push_back(
            db.add_location("img-live", "file:///a/4", "{}", "pending_delete"));
        never.push_back(db.add_location("img-live", "file:///a/5", "{}", "active", true));
        never.push_back(db.add_location("img-live", "file:///a/6", "{}", "pending"));
        never.push_back(db.add_location("img-live", "file:///a/7", "{}", "uploading"));
        never.push_back(db.add_location("img-gone", "file:///a/8", "{}"));
        never.push_back(db.add_location("img-live", "file:///a/9", "{}", "ACTIVE"));
        never.push_back(db.add_location("img-live", "file:///a/10", "{}", "active "));
        for (int i = 0; i < 7; ++i) {
            active.push_back(db.add_location("img-live", "file:///b/" + std::to_string(i),
                                             R"({"k": )" + std::to_string(i) + "}"));
        }
        never.push_back(db.add_location("img-gone", "file:///a/11", "{}", "pending_delete"));
    }
};

TEST_P(GlanceDatabase, WalksLiveActiveRowsByKeysetInEveryBatchSize) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    walk_fixture rows(*scratch);
    database db = open_or_fail(*scratch);
    for (std::size_t batch : {1u, 2u, 3u, 500u}) {
        EXPECT_EQ(walk_ids(db, {}, batch), rows.active) << "batch " << batch;
    }
    EXPECT_EQ(count_rows(db, {}).value(), static_cast<std::int64_t>(rows.active.size()));
}

TEST_P(GlanceDatabase, WalksPendingDeleteOnlyWhenAsked) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    walk_fixture rows(*scratch);
    database db = open_or_fail(*scratch);
    std::vector<std::int64_t> expected = rows.active;
    expected.insert(expected.end(), rows.pending_delete.begin(), rows.pending_delete.end());
    std::sort(expected.begin(), expected.end());
    row_filter filter{.include_pending_delete = true};
    EXPECT_EQ(walk_ids(db, filter, 2), expected);
    EXPECT_EQ(count_rows(db, filter).value(), static_cast<std::int64_t>(expected.size()));
}

// On a server the walk can leave out the rows of the deleted images, read once, instead of
// joining images: the same rows, whatever the batch (one that holds nothing but their rows is
// read past, not returned empty).
TEST_P(GlanceDatabaseServer, WalksWithTheDeletedImagesReadOnceAsWithTheJoin) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    walk_fixture rows(*scratch);
    scratch->add_image("img-gone-2", /*deleted=*/true);
    for (int i = 0; i < 5; ++i) {
        scratch->add_location("img-gone-2", "file:///c/" + std::to_string(i), "{}");
    }
    std::vector<std::int64_t> expected = rows.active;
    expected.push_back(scratch->add_location("img-live", "file:///d", std::nullopt));
    database db = open_or_fail(*scratch);
    auto deleted = load_deleted_images(db, 2).value();
    ASSERT_TRUE(deleted);
    EXPECT_EQ(deleted->size(), 2u);
    EXPECT_TRUE(deleted->contains("img-gone"));
    EXPECT_TRUE(deleted->contains("img-gone-2"));
    EXPECT_FALSE(deleted->contains("img-live"));
    EXPECT_FALSE(deleted->contains("img-gone-"));
    EXPECT_FALSE(deleted->contains(std::string(37, 'x')));
    const row_filter filter{.deleted_images = &*deleted};
    for (std::size_t batch : {1u, 2u, 3u, 500u}) {
        EXPECT_EQ(walk_ids(db, filter, batch), expected) << "batch " << batch;
        EXPECT_EQ(walk_ids(db, {}, batch), expected) << "batch " << batch;
    }
    // More deleted images than the caller holds: none, and the caller joins.
    EXPECT_FALSE(load_deleted_images(db, 1).value());
}

TEST(GlanceDatabaseSqlite, LooksImagesUpInsteadOfLoadingTheDeleted) {
    IMGSTORE_SCRATCH_DB(scratch, db_server::sqlite);
    database db = open_or_fail(*scratch);
    auto deleted = load_deleted_images(db, 10);
    ASSERT_FALSE(deleted);
    EXPECT_EQ(deleted.error().code, make_error_code(db_errc::invalid_argument));
}

// PostgreSQL's walk says on which heap page each row is (plan_writes orders by it); the
// others update in place and say nothing.
TEST_P(GlanceDatabase, ReadsTheHeapPageOnPostgresqlOnly) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image("img");
    for (int i = 0; i < 3; ++i)
        scratch->add_location("img", "file:///p/" + std::to_string(i), "{}");
    database db = open_or_fail(*scratch);
    for (const location_row& row : read_batch(db, 0, 10, {}).value()) {
        if (GetParam() == db_server::postgresql) {
            EXPECT_EQ(row.heap_page, std::optional<std::uint32_t>{0}) << row.id;
        } else {
            EXPECT_EQ(row.heap_page, std::nullopt) << row.id;
        }
    }
}

TEST_P(GlanceDatabase, ShardsPartitionTheWalk) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    walk_fixture rows(*scratch);
    database db = open_or_fail(*scratch);
    for (unsigned n : {2u, 3u, 7u}) {
        std::vector<std::int64_t> all;
        std::int64_t counted = 0;
        for (unsigned k = 0; k < n; ++k) {
            row_filter filter{.shard_index = k, .shard_count = n};
            auto ids = walk_ids(db, filter, 2);
            for (auto id : ids) EXPECT_EQ(static_cast<unsigned>(id % n), k);
            counted += count_rows(db, filter).value();
            all.insert(all.end(), ids.begin(), ids.end());
        }
        std::sort(all.begin(), all.end());
        EXPECT_EQ(all, rows.active) << n << " shards";
        EXPECT_EQ(counted, static_cast<std::int64_t>(rows.active.size()));
    }
}

TEST_P(GlanceDatabase, RejectsShardsThatDoNotExist) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    database db = open_or_fail(*scratch);
    for (auto [k, n] : {std::pair{0u, 0u}, std::pair{2u, 2u}, std::pair{5u, 3u}}) {
        auto rows = read_batch(db, 0, 10, {.shard_index = k, .shard_count = n});
        ASSERT_FALSE(rows);
        EXPECT_EQ(rows.error().code, make_error_code(db_errc::invalid_argument));
    }
    EXPECT_FALSE(read_batch(db, 0, 0, {}));
}

TEST_P(GlanceDatabase, ReadsRowsAsStoredNullAndNonAsciiIncluded) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image("img");
    const std::string meta = "{\"cl\xC3\xA9\": \"v\xC3\xA0l \\u00e9\", \"Ceph\": \"x  \"}";
    auto null_id = scratch->add_location("img", "rbd://fsid/pool/img/snap", std::nullopt);
    auto meta_id = scratch->add_location("img", "file:///caf\xC3\xA9", meta);
    database db = open_or_fail(*scratch);
    auto rows = read_batch(db, 0, 10, {}).value();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0],
              (location_row{null_id, "img", "rbd://fsid/pool/img/snap", std::nullopt, "active"}));
    EXPECT_EQ(rows[1], (location_row{meta_id, "img", "file:///caf\xC3\xA9", meta, "active"}));
    EXPECT_EQ(read_row(db, meta_id, {}).value(), rows[1]);
}

TEST_P(GlanceDatabase, RereadsOnlyRowsThatStillQualify) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    walk_fixture rows(*scratch);
    database db = open_or_fail(*scratch);
    for (auto id : rows.active) EXPECT_TRUE(read_row(db, id, {}).value().has_value()) << id;
    for (auto id : rows.never) EXPECT_FALSE(read_row(db, id, {}).value().has_value()) << id;
    EXPECT_FALSE(read_row(db, rows.pending_delete[0], {}).value().has_value());
    EXPECT_TRUE(
        read_row(db, rows.pending_delete[0], {.include_pending_delete = true}).value().has_value());
    EXPECT_FALSE(read_row(db, 999999, {}).value().has_value());
}

TEST_P(GlanceDatabase, CompareAndSwapWritesUnchangedRowsAndTheirUpdatedAt) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image("img");
    auto a = scratch->add_location("img", "file:///a", std::nullopt);
    auto b = scratch->add_location("img", "file:///b", R"({"x": 1})");
    auto c = scratch->add_location("img", "file:///c", R"({"y": 2})");
    database db = open_or_fail(*scratch);
    auto rows = read_batch(db, 0, 10, {}).value();
    ASSERT_EQ(rows.size(), 3u);
    std::vector<row_update> updates{stamp(rows[0], R"({"store": "fast"})"),
                                    stamp(rows[1], R"({"x": 1, "store": "fast"})")};
    updates[1].new_value = "file:///b2";
    auto applied = compare_and_swap(db, updates);
    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_EQ(*applied, (std::vector<bool>{true, true}));
    auto sa = scratch->location(a).value();
    EXPECT_EQ(sa.meta_data, R"({"store": "fast"})");
    EXPECT_EQ(sa.value, "file:///a");
    ASSERT_TRUE(sa.updated_at.has_value());
    EXPECT_EQ(sa.updated_at->substr(0, 2), "20");
    auto sb = scratch->location(b).value();
    EXPECT_EQ(sb.value, "file:///b2");
    EXPECT_EQ(sb.meta_data, R"({"x": 1, "store": "fast"})");
    auto sc = scratch->location(c).value();
    EXPECT_EQ(sc.meta_data, R"({"y": 2})");
    EXPECT_FALSE(sc.updated_at.has_value());
}

// A concurrent writer changed the row after it was read: the swap must not apply and the
// writer's data must survive, whatever the change.
struct concurrent_change {
    std::string name;
    std::string value;
    std::optional<std::string> meta;
    std::string status;
    bool deleted;
};

TEST_P(GlanceDatabase, CompareAndSwapNeverClobbersAConcurrentWrite) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    const std::string value = "rbd://fsid/images/img/snap";
    const std::string meta = R"({"Ceph": "x"})";
    const std::vector<concurrent_change> changes = {
        {"value changed", "rbd://fsid/images/img2/snap", meta, "active", false},
        {"value changed in case only", "RBD://fsid/images/img/snap", meta, "active", false},
        {"value gained a trailing space", value + " ", meta, "active", false},
        {"meta_data changed", value, R"({"Ceph": "x", "k": 1})", "active", false},
        {"meta_data changed in case only", value, R"({"ceph": "x"})", "active", false},
        {"meta_data gained a trailing space", value, meta + " ", "active", false},
        {"meta_data became NULL", value, std::nullopt, "active", false},
        {"meta_data stamped by Glance", value, R"({"Ceph": "x", "store": "other"})", "active",
         false},
        {"soft-deleted", value, meta, "deleted", true},
        {"deleted flag only", value, meta, "active", true},
        {"status changed", value, meta, "pending_delete", false},
        {"status changed in case only", value, meta, "ACTIVE", false},
    };
    scratch->add_image("img");
    std::vector<std::int64_t> ids;
    for (std::size_t i = 0; i < changes.size(); ++i)
        ids.push_back(scratch->add_location("img", value, meta));
    auto untouched = scratch->add_location("img", value, meta);
    database db = open_or_fail(*scratch);
    auto rows = read_batch(db, 0, 100, {}).value();
    ASSERT_EQ(rows.size(), changes.size() + 1);
    for (std::size_t i = 0; i < changes.size(); ++i) {
        const auto& ch = changes[i];
        std::optional<std::string_view> m;
        if (ch.meta) m = *ch.meta;
        scratch->set_location(ids[i], ch.value, m, ch.status, ch.deleted);
    }
    std::vector<row_update> updates;
    for (const auto& row : rows) updates.push_back(stamp(row, R"({"Ceph": "x", "store": "fast"})"));
    auto applied = compare_and_swap(db, updates).value();
    for (std::size_t i = 0; i < changes.size(); ++i) {
        SCOPED_TRACE(changes[i].name);
        EXPECT_FALSE(applied[i]);
        auto stored = scratch->location(ids[i]).value();
        EXPECT_EQ(stored.value, changes[i].value);
        EXPECT_EQ(stored.meta_data, changes[i].meta);
        EXPECT_EQ(stored.status, changes[i].status);
        EXPECT_EQ(stored.deleted, changes[i].deleted);
    }
    EXPECT_TRUE(applied.back());
    EXPECT_EQ(scratch->location(untouched).value().meta_data, R"({"Ceph": "x", "store": "fast"})");
}

TEST_P(GlanceDatabase, CompareAndSwapMatchesNonAsciiTextByItsBytes) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image("img");
    const std::string value = "file:///srv/\xC3\xA9t\xC3\xA9/img";
    const std::string meta = "{\"\xC3\xA9t\xC3\xA9\": \"\xC3\xBC\", \"e\": \"\\u00e9\"}";
    auto id = scratch->add_location("img", value, meta);
    auto other = scratch->add_location("img", value, meta);
    database db = open_or_fail(*scratch);
    auto rows = read_batch(db, 0, 10, {}).value();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].meta_data, meta);
    // The second row's text changed only in a non-ASCII letter's case: it must not match.
    scratch->set_location(other, value,
                          "{\"\xC3\x89t\xC3\xA9\": \"\xC3\xBC\", \"e\": \"\\u00e9\"}");
    std::string stamped = meta.substr(0, meta.size() - 1) + ", \"store\": \"s\"}";
    std::vector<row_update> updates{stamp(rows[0], stamped), stamp(rows[1], stamped)};
    EXPECT_EQ(compare_and_swap(db, updates).value(), (std::vector<bool>{true, false}));
    EXPECT_EQ(scratch->location(id).value().meta_data, stamped);
    EXPECT_EQ(scratch->location(id).value().value, value);
}

TEST_P(GlanceDatabase, CompareAndSwapTellsNullFromEmptyMetaData) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image("img");
    auto null_row = scratch->add_location("img", "file:///n", std::nullopt);
    auto empty_row = scratch->add_location("img", "file:///e", "");
    database db = open_or_fail(*scratch);
    // Each update expects the other row's state.
    std::vector<row_update> wrong{
        {null_row, "file:///n", std::string(), "active", "file:///n", "{}"},
        {empty_row, "file:///e", std::nullopt, "active", "file:///e", "{}"},
    };
    EXPECT_EQ(compare_and_swap(db, wrong).value(), (std::vector<bool>{false, false}));
    std::vector<row_update> right{
        {null_row, "file:///n", std::nullopt, "active", "file:///n", "{}"},
        {empty_row, "file:///e", std::string(), "active", "file:///e", "{}"},
    };
    EXPECT_EQ(compare_and_swap(db, right).value(), (std::vector<bool>{true, true}));
}

TEST_P(GlanceDatabase, CompareAndSwapCanWriteNullBackForUndo) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image("img");
    auto id = scratch->add_location("img", "file:///u", R"({"store": "fast"})");
    database db = open_or_fail(*scratch);
    row_update undo{id, "file:///u", R"({"store": "fast"})", "active", "file:///u", std::nullopt};
    EXPECT_EQ(compare_and_swap(db, std::span(&undo, 1)).value(), std::vector<bool>{true});
    EXPECT_EQ(scratch->location(id).value().meta_data, std::nullopt);
}

TEST_P(GlanceDatabase, CompareAndSwapHandlesBatchesLargerThanOneStatement) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image("img");
    scratch->exec("BEGIN");
    for (int i = 0; i < 1203; ++i)
        scratch->add_location("img", "file:///x/" + std::to_string(i), "{}");
    scratch->exec("COMMIT");
    database db = open_or_fail(*scratch);
    auto rows = read_batch(db, 0, 2000, {}).value();
    ASSERT_EQ(rows.size(), 1203u);
    std::vector<row_update> updates;
    for (const auto& r : rows) updates.push_back(stamp(r, R"({"store": "fast"})"));
    scratch->set_location(rows[700].id, rows[700].value, R"({"store": "other"})");
    auto applied = compare_and_swap(db, updates).value();
    EXPECT_EQ(std::count(applied.begin(), applied.end(), true), 1202);
    EXPECT_FALSE(applied[700]);
    EXPECT_EQ(count_rows(db, {}).value(), 1203);
    EXPECT_EQ(scratch->location(rows[1202].id).value().meta_data, R"({"store": "fast"})");
}

TEST_P(GlanceDatabase, CompareAndSwapRejectsDuplicateIds) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    database db = open_or_fail(*scratch);
    std::vector<row_update> updates{{7, "a", std::nullopt, "active", "a", "{}"},
                                    {7, "a", std::nullopt, "active", "a", "{}"}};
    auto applied = compare_and_swap(db, updates);
    ASSERT_FALSE(applied);
    EXPECT_EQ(applied.error().code, make_error_code(db_errc::invalid_argument));
    EXPECT_TRUE(compare_and_swap(db, {}).value().empty());
}

TEST_P(GlanceDatabase, HookSeesTheOutcomeAndItsFailureRollsBack) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    scratch->add_image("img");
    auto a = scratch->add_location("img", "file:///a", "{}");
    auto b = scratch->add_location("img", "file:///b", "{}");
    database db = open_or_fail(*scratch);
    auto rows = read_batch(db, 0, 10, {}).value();
    scratch->set_location(b, "file:///b", R"({"k": 1})");
    std::vector<row_update> updates{stamp(rows[0], R"({"store": "s"})"),
                                    stamp(rows[1], R"({"store": "s"})")};
    std::vector<bool> seen;
    auto failed = compare_and_swap(
        db, updates,
        [&](std::span<const row_update> u, const std::vector<bool>& applied) -> db_result<void> {
            EXPECT_EQ(u.size(), 2u);
            seen = applied;
            return db_error{make_error_code(db_errc::query_failed), "journal: disk full"};
        });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, make_error_code(db_errc::aborted));
    EXPECT_NE(failed.error().message.find("journal: disk full"), std::string::npos);
    EXPECT_EQ(seen, (std::vector<bool>{true, false}));
    EXPECT_EQ(scratch->location(a).value().meta_data, "{}");
    EXPECT_FALSE(scratch->location(a).value().updated_at.has_value());
    // The connection is usable afterwards and the same swap commits.
    EXPECT_EQ(compare_and_swap(db, updates).value(), (std::vector<bool>{true, false}));
    EXPECT_EQ(scratch->location(a).value().meta_data, R"({"store": "s"})");
}

// One location, read by a connection with these contention settings; then the helper's own
// connection opens a transaction that holds a write lock on the row (the whole file for
// SQLite) until it runs COMMIT.
struct locked_row {
    std::unique_ptr<scratch_glance_db>& scratch;
    std::int64_t id;
    database db;
    row_update update;

    static std::int64_t add_one(scratch_glance_db& s) {
        s.add_image("img");
        return s.add_location("img", "file:///l", "{}");
    }

    locked_row(std::unique_ptr<scratch_glance_db>& s, open_options options)
        : scratch(s),
          id(add_one(*s)),
          db(open_or_fail(*s, options)),
          update(stamp(read_batch(db, 0, 10, {}).value().at(0), R"({"store": "s"})")) {
        scratch->exec(scratch->server() == db_server::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
        scratch->exec("UPDATE image_locations SET deleted = false WHERE id = " +
                      std::to_string(id));
    }
};

open_options contention(int lock_ms, int backoff_ms, unsigned attempts) {
    open_options options;
    options.lock_timeout = std::chrono::milliseconds(lock_ms);
    options.first_backoff = std::chrono::milliseconds(backoff_ms);
    options.max_attempts = attempts;
    return options;
}

TEST_P(GlanceDatabase, RetriesWhileAnotherTransactionHoldsTheLock) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    locked_row row(scratch, contention(100, 50, 30));
    std::thread release([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        scratch->exec("COMMIT");
    });
    auto applied = compare_and_swap(row.db, std::span(&row.update, 1));
    release.join();
    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_EQ(*applied, std::vector<bool>{true});
    EXPECT_GT(row.db.retries(), 0u);
}

TEST_P(GlanceDatabase, GivesUpAfterMaxAttemptsWithANamedError) {
    IMGSTORE_SCRATCH_DB(scratch, GetParam());
    locked_row row(scratch, contention(50, 1, 2));
    auto applied = compare_and_swap(row.db, std::span(&row.update, 1));
    scratch->exec("COMMIT");
    ASSERT_FALSE(applied);
    EXPECT_EQ(applied.error().code, make_error_code(db_errc::retries_exhausted));
    EXPECT_NE(applied.error().message.find(scratch->spec().where()), std::string::npos);
    EXPECT_EQ(scratch->location(row.id).value().meta_data, "{}");
}

INSTANTIATE_TEST_SUITE_P(GlanceDb,
                         GlanceDatabase,
                         testing::ValuesIn(test::all_db_servers()),
                         [](const testing::TestParamInfo<db_server>& p) {
                             return test::db_server_name(p.param);
                         });
INSTANTIATE_TEST_SUITE_P(GlanceDb,
                         GlanceDatabaseServer,
                         testing::Values(db_server::postgresql, db_server::mariadb),
                         [](const testing::TestParamInfo<db_server>& p) {
                             return test::db_server_name(p.param);
                         });

}  // namespace
}  // namespace imgstore::glance_db
