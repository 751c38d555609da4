// Test support for the Glance database layer and the commands built on it: a fresh Glance
// database per test on SQLite (always) and on the PostgreSQL and MariaDB servers that
// tools/db-servers.sh starts (IMGSTORE_TEST_PG_URL, IMGSTORE_TEST_MARIADB_URL), plus raw SQL
// helpers that bypass the layer under test to set up and inspect rows.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/glance_db/connection.hpp"

namespace imgstore::test {

/// Where a scratch database lives.
enum class db_server { sqlite, postgresql, mariadb };

std::string db_server_name(db_server s);

/// Every server, for INSTANTIATE_TEST_SUITE_P (name rows with db_server_name).
std::vector<db_server> all_db_servers();

/// One image_locations row as stored, for assertions.
struct stored_location {
    std::string image_id;
    std::string value;
    std::optional<std::string> meta_data;
    std::string status;
    bool deleted = false;
    std::optional<std::string> updated_at;  ///< as the server prints it
};

/// A fresh database with Glance's schema (tests/data/glance-schema): a file in a temporary
/// directory for SQLite, a new database `glance_t<pid>_<n>` on a server (dropped again on
/// destruction). Not thread-safe; one per test.
class scratch_glance_db {
  public:
    /// The database, or nullptr with `why_not` set when the server's URL variable is unset.
    /// Throws std::runtime_error when the server is configured but fails.
    static std::unique_ptr<scratch_glance_db> create(db_server server, std::string& why_not);
    ~scratch_glance_db();
    scratch_glance_db(const scratch_glance_db&) = delete;
    scratch_glance_db& operator=(const scratch_glance_db&) = delete;

    db_server server() const { return server_; }
    /// A `[database] connection` URL for it, password included.
    const std::string& url() const { return url_; }
    glance_db::connection_spec spec() const;

    /// Runs one statement on the helper's own connection (autocommit). Throws on failure.
    void exec(std::string_view sql);
    /// Inserts an image row (status 'active').
    void add_image(std::string_view image_id, bool deleted = false);
    /// Inserts a location row and returns its id.
    std::int64_t add_location(std::string_view image_id,
                              std::string_view value,
                              std::optional<std::string_view> meta_data,
                              std::string_view status = "active",
                              bool deleted = false);
    /// Inserts an image_tags row (`value` bound, so any bytes).
    void add_tag(std::string_view image_id, std::string_view value, bool deleted = false);
    /// Overwrites columns of a row as a concurrent Glance would (its own transaction).
    void set_location(std::int64_t id,
                      std::string_view value,
                      std::optional<std::string_view> meta_data,
                      std::string_view status = "active",
                      bool deleted = false);
    /// The row as stored, nullopt when absent.
    std::optional<stored_location> location(std::int64_t id);

    struct impl;

  private:
    scratch_glance_db(db_server server, std::unique_ptr<impl> state, std::string url);
    db_server server_;
    std::unique_ptr<impl> impl_;
    std::string url_;
};

/// True when IMGSTORE_REQUIRE_DB_SERVERS=1: a server test must not skip.
bool db_servers_required();

}  // namespace imgstore::test

/// In a TEST_P over db_server: declares `var` (std::unique_ptr<scratch_glance_db>) or skips the
/// test saying why (a failure instead under IMGSTORE_REQUIRE_DB_SERVERS=1).
#define IMGSTORE_SCRATCH_DB(var, server)                                             \
    std::string var##_why_not;                                                       \
    auto var = ::imgstore::test::scratch_glance_db::create((server), var##_why_not); \
    if (!var) {                                                                      \
        if (::imgstore::test::db_servers_required()) {                               \
            FAIL() << var##_why_not << " (IMGSTORE_REQUIRE_DB_SERVERS=1)";           \
        }                                                                            \
        GTEST_SKIP() << var##_why_not;                                               \
    }
