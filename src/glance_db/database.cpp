#include "imgstore/glance_db/database.hpp"

#include <fmt/format.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/logger.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <thread>

#include "glance_db/erase_secret.hpp"
#include "glance_db/session.hpp"

namespace imgstore::glance_db {
namespace internal {
namespace {

// libpq conninfo: every value single-quoted, with \ and ' escaped by a backslash.
std::string libpq_quote(std::string_view v) {
    std::string out = "'";
    for (char c : v) {
        if (c == '\\' || c == '\'') out.push_back('\\');
        out.push_back(c);
    }
    return out + "'";
}

// SOCI's mysql connect-string parser: single-quoted values, backslash escapes any byte.
std::string soci_mysql_quote(std::string_view v) { return libpq_quote(v); }

long long whole_seconds_up(std::chrono::milliseconds ms) {
    return std::max<long long>(1, (ms.count() + 999) / 1000);
}

}  // namespace

db_result<std::pair<const soci::backend_factory*, std::string>> soci_target(
    const connection_spec& spec, const open_options& options) {
    std::string cs;
    auto add = [&](std::string_view key, std::string_view value, auto quote) {
        if (!cs.empty()) cs += ' ';
        cs += key;
        cs += '=';
        cs += quote(value);
    };
    switch (spec.kind) {
        case backend::sqlite: {
            // SOCI reads a string without '=' as the file name itself; with '=', it splits
            // key=value pairs and cannot quote a path holding spaces or '"'.
            const std::string& path = spec.database;
            if (path.find('=') == std::string::npos) {
                return std::pair{soci::factory_sqlite3(), path};
            }
            if (path.find_first_of(" \"") != std::string::npos) {
                return db_error{make_error_code(db_errc::bad_url),
                                "database connection URL: a sqlite path holding '=' together "
                                "with a space or '\"' cannot be opened (rename the file)"};
            }
            return std::pair{soci::factory_sqlite3(), "db=\"" + path + "\""};
        }
        case backend::postgresql:
            if (!spec.host.empty()) add("host", spec.host, libpq_quote);
            if (!spec.socket.empty()) add("host", spec.socket, libpq_quote);
            if (spec.port) add("port", std::to_string(*spec.port), libpq_quote);
            if (!spec.database.empty()) add("dbname", spec.database, libpq_quote);
            if (!spec.user.empty()) add("user", spec.user, libpq_quote);
            if (!spec.password.empty()) add("password", spec.password.reveal(), libpq_quote);
            for (const auto& [k, v] : spec.options) add(k, v, libpq_quote);
            (void)options;
            return std::pair{soci::factory_postgresql(), cs};
        case backend::mysql: {
            if (!spec.host.empty()) add("host", spec.host, soci_mysql_quote);
            if (!spec.socket.empty()) add("unix_socket", spec.socket, soci_mysql_quote);
            if (spec.port) add("port", std::to_string(*spec.port), soci_mysql_quote);
            if (!spec.database.empty()) add("db", spec.database, soci_mysql_quote);
            if (!spec.user.empty()) add("user", spec.user, soci_mysql_quote);
            if (!spec.password.empty()) add("password", spec.password.reveal(), soci_mysql_quote);
            bool has_charset = false;
            for (const auto& [k, v] : spec.options) {
                add(k, v, soci_mysql_quote);
                has_charset = has_charset || k == "charset";
            }
            // Without one the client library's default (latin1 on older servers) would
            // transcode non-ASCII meta_data; Glance's own URLs say charset=utf8.
            if (!has_charset) add("charset", "utf8mb4", soci_mysql_quote);
            return std::pair{soci::factory_mysql(), cs};
        }
    }
    return db_error{make_error_code(db_errc::unsupported_driver), "unknown backend"};
}

std::string scrub(const soci::soci_error& e, const connection_spec& spec) {
    std::string msg = e.get_error_message();
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    erase_secret(msg, spec.password.reveal());
    return msg;
}

bool transient(const soci::soci_error& e) {
    if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
        std::string state = pg->sqlstate();
        // serialization_failure, deadlock_detected, lock_not_available (lock_timeout)
        return state == "40001" || state == "40P01" || state == "55P03";
    }
    if (const auto* my = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
        // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT, ER_CHECKREAD (record changed since read)
        return my->err_num_ == 1213 || my->err_num_ == 1205 || my->err_num_ == 1020;
    }
    if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
        int primary = lite->result() & 0xff;
        return primary == 5 /* SQLITE_BUSY */ || primary == 6 /* SQLITE_LOCKED */;
    }
    return false;
}

db_error query_error(const database::impl& db, std::string_view what, const soci::soci_error& e) {
    return {make_error_code(db_errc::query_failed),
            fmt::format("{}: {} failed: {}", db.spec.where(), what, scrub(e, db.spec))};
}

