// Saving edits: compare-and-swap updates, set-based per statement, in one transaction.
// clang-format off (database.hpp declares what this file defines: its own header comes first)
#include "imgstore/glance_db/database.hpp"
// clang-format on

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <unordered_map>

#include "glance_db/session.hpp"
#include "imgstore/glance_db/meta_data.hpp"

namespace imgstore::glance_db {
namespace {

// Rows per statement on MariaDB: keeps the JSON well under max_allowed_packet for ordinary
// URLs.
constexpr std::size_t rows_per_statement = 500;

// A PostgreSQL array literal of one text column into `out`: every element double-quoted with
// '\\' and '"' escaped, NULL where `get` gives nullptr.
void pg_text_array(std::string& out,
                   std::span<const row_update> rows,
                   const std::string* (*get)(const row_update&)) {
    out = "{";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i != 0) out += ',';
        const std::string* text = get(rows[i]);
        if (text == nullptr) {
            out += "NULL";
            continue;
        }
        out += '"';
        std::string_view rest = *text;
        for (auto cut = rest.find_first_of("\\\""); cut != std::string_view::npos;
             cut = rest.find_first_of("\\\"")) {
            out.append(rest.substr(0, cut));
            out += '\\';
            out += rest[cut];
            rest.remove_prefix(cut + 1);
        }
        out.append(rest);
        out += '"';
    }
    out += '}';
}

const std::string* nullable(const std::optional<std::string>& v) { return v ? &*v : nullptr; }

// PostgreSQL: one UPDATE ... FROM unnest(arrays) RETURNING the ids it changed. Six array
// parameters instead of six per row: parsing and planning stay small whatever the batch, and
// the statement is prepared once per connection (session.hpp).
void postgresql_update(database::impl& db,
                       std::span<const row_update> rows,
                       const std::string& now,
                       std::vector<long long>& changed) {
    if (!db.cas) {
        auto c = std::make_unique<internal::cas_statement>();
        c->statement.emplace(
            (db.session.prepare
                 << "UPDATE image_locations AS l SET value = v.new_value, meta_data = v.new_meta, "
                    "updated_at = CAST(:now AS timestamp) "
                    "FROM unnest(CAST(:ids AS integer[]), CAST(:ov AS text[]), "
                    "CAST(:om AS text[]), CAST(:os AS text[]), CAST(:nv AS text[]), "
                    "CAST(:nm AS text[])) "
                    "AS v(id, old_value, old_meta, old_status, new_value, new_meta) "
                    "WHERE l.id = v.id AND l.deleted = false AND l.status = v.old_status "
                    "AND l.value = v.old_value AND l.meta_data IS NOT DISTINCT FROM v.old_meta "
                    "RETURNING l.id",
             soci::use(c->now), soci::use(c->ids), soci::use(c->old_value), soci::use(c->old_meta),
             soci::use(c->old_status), soci::use(c->new_value), soci::use(c->new_meta),
             soci::into(c->changed)));
        db.cas = std::move(c);
    }
    internal::cas_statement& c = *db.cas;
    c.now = now;
    c.ids = "{";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i != 0) c.ids += ',';
        c.ids += std::to_string(rows[i].id);
    }
    c.ids += '}';
    pg_text_array(c.old_value, rows, [](const row_update& u) { return &u.old_value; });
    pg_text_array(c.old_meta, rows, [](const row_update& u) { return nullable(u.old_meta); });
    pg_text_array(c.old_status, rows, [](const row_update& u) { return &u.old_status; });
    pg_text_array(c.new_value, rows, [](const row_update& u) { return &u.new_value; });
    pg_text_array(c.new_meta, rows, [](const row_update& u) { return nullable(u.new_meta); });
    // As many slots as rows (at least two, as the walk's): the previous execution shrank the
    // vector to the ids it returned.
    c.changed.resize(std::max<std::size_t>(rows.size(), 2));
    if (!c.statement->execute(true)) c.changed.clear();
    changed.insert(changed.end(), c.changed.begin(), c.changed.end());
}

// SQLite runs in this process: one prepared UPDATE executed per row costs no round trip, and
// its changes() count says whether the row matched.
void sqlite_update(database::impl& db,
                   std::span<const row_update> rows,
                   const std::string& now,
                   std::vector<bool>& applied) {
    long long id = 0;
    std::string old_value, old_meta, old_status, new_value, new_meta;
    soci::indicator old_meta_null = soci::i_ok;
    soci::indicator new_meta_null = soci::i_ok;
    soci::statement st =
        (db.session.prepare << "UPDATE image_locations SET value = :nv, meta_data = :nm, "
                               "updated_at = :now WHERE id = :id AND deleted = false "
                               "AND status = :os AND value = :ov AND meta_data IS :om",
         soci::use(new_value), soci::use(new_meta, new_meta_null), soci::use(now), soci::use(id),
         soci::use(old_status), soci::use(old_value), soci::use(old_meta, old_meta_null));
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const row_update& u = rows[i];
        id = u.id;
        old_value = u.old_value;
        old_meta = u.old_meta.value_or(std::string{});
        old_meta_null = u.old_meta ? soci::i_ok : soci::i_null;
        old_status = u.old_status;
        new_value = u.new_value;
        new_meta = u.new_meta.value_or(std::string{});
        new_meta_null = u.new_meta ? soci::i_ok : soci::i_null;
        st.execute(true);
        applied[i] = st.get_affected_rows() == 1;
    }
}

