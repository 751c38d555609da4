// Saving edits: compare-and-swap updates, set-based per statement, in one transaction.
#include "imgstore/glance_db/database.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <unordered_map>

#include "glance_db/session.hpp"

namespace imgstore::glance_db {
namespace {

// Rows per statement: 6 bound values each keeps every backend far below its parameter limit
// (SQLite 32766, PostgreSQL 65535) and MariaDB's statement under max_allowed_packet for
// ordinary URLs.
constexpr std::size_t rows_per_statement = 500;

// Bound values of one chunk, kept alive (and unmoved) until the statement has run.
struct chunk_binding {
    std::vector<long long> ids;
    std::vector<long long> positions;
    std::vector<std::string> old_meta;
    std::vector<std::string> new_meta;
    std::vector<soci::indicator> old_meta_null;
    std::vector<soci::indicator> new_meta_null;

    explicit chunk_binding(std::span<const row_update> rows, std::size_t first_pos) {
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const row_update& u = rows[i];
            ids.push_back(u.id);
            positions.push_back(static_cast<long long>(first_pos + i));
            old_meta.push_back(u.old_meta.value_or(std::string{}));
            new_meta.push_back(u.new_meta.value_or(std::string{}));
            old_meta_null.push_back(u.old_meta ? soci::i_ok : soci::i_null);
            new_meta_null.push_back(u.new_meta ? soci::i_ok : soci::i_null);
        }
    }
};

// Binds (id, old_value, old_meta, old_status, new_value, new_meta) of row i, in that order.
void bind_row(soci::statement& st, chunk_binding& b, std::span<const row_update> rows, std::size_t i) {
    st.exchange(soci::use(b.ids[i]));
    st.exchange(soci::use(rows[i].old_value));
    st.exchange(soci::use(b.old_meta[i], b.old_meta_null[i]));
    st.exchange(soci::use(rows[i].old_status));
    st.exchange(soci::use(rows[i].new_value));
    st.exchange(soci::use(b.new_meta[i], b.new_meta_null[i]));
}

// PostgreSQL and SQLite: one UPDATE ... FROM a VALUES list, RETURNING the ids it changed.
void returning_update(database::impl& db,
                      std::span<const row_update> rows,
                      const std::string& now,
                      std::vector<long long>& changed) {
    bool pg = db.spec.kind == backend::postgresql;
    std::string values;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i != 0) values += ", ";
        values += pg ? fmt::format(
                           "(CAST(:i{0} AS integer), CAST(:ov{0} AS text), CAST(:om{0} AS text), "
                           "CAST(:os{0} AS text), CAST(:nv{0} AS text), CAST(:nm{0} AS text))",
                           i)
                     : fmt::format("(:i{0}, :ov{0}, :om{0}, :os{0}, :nv{0}, :nm{0})", i);
    }
    std::string sql =
        pg ? fmt::format(
                 "UPDATE image_locations AS l SET value = v.new_value, meta_data = v.new_meta, "
                 "updated_at = CAST(:now AS timestamp) "
                 "FROM (VALUES {}) AS v(id, old_value, old_meta, old_status, new_value, "
                 "new_meta) "
                 "WHERE l.id = v.id AND l.deleted = false AND l.status = v.old_status "
                 "AND l.value = v.old_value AND l.meta_data IS NOT DISTINCT FROM v.old_meta "
                 "RETURNING l.id",
                 values)
           : fmt::format(
                 "WITH v(id, old_value, old_meta, old_status, new_value, new_meta) AS "
                 "(VALUES {}) "
                 "UPDATE image_locations SET value = v.new_value, meta_data = v.new_meta, "
                 "updated_at = :now FROM v "
                 "WHERE image_locations.id = v.id AND image_locations.deleted = false "
                 "AND image_locations.status = v.old_status "
                 "AND image_locations.value = v.old_value "
                 "AND image_locations.meta_data IS v.old_meta "
                 "RETURNING image_locations.id",
                 values);
    chunk_binding b(rows, 0);
    // At least two slots: SOCI 4.0's sqlite3 backend fetches nothing into a one-element vector.
    std::vector<long long> got(std::max<std::size_t>(rows.size(), 2));
    soci::statement st(db.session);
    st.alloc();
    st.prepare(sql);
    // PostgreSQL numbers parameters in order of appearance: :now comes first there, last in
    // the SQLite text.
    if (pg) st.exchange(soci::use(now));
    for (std::size_t i = 0; i < rows.size(); ++i) bind_row(st, b, rows, i);
    if (!pg) st.exchange(soci::use(now));
    st.exchange(soci::into(got));
    st.define_and_bind();
    st.execute(true);
    changed.insert(changed.end(), got.begin(), got.end());
    // A RETURNING result larger than one fetch (not expected: at most one row per id).
    while (st.fetch()) changed.insert(changed.end(), got.begin(), got.end());
}