db_result<void> with_retries(database::impl& db,
                             std::string_view what,
                             const std::function<db_result<void>()>& attempt) {
    thread_local std::minstd_rand jitter(std::random_device{}());
    auto delay = db.options.first_backoff;
    std::string last;
    unsigned attempts = std::max(1u, db.options.max_attempts);
    for (unsigned n = 1;; ++n) {
        try {
            return attempt();
        } catch (const soci::soci_error& e) {
            // The attempt's transaction is dead: roll it back (a failed rollback changes
            // nothing: the server discards an aborted transaction anyway).
            try {
                db.session.rollback();
            } catch (const soci::soci_error&) {
            }
            db.walk.reset();  // prepared again on next use (session.hpp)
            db.cas.reset();
            if (!transient(e)) return query_error(db, what, e);
            last = scrub(e, db.spec);
            if (n >= attempts) break;
            ++db.retries;
            if (db.options.logger) {
                db.options.logger->warn("{}: {}: transient conflict, retry {} of {}: {}",
                                        db.spec.where(), what, n, attempts - 1, last);
            }
            std::uniform_int_distribution<long long> spread(0,
                                                            std::max<long long>(0, delay.count()));
            std::this_thread::sleep_for(delay + std::chrono::milliseconds(spread(jitter)));
            delay *= 2;
        }
    }
    return db_error{make_error_code(db_errc::retries_exhausted),
                    fmt::format("{}: {} still conflicted after {} attempts: {}", db.spec.where(),
                                what, attempts, last)};
}

std::string utc_timestamp(backend kind) {
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - secs).count();
    std::time_t t = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 32> buf{};
    std::strftime(buf.data(), buf.size(), "%Y-%m-%d %H:%M:%S", &tm);
    // MariaDB's Glance columns are DATETIME without fractions; SQLAlchemy writes SQLite
    // DATETIME text with exactly six fraction digits; PostgreSQL keeps microseconds.
    if (kind == backend::mysql) return buf.data();
    return fmt::format("{}.{:06d}", buf.data(), micros);
}

}  // namespace internal

namespace {

db_error open_error(db_errc code, const connection_spec& spec, std::string detail) {
    return {make_error_code(code), fmt::format("{}: {}", spec.where(), detail)};
}

// Glance's tables and the columns this layer reads or writes.
db_result<void> check_glance_schema(database::impl& db) {
    struct table_check {
        std::string_view table;
        std::string_view columns;
    };
    static constexpr std::array<table_check, 2> tables{{
        {"images", "id, deleted"},
        {"image_locations", "id, image_id, value, meta_data, status, deleted, updated_at"},
    }};
    for (const auto& t : tables) {
        try {
            db.session << fmt::format("SELECT 1 FROM {} WHERE 1 = 0", t.table);
        } catch (const soci::soci_error& e) {
            return open_error(db_errc::not_glance, db.spec,
                              fmt::format("not a Glance database: no table {} ({}; was "
                                          "'glance-manage db sync' run?)",
                                          t.table, internal::scrub(e, db.spec)));
        }
        try {
            db.session << fmt::format("SELECT {} FROM {} WHERE 1 = 0", t.columns, t.table);
        } catch (const soci::soci_error& e) {
            return open_error(db_errc::not_glance, db.spec,
                              fmt::format("not a Glance database: table {} lacks some of the "
                                          "columns {} ({})",
                                          t.table, t.columns, internal::scrub(e, db.spec)));
        }
    }
    return {};
}

db_result<void> configure_session(database::impl& db) {
    auto timeout = db.options.lock_timeout;
    try {
        switch (db.spec.kind) {
            case backend::sqlite:
                db.session << fmt::format("PRAGMA busy_timeout = {}", timeout.count());
                break;
            case backend::postgresql:
                db.session << fmt::format("SET lock_timeout = {}", timeout.count());
                break;
            case backend::mysql:
                db.session << fmt::format("SET SESSION innodb_lock_wait_timeout = {}",
                                          internal::whole_seconds_up(timeout));
                break;
        }
    } catch (const soci::soci_error& e) {
        return open_error(db_errc::connect_failed, db.spec,
                          "cannot set the lock timeout: " + internal::scrub(e, db.spec));
    }
    return {};
}

}  // namespace

database::database(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
database::database(database&&) noexcept = default;
database& database::operator=(database&&) noexcept = default;
database::~database() = default;

backend database::kind() const noexcept { return impl_->spec.kind; }
const connection_spec& database::spec() const noexcept { return impl_->spec; }
std::uint64_t database::retries() const noexcept { return impl_->retries; }

db_result<database> open(const connection_spec& spec, const open_options& options) {
    auto target = internal::soci_target(spec, options);
    if (!target) return target.error();
    if (spec.kind == backend::sqlite) {
        // sqlite3_open would create a missing file: an empty database is never what the
        // operator meant.
        std::error_code ec;
        if (!std::filesystem::is_regular_file(spec.database, ec)) {
            return open_error(db_errc::connect_failed, spec, "no such file");
        }
    }
    auto state = std::make_unique<database::impl>();
    state->spec = spec;
    state->options = options;
    try {
        state->session.open(*target->first, target->second);
    } catch (const soci::soci_error& e) {
        return open_error(db_errc::connect_failed, spec,
                          "cannot connect: " + internal::scrub(e, spec));
    }
    if (auto r = configure_session(*state); !r) return r.error();
    if (auto r = check_glance_schema(*state); !r) return r.error();
    return database(std::move(state));
}

}  // namespace imgstore::glance_db
