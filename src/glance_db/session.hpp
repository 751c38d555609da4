// Private to imgstore::glance_db: the state behind `database` (a SOCI session and its
// settings), the error translation that keeps secrets out of messages, and the retry loop.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "imgstore/glance_db/database.hpp"

namespace imgstore::glance_db {

struct database::impl {
    connection_spec spec;
    open_options options;
    soci::session session;
    std::uint64_t retries = 0;
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
