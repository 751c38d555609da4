// Reading image_locations: the keyset walk, one row again, and the walk's size.
// clang-format off (database.hpp declares what this file defines: its own header comes first)
#include "imgstore/glance_db/database.hpp"
// clang-format on

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "glance_db/session.hpp"

namespace imgstore::glance_db {
namespace {

// The rows Glance stamps: live locations of live images, by status. MariaDB compares status
// bytes, since its collation would match 'ACTIVE' or 'active ' too.
// The join is written so that every planner walks image_locations by its primary key and
// looks each image up: otherwise an image with many locations (or a table never analysed) made
// MariaDB and SQLite drive the join from images and sort every batch, O(rows) per batch.
// Without `join` the caller leaves out the rows of deleted images (image_id_set).
std::string qualifying_rows(backend kind, const row_filter& filter, bool join = true) {
    std::string status = kind == backend::mysql ? "CAST(l.status AS BINARY)" : "l.status";
    std::string statuses =
        filter.include_pending_delete ? "('active', 'pending_delete')" : "('active')";
    if (!join) {
        // MariaDB would otherwise walk ix_image_locations_deleted and sort every batch.
        return fmt::format("FROM image_locations l {}WHERE l.deleted = false AND {} IN {}",
                           kind == backend::mysql ? "FORCE INDEX (PRIMARY) " : "", status,
                           statuses);
    }
    std::string_view how = kind == backend::mysql    ? "FORCE INDEX (PRIMARY) STRAIGHT_JOIN"
                           : kind == backend::sqlite ? "CROSS JOIN"
                                                     : "JOIN";
    return fmt::format(
        "FROM image_locations l {} images i ON i.id = l.image_id "
        "WHERE l.deleted = false AND i.deleted = false AND {} IN {}",
        how, status, statuses);
}

// An image id as image_id_set stores it: its bytes, NUL-padded to 36.
std::optional<std::array<char, 36>> image_key(std::string_view id) {
    if (id.size() > 36) return std::nullopt;
    std::array<char, 36> key{};
    std::copy(id.begin(), id.end(), key.begin());
    return key;
}

constexpr std::string_view row_columns = "SELECT l.id, l.image_id, l.value, l.meta_data, l.status";

// The walk's columns: the row's, then its heap page on PostgreSQL (location_row::heap_page;
// ctid as text is "(page,item)"), -1 elsewhere.
std::string walk_columns(backend kind) {
    return fmt::format("{}, {}", row_columns,
                       kind == backend::postgresql
                           ? "CAST((CAST(CAST(l.ctid AS text) AS point))[0] AS bigint)"
                           : "-1");
}

db_result<void> check_filter(const database::impl& db, const row_filter& filter) {
    if (filter.shard_count == 0 || filter.shard_index >= filter.shard_count) {
        return db_error{make_error_code(db_errc::invalid_argument),
                        fmt::format("{}: shard {} of {} does not exist", db.spec.where(),
                                    filter.shard_index, filter.shard_count)};
    }
    return {};
}

}  // namespace

bool image_id_set::contains(std::string_view image_id) const {
    auto key = image_key(image_id);
    return key && std::binary_search(ids_.begin(), ids_.end(), *key);
}

db_result<std::optional<image_id_set>> load_deleted_images(database& db, std::size_t max_ids) {
    auto& state = db.internals();
    if (state.spec.kind == backend::sqlite) {
        return db_error{make_error_code(db_errc::invalid_argument),
                        "load_deleted_images: not on SQLite (no foreign keys enforced)"};
    }
    image_id_set set;
    try {
        // One more than allowed says "too many" without reading them all.
        const long long limit = static_cast<long long>(max_ids) + 1;
        soci::rowset<std::string> ids =
            (state.session.prepare << "SELECT id FROM images WHERE deleted = true LIMIT " << limit);
        for (const std::string& id : ids) {
            auto key = image_key(id);
            if (!key || set.ids_.size() == max_ids) return std::optional<image_id_set>{};
            set.ids_.push_back(*key);
        }
    } catch (const soci::soci_error& e) {
        return internal::query_error(state, "reading the deleted images", e);
    }
    std::sort(set.ids_.begin(), set.ids_.end());
    return std::optional<image_id_set>{std::move(set)};
}

db_result<std::vector<location_row>> read_batch(database& db,
                                                std::int64_t after_id,
                                                std::size_t limit,
                                                const row_filter& filter) {
    auto& state = db.internals();
    if (auto r = check_filter(state, filter); !r) return r.error();
    if (limit == 0) {
        return db_error{make_error_code(db_errc::invalid_argument), "read_batch: limit 0"};
    }
    const image_id_set* deleted = filter.deleted_images;
    std::string sql = fmt::format("{} {} AND l.id > :after", walk_columns(state.spec.kind),
                                  qualifying_rows(state.spec.kind, filter, deleted == nullptr));
    if (filter.shard_count > 1) {
        sql += fmt::format(" AND l.id % {} = {}", filter.shard_count, filter.shard_index);
    }
    sql += fmt::format(" ORDER BY l.id LIMIT {}", limit);

    // SOCI 4.0's sqlite3 backend fetches nothing into vectors of one element: the vectors
    // hold at least two, the LIMIT keeps the count right.
    const std::size_t slots = std::max<std::size_t>(limit, 2);
    auto& w = state.walk;
    std::vector<location_row> rows;
    // Rows of deleted images left out can empty a batch that is not the last: read on.
    while (rows.empty()) {
        try {
            if (!w || w->sql != sql) {
                w = std::make_unique<internal::walk_statement>();
                w->sql = sql;
                w->resize(slots);
                w->statement.emplace((state.session.prepare << sql, soci::into(w->ids),
                                      soci::into(w->image_ids), soci::into(w->values),
                                      soci::into(w->metas, w->meta_null), soci::into(w->statuses),
                                      soci::into(w->pages), soci::use(w->after, "after")));
            }
            // One execution fetches up to `slots` rows (the vectors' size; the previous fetch
            // shrank them to what it got).
            w->resize(slots);
            w->after = after_id;
            if (!w->statement->execute(true)) w->ids.clear();
        } catch (const soci::soci_error& e) {
            w.reset();
            return internal::query_error(state, "reading image_locations", e);
        }
        if (w->ids.empty()) break;
        after_id = w->ids.back();
        rows.reserve(w->ids.size());
        for (std::size_t i = 0; i < w->ids.size(); ++i) {
            if (deleted != nullptr && deleted->contains(w->image_ids[i])) continue;
            location_row row;
            row.id = w->ids[i];
            row.image_id = std::move(w->image_ids[i]);
            row.value = std::move(w->values[i]);
            if (w->meta_null[i] != soci::i_null) row.meta_data = std::move(w->metas[i]);
            row.status = std::move(w->statuses[i]);
            if (w->pages[i] >= 0) row.heap_page = static_cast<std::uint32_t>(w->pages[i]);
            rows.push_back(std::move(row));
        }
    }
    return rows;
}

db_result<std::optional<location_row>> read_row(database& db,
                                                std::int64_t id,
                                                const row_filter& filter) {
    auto& state = db.internals();
    std::string sql =
        fmt::format("{} {} AND l.id = :id", row_columns, qualifying_rows(state.spec.kind, filter));
    location_row row;
    long long key = id;
    long long got_id = 0;
    std::string meta;
    soci::indicator meta_null = soci::i_ok;
    try {
        state.session << sql, soci::into(got_id), soci::into(row.image_id), soci::into(row.value),
            soci::into(meta, meta_null), soci::into(row.status), soci::use(key, "id");
    } catch (const soci::soci_error& e) {
        return internal::query_error(state, fmt::format("reading image_locations row {}", id), e);
    }
    if (!state.session.got_data()) return std::optional<location_row>{};
    row.id = got_id;
    if (meta_null != soci::i_null) row.meta_data = std::move(meta);
    return std::optional<location_row>{std::move(row)};
}

db_result<std::int64_t> count_rows(database& db, const row_filter& filter) {
    auto& state = db.internals();
    if (auto r = check_filter(state, filter); !r) return r.error();
    std::string sql = fmt::format("SELECT COUNT(*) {}", qualifying_rows(state.spec.kind, filter));
    if (filter.shard_count > 1) {
        sql += fmt::format(" AND l.id % {} = {}", filter.shard_count, filter.shard_index);
    }
    long long count = 0;
    try {
        state.session << sql, soci::into(count);
    } catch (const soci::soci_error& e) {
        return internal::query_error(state, "counting image_locations", e);
    }
    return std::int64_t{count};
}

}  // namespace imgstore::glance_db
