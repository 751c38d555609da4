// Private to imgstore::glance_db: the state behind `database` (a SOCI session and its
// settings), the error translation that keeps secrets out of messages, and the retry loop.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/glance_db/database.hpp"

namespace imgstore::glance_db {

namespace internal {

// Statements prepared once per connection and executed again for every batch, bound to the
// members beside them (so they live on the heap and never move). Why: a one-time query is
// parsed and planned by the server at every execution; on PostgreSQL that was about a tenth
// of a batch's server time.

/// The keyset walk (walk.cpp): `sql` is the text it was prepared from (filter and limit).
struct walk_statement {
    std::string sql;
    long long after = 0;
    std::vector<long long> ids;
    std::vector<std::string> image_ids;
    std::vector<std::string> values;
    std::vector<std::string> metas;
    std::vector<soci::indicator> meta_null;
    std::vector<std::string> statuses;
    std::vector<long long> pages;  ///< heap page on PostgreSQL, -1 elsewhere
    std::optional<soci::statement> statement;

    /// Room for `n` rows in every column: an execution fetches as many as the vectors hold.
    void resize(std::size_t n) {
        ids.resize(n);
        image_ids.resize(n);
        values.resize(n);
        metas.resize(n);
        meta_null.resize(n);
        statuses.resize(n);
        pages.resize(n);
    }
};

/// PostgreSQL's set-based compare-and-swap (cas.cpp): array literals in, changed ids out.
struct cas_statement {
    std::string now, ids, old_value, old_meta, old_status, new_value, new_meta;
    std::vector<long long> changed;
    std::optional<soci::statement> statement;
};

}  // namespace internal

struct database::impl {
    connection_spec spec;
    open_options options;
    soci::session session;
    std::uint64_t retries = 0;
    // After the session: destroyed before it. Reset after an error (the connection's state
    // is then unknown), prepared again on next use.
    std::unique_ptr<internal::walk_statement> walk;
    std::unique_ptr<internal::cas_statement> cas;
};

namespace internal {

/// The SOCI backend factory and connect string for `spec` (values quoted for the driver).
/// Errors: db_errc::bad_url for a sqlite path SOCI cannot quote.
[[nodiscard]] db_result<std::pair<const soci::backend_factory*, std::string>> soci_target(
    const connection_spec& spec, const open_options& options);

/// The server's message of a SOCI error without SOCI's context (which quotes the statement and
/// its bound values), with every occurrence of the password replaced by "***".
std::string scrub(const soci::soci_error& e, const connection_spec& spec);

/// Deadlock, serialization failure, lock timeout, SQLite busy or locked: worth a retry.
bool transient(const soci::soci_error& e);

/// Runs `attempt` (which opens and finishes its own transaction) until it succeeds, fails for
/// good, or `options.max_attempts` transient failures happened; backs off between attempts.
/// `what` names the operation in messages ("compare-and-swap of 500 rows").
[[nodiscard]] db_result<void> with_retries(database::impl& db,
                                           std::string_view what,
                                           const std::function<db_result<void>()>& attempt);

/// A failed statement as an operator reads it: "<where>: <what> failed: <server message>".
db_error query_error(const database::impl& db, std::string_view what, const soci::soci_error& e);

/// `UTC now` as Glance's column type wants it on this backend.
std::string utc_timestamp(backend kind);

}  // namespace internal
}  // namespace imgstore::glance_db
