// The `[database] connection` option as operators write it for Glance: an SQLAlchemy URL
// (sqlite:///rel.db, sqlite:////abs/glance.sqlite,
// mysql+pymysql://glance:PW@host/glance?charset=utf8,
// postgresql+psycopg2://glance:PW@/glance?host=/run/postgresql, ...), parsed into what the
// database layer connects with. Pure parsing: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imgstore/glance_db/error.hpp"
#include "imgstore/secret.hpp"

namespace imgstore::glance_db {

/// The database servers Glance runs on (MariaDB through the mysql dialect).
enum class backend { sqlite, postgresql, mysql };

/// "sqlite", "postgresql" or "mysql".
std::string_view to_string(backend b) noexcept;

/// A parsed connection URL. A value type; copy and share freely.
struct connection_spec {
    backend kind = backend::sqlite;
    std::string dialect;  ///< as written before "://", e.g. "mysql+pymysql"
    std::string user;     ///< percent-decoded; empty when not given
    secret password;      ///< percent-decoded; printable forms are "***"
    std::string host;     ///< host name or IP (IPv6 without brackets); empty for the default
    std::optional<std::uint16_t> port;
    /// Database name; for sqlite the file path exactly as SQLAlchemy reads it (sqlite:///rel.db
    /// gives "rel.db", relative to the current directory; sqlite:////abs gives "/abs").
    std::string database;
    /// Unix socket: mysql `?unix_socket=` (a file), postgresql `?host=/dir` (the socket's
    /// directory, as libpq reads it). Empty for TCP or the client library's default.
    std::string socket;
    /// Other query parameters handed to the driver, under the driver's own names (SOCI mysql:
    /// charset, sslca, sslcert, sslkey, *_timeout; libpq: sslmode, connect_timeout, ...; SOCI
    /// sqlite3: timeout), in URL order.
    std::vector<std::pair<std::string, std::string>> options;

    /// The URL without the password, for messages: "postgresql://glance@db:5432/glance",
    /// "mysql://glance@/glance?unix_socket=/run/mysqld/mysqld.sock",
    /// "sqlite:////abs/glance.sqlite".
    std::string display() const;

    /// Where the data is, for messages: "database 'glance' on db.example.com:5432",
    /// "database 'glance' on socket /run/mysqld", "sqlite database /abs/glance.sqlite".
    std::string where() const;
};

/// Parses a connection URL. Accepted dialects and drivers: `sqlite[+pysqlite]`,
/// `postgresql[+psycopg2|+psycopg|+pg8000]`, `mysql[+pymysql|+mysqldb|
/// +mysqlconnector|+mariadbconnector]`, `mariadb[+...same]`. Query parameters: sqlite `timeout`;
/// postgresql `host`, `port`, `sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `sslcrl`,
/// `connect_timeout`, `application_name`, `client_encoding`, `target_session_attrs`; mysql
/// `charset`, `unix_socket`, `ssl_ca`, `ssl_cert`, `ssl_key`, `connect_timeout`, `read_timeout`,
/// `write_timeout`; everywhere `plugin` (oslo.db) is accepted and ignored.
/// Errors: db_errc::bad_url (malformed, a port out of range, an '@' left unescaped in the
/// password, an in-memory sqlite database, an unknown query parameter),
/// db_errc::unsupported_driver. Messages never contain the password. Thread-safe; O(length).
[[nodiscard]] db_result<connection_spec> parse_connection_url(std::string_view url);

}  // namespace imgstore::glance_db