// One row of the JSON array MariaDB's JSON_TABLE reads: [pos, id, old_value, old_meta,
// old_meta_null, old_status, new_value, new_meta, new_meta_null]. NULL travels as a flag, not
// as JSON null, so that no JSON_TABLE conversion rule decides it.
db_result<void> append_json_row(std::string& json, std::size_t pos, const row_update& u) {
    auto text = [&](std::string_view field) -> db_result<void> {
        auto quoted = python_json_string(field);
        if (!quoted) {
            return db_error{make_error_code(db_errc::invalid_argument),
                            fmt::format("image_locations row {}: a value is not UTF-8", u.id)};
        }
        json += ',';
        json += *quoted;
        return {};
    };
    json += fmt::format("[{},{}", pos, u.id);
    for (auto r : {text(u.old_value), text(u.old_meta.value_or(std::string{}))}) {
        if (!r) return r;
    }
    json += u.old_meta ? ",0" : ",1";
    for (auto r :
         {text(u.old_status), text(u.new_value), text(u.new_meta.value_or(std::string{}))}) {
        if (!r) return r;
    }
    json += u.new_meta ? ",0]" : ",1]";
    return {};
}

// MariaDB has no UPDATE ... RETURNING. One multi-table UPDATE joins the rows (a JSON_TABLE, so
// no temporary table to fill and empty) to image_locations by primary key, and records the
// position of every row it changes in a session variable: MariaDB evaluates the SET list only
// for rows that matched the WHERE.
db_result<void> mysql_update(database::impl& db,
                             std::span<const row_update> all,
                             const std::string& now,
                             std::vector<bool>& applied) {
    for (std::size_t first = 0; first < all.size(); first += rows_per_statement) {
        auto rows = all.subspan(first, std::min(rows_per_statement, all.size() - first));
        std::string json = "[";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (i != 0) json += ',';
            if (auto r = append_json_row(json, i, rows[i]); !r) return r;
        }
        json += ']';
        db.session << "SET @imgstore_applied = ''";
        db.session
            // The text columns are UTF-8 whatever the connection's character set: otherwise
            // JSON_TABLE decodes the \u escapes into it (latin1 by default), and a non-ASCII
            // meta_data never compares equal to its bytes in the table.
            << "UPDATE JSON_TABLE(:rows, '$[*]' COLUMNS (pos INT PATH '$[0]', id INT PATH '$[1]', "
               "old_value LONGTEXT CHARACTER SET utf8mb4 PATH '$[2]', "
               "old_meta LONGTEXT CHARACTER SET utf8mb4 PATH '$[3]', "
               "old_meta_null INT PATH '$[4]', "
               "old_status VARCHAR(30) CHARACTER SET utf8mb4 PATH '$[5]', "
               "new_value LONGTEXT CHARACTER SET utf8mb4 PATH '$[6]', "
               "new_meta LONGTEXT CHARACTER SET utf8mb4 PATH '$[7]', "
               "new_meta_null INT PATH '$[8]')) AS v "
               "STRAIGHT_JOIN image_locations l ON l.id = v.id "
               "SET l.value = v.new_value, l.meta_data = IF(v.new_meta_null, NULL, v.new_meta), "
               "l.updated_at = IF((@imgstore_applied := CONCAT(@imgstore_applied, ',', v.pos)) "
               "IS NULL, NULL, :now) "
               "WHERE l.deleted = false "
               "AND CAST(l.status AS BINARY) = CAST(v.old_status AS BINARY) "
               "AND CAST(l.value AS BINARY) = CAST(v.old_value AS BINARY) "
               "AND CAST(l.meta_data AS BINARY) <=> "
               "CAST(IF(v.old_meta_null, NULL, v.old_meta) AS BINARY)",
            soci::use(json), soci::use(now);
        std::string positions;
        db.session << "SELECT @imgstore_applied", soci::into(positions);
        std::string_view rest = positions;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            if (item.empty()) continue;
            std::size_t pos = 0;
            auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), pos);
            if (ec != std::errc{} || pos >= rows.size()) {
                return db_error{
                    make_error_code(db_errc::query_failed),
                    fmt::format("{}: unexpected compare-and-swap result", db.spec.where())};
            }
            applied[first + pos] = true;
        }
    }
    return {};
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
            return db_error{
                make_error_code(db_errc::invalid_argument),
                fmt::format("compare_and_swap: image_locations row {} given twice", updates[i].id)};
        }
    }
    std::vector<bool> applied;
    std::string what = fmt::format("compare-and-swap of {} image_locations rows", updates.size());
    auto attempt = [&]() -> db_result<void> {
        applied.assign(updates.size(), false);
        std::string now = internal::utc_timestamp(state.spec.kind);
        state.session.begin();
        std::vector<long long> hits;
        switch (state.spec.kind) {
            case backend::mysql:
                if (auto r = mysql_update(state, updates, now, applied); !r) {
                    state.session.rollback();
                    return r;
                }
                break;
            case backend::postgresql:
                postgresql_update(state, updates, now, hits);
                for (long long id : hits) applied.at(position.at(id)) = true;
                break;
            case backend::sqlite:
                sqlite_update(state, updates, now, applied);
                break;
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