// MariaDB has no UPDATE ... RETURNING: the rows go into a session temporary table, one
// multi-table UPDATE changes image_locations and marks the temporary rows it matched.
void mysql_update(database::impl& db,
                  std::span<const row_update> all,
                  const std::string& now,
                  std::vector<long long>& changed_positions) {
    if (!db.cas_table_ready) {
        // A temporary table is private to the session and its DDL does not commit the
        // transaction; utf8mb4_bin so that its own comparisons are bytes too.
        db.session << "CREATE TEMPORARY TABLE IF NOT EXISTS imgstore_cas ("
                      "pos INT NOT NULL PRIMARY KEY, id INT NOT NULL, "
                      "old_value LONGTEXT NOT NULL, old_meta LONGTEXT NULL, "
                      "old_status VARCHAR(30) NOT NULL, new_value LONGTEXT NOT NULL, "
                      "new_meta LONGTEXT NULL, applied TINYINT NOT NULL DEFAULT 0, "
                      "UNIQUE KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
                      "COLLATE=utf8mb4_bin";
        db.cas_table_ready = true;
    }
    db.session << "DELETE FROM imgstore_cas";
    for (std::size_t first = 0; first < all.size(); first += rows_per_statement) {
        auto rows = all.subspan(first, std::min(rows_per_statement, all.size() - first));
        std::string values;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (i != 0) values += ", ";
            values += fmt::format("(:p{0}, :i{0}, :ov{0}, :om{0}, :os{0}, :nv{0}, :nm{0})", i);
        }
        chunk_binding b(rows, first);
        soci::statement st(db.session);
        st.alloc();
        st.prepare("INSERT INTO imgstore_cas (pos, id, old_value, old_meta, old_status, "
                   "new_value, new_meta) VALUES " +
                   values);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            st.exchange(soci::use(b.positions[i]));
            bind_row(st, b, rows, i);
        }
        st.define_and_bind();
        st.execute(true);
    }
    db.session << "UPDATE image_locations l JOIN imgstore_cas c ON l.id = c.id "
                  "SET l.value = c.new_value, l.meta_data = c.new_meta, l.updated_at = :now, "
                  "c.applied = 1 "
                  "WHERE l.deleted = false "
                  "AND CAST(l.status AS BINARY) = CAST(c.old_status AS BINARY) "
                  "AND CAST(l.value AS BINARY) = CAST(c.old_value AS BINARY) "
                  "AND CAST(l.meta_data AS BINARY) <=> CAST(c.old_meta AS BINARY)",
        soci::use(now);
    std::vector<long long> got(std::max<std::size_t>(all.size(), 2));
    db.session << "SELECT pos FROM imgstore_cas WHERE applied = 1", soci::into(got);
    changed_positions.insert(changed_positions.end(), got.begin(), got.end());
}

}  // namespace

db_result<std::vector<bool>> compare_and_swap(database& db,
                                              std::span<const row_update> updates,
                                              const before_commit_hook& hook) {
    auto& state = db.internals();
    if (updates.empty()) return std::vector<bool>{};
    std::unordered_map<std::int64_t, std::size_t> position;
    position.reserve(updates.size());
    for (std::size_t i = 0; i < updates.size(); ++i) {
        if (!position.emplace(updates[i].id, i).second) {
            return db_error{make_error_code(db_errc::invalid_argument),
                            fmt::format("compare_and_swap: image_locations row {} given twice",
                                        updates[i].id)};
        }
    }
    std::vector<bool> applied;
    std::string what = fmt::format("compare-and-swap of {} image_locations rows", updates.size());
    auto attempt = [&]() -> db_result<void> {
        applied.assign(updates.size(), false);
        std::string now = internal::utc_timestamp(state.spec.kind);
        state.session.begin();
        std::vector<long long> hits;
        if (state.spec.kind == backend::mysql) {
            mysql_update(state, updates, now, hits);
            for (long long pos : hits) applied.at(static_cast<std::size_t>(pos)) = true;
        } else {
            for (std::size_t first = 0; first < updates.size(); first += rows_per_statement) {
                returning_update(state,
                                 updates.subspan(first, std::min(rows_per_statement,
                                                                 updates.size() - first)),
                                 now, hits);
            }
            for (long long id : hits) applied.at(position.at(id)) = true;
        }
        if (hook) {
            if (auto r = hook(updates, applied); !r) {
                state.session.rollback();
                return db_error{make_error_code(db_errc::aborted),
                                fmt::format("{}: {} rolled back: {}", state.spec.where(), what,
                                            r.error().message)};
            }
        }
        state.session.commit();
        return {};
    };
    auto r = internal::with_retries(state, what, attempt);
    if (!r) return r.error();
    return applied;
}

}  // namespace imgstore::glance_db
