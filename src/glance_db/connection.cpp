#include "imgstore/glance_db/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "detail/text.hpp"
#include "detail/utf8.hpp"
#include "glance_db/erase_secret.hpp"

namespace imgstore::glance_db {
namespace {

// Messages quote only the dialect and parameter names: any other part of a malformed URL may
// be a piece of the password.
db_error url_error(std::string message) {
    return {make_error_code(db_errc::bad_url), "database connection URL: " + std::move(message)};
}

struct dialect_entry {
    std::string_view name;
    backend kind;
};

constexpr std::array<dialect_entry, 3> dialects{{
    {"sqlite", backend::sqlite},
    {"postgresql", backend::postgresql},
    {"mysql", backend::mysql},
}};

// The DBAPI drivers Glance can run on, per dialect: we connect natively, so the driver only
// has to be one an operator's working config can name.
bool known_driver(backend kind, std::string_view driver) {
    static constexpr std::array<std::string_view, 1> sqlite_drivers{"pysqlite"};
    static constexpr std::array<std::string_view, 3> pg_drivers{"psycopg2", "psycopg", "pg8000"};
    static constexpr std::array<std::string_view, 4> mysql_drivers{
        "pymysql", "mysqldb", "mysqlconnector", "mariadbconnector"};
    auto in = [&](const auto& list) {
        return std::find(list.begin(), list.end(), driver) != list.end();
    };
    switch (kind) {
        case backend::sqlite:
            return in(sqlite_drivers);
        case backend::postgresql:
            return in(pg_drivers);
        case backend::mysql:
            return in(mysql_drivers);
    }
    return false;
}

struct query_param {
    std::string key;
    std::string value;
};

// Maps one query parameter to the driver's own option name, or says why not. `spec` receives
// socket, host and port overrides.
db_result<void> apply_query_param(connection_spec& spec, const query_param& p) {
    if (p.key == "plugin") return {};  // an oslo.db/SQLAlchemy plugin: nothing to connect with
    auto add = [&](std::string_view name) -> db_result<void> {
        spec.options.emplace_back(std::string(name), p.value);
        return {};
    };
    switch (spec.kind) {
        case backend::sqlite:
            if (p.key == "timeout") return add("timeout");
            break;
        case backend::postgresql:
            if (p.key == "host") {
                // libpq: a value starting with '/' is the socket directory.
                if (!p.value.empty() && p.value.front() == '/') {
                    spec.socket = p.value;
                } else {
                    spec.host = p.value;
                }
                return {};
            }
            if (p.key == "port") {
                unsigned port = 0;
                auto [end, ec] =
                    std::from_chars(p.value.data(), p.value.data() + p.value.size(), port);
                if (ec != std::errc{} || end != p.value.data() + p.value.size() || port == 0 ||
                    port > 65535) {
                    return url_error("query parameter 'port' is not a port number (1-65535)");
                }
                spec.port = static_cast<std::uint16_t>(port);
                return {};
            }
            for (std::string_view name :
                 {"sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "connect_timeout",
                  "application_name", "client_encoding", "target_session_attrs"}) {
                if (p.key == name) return add(name);
            }
            break;
        case backend::mysql:
            if (p.key == "unix_socket") {
                spec.socket = p.value;
                return {};
            }
            if (p.key == "charset") return add("charset");
            if (p.key == "ssl_ca") return add("sslca");
            if (p.key == "ssl_cert") return add("sslcert");
            if (p.key == "ssl_key") return add("sslkey");
            for (std::string_view name : {"connect_timeout", "read_timeout", "write_timeout"}) {
                if (p.key == name) return add(name);
            }
            break;
    }
    return url_error(fmt::format("query parameter '{}' is not supported for {} (supported: {})",
                                 detail::cut_text(detail::percent_encode(p.key, "")),
                                 to_string(spec.kind),
                                 spec.kind == backend::sqlite ? "timeout, plugin"
                                 : spec.kind == backend::postgresql
                                     ? "host, port, sslmode, sslrootcert, sslcert, sslkey, "
                                       "sslcrl, connect_timeout, application_name, "
                                       "client_encoding, target_session_attrs, plugin"
                                     : "charset, unix_socket, ssl_ca, ssl_cert, ssl_key, "
                                       "connect_timeout, read_timeout, write_timeout, plugin"));
}

db_result<std::vector<query_param>> split_query(std::string_view query) {
    std::vector<query_param> params;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view field = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (field.empty()) continue;  // parse_qsl skips empty fields
        auto eq = field.find('=');
        if (eq == std::string_view::npos) {
            return url_error("a query parameter has no '=value'");
        }
        query_param p{detail::percent_decode_lenient(field.substr(0, eq), true),
                      detail::percent_decode_lenient(field.substr(eq + 1), true)};
        for (const auto& seen : params) {
            if (seen.key == p.key) {
                return url_error(fmt::format("query parameter '{}' is given twice",
                                             detail::cut_text(detail::percent_encode(p.key, ""))));
            }
        }
        params.push_back(std::move(p));
    }
    return params;
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

std::string host_for_url(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::string_view to_string(backend b) noexcept {
    switch (b) {
        case backend::sqlite:
            return "sqlite";
        case backend::postgresql:
            return "postgresql";
        case backend::mysql:
            return "mysql";
    }
    return "unknown";
}

namespace {

db_result<connection_spec> parse_url_into(std::string_view url, connection_spec& spec) {
    constexpr std::size_t max_url = 64 * 1024;
    if (url.size() > max_url) return url_error("longer than 64 KiB");
    url = detail::trim(url);
    if (url.empty()) return url_error("empty");
    auto sep = url.find("://");
    if (sep == std::string_view::npos || sep == 0) {
        return url_error("not of the form dialect[+driver]://user:password@host/database");
    }
    std::string_view name = url.substr(0, sep);
    bool name_ok = std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+';
    });
    if (!name_ok) {
        return url_error("the dialect before '://' may hold only letters, digits, '_' and '+'");
    }
    spec.dialect = std::string(name);
    auto plus = name.find('+');
    std::string_view dialect = name.substr(0, plus);
    std::string_view driver =
        plus == std::string_view::npos ? std::string_view{} : name.substr(plus + 1);
    auto found = std::find_if(dialects.begin(), dialects.end(),
                              [&](const dialect_entry& d) { return d.name == dialect; });
    if (dialect == "mariadb") {
        spec.kind = backend::mysql;
    } else if (found != dialects.end()) {
        spec.kind = found->kind;
    } else {
        return db_error{make_error_code(db_errc::unsupported_driver),
                        fmt::format("database connection URL: unsupported database '{}' "
                                    "(supported: sqlite, postgresql, mysql, mariadb)",
                                    detail::cut_text(detail::percent_encode(dialect, "")))};
    }
    if (plus != std::string_view::npos && !known_driver(spec.kind, driver)) {
        return db_error{
            make_error_code(db_errc::unsupported_driver),
            fmt::format("database connection URL: unsupported driver '{}' for {} (supported: {})",
                        detail::cut_text(detail::percent_encode(driver, "")), dialect,
                        spec.kind == backend::sqlite       ? "pysqlite"
                        : spec.kind == backend::postgresql ? "psycopg2, psycopg, pg8000"
                                                           : "pymysql, mysqldb, mysqlconnector, "
                                                             "mariadbconnector")};
    }

    std::string_view rest = url.substr(sep + 3);
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    // SQLAlchemy's pattern: user [^:/]*, password [^@]*, then '@'. The first '@' ends the
    // password, so a password holding '@' must be written %40.
    auto at = rest.find('@');
    auto first_slash = rest.find('/');
    bool has_userinfo = at != std::string_view::npos && at < first_slash;
    if (at != std::string_view::npos && !has_userinfo) {
        auto colon = rest.find(':');
        // user:pass/with/slash@host: the password may hold '/'.
        if (colon != std::string_view::npos && colon < first_slash) has_userinfo = true;
    }
    if (has_userinfo) {
        std::string_view userinfo = rest.substr(0, at);
        rest = rest.substr(at + 1);
        auto colon = userinfo.find(':');
        spec.user = detail::percent_decode_lenient(userinfo.substr(0, colon));
        if (colon != std::string_view::npos) {
            spec.password = secret(detail::percent_decode_lenient(userinfo.substr(colon + 1)));
        }
    }
    auto slash = rest.find('/');
    std::string_view hostport = rest.substr(0, slash);
    if (slash != std::string_view::npos) spec.database = std::string(rest.substr(slash + 1));
    if (hostport.find('@') != std::string_view::npos) {
        return url_error(
            "more than one '@' before the host: a user name or password that holds '@' must "
            "write it as %40");
    }
    std::string_view port_text;
    bool has_port = false;
    if (!hostport.empty() && hostport.front() == '[') {
        auto close = hostport.find(']');
        if (close == std::string_view::npos) return url_error("an IPv6 host lacks its ']'");
        spec.host = std::string(hostport.substr(1, close - 1));
        std::string_view after = hostport.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return url_error("unexpected text after the IPv6 host");
            port_text = after.substr(1);
            has_port = true;
        }
    } else {
        auto colon = hostport.find(':');
        spec.host = std::string(hostport.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = hostport.substr(colon + 1);
            has_port = true;
        }
    }
    if (has_port) {
        unsigned port = 0;
        auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
            port == 0 || port > 65535) {
            return url_error("the port is not a number from 1 to 65535");
        }
        spec.port = static_cast<std::uint16_t>(port);
    }

    auto params = split_query(query);
    if (!params) return params.error();
    for (const auto& p : *params) {
        if (auto r = apply_query_param(spec, p); !r) return r.error();
    }

    if (spec.kind == backend::sqlite) {
        if (!spec.host.empty() || !spec.user.empty() || !spec.password.empty() || has_port) {
            return url_error(
                "a sqlite URL names no host or user: write sqlite:///relative.db or "
                "sqlite:////absolute/path.db");
        }
        if (spec.database.empty() || spec.database == ":memory:") {
            return url_error(
                "an in-memory sqlite database holds no Glance tables: name the database file "
                "(sqlite:////absolute/path.db)");
        }
    }
    if (has_nul(spec.user) || has_nul(spec.password.reveal()) || has_nul(spec.host) ||
        has_nul(spec.database) || has_nul(spec.socket) ||
        std::any_of(spec.options.begin(), spec.options.end(),
                    [](const auto& o) { return has_nul(o.second); })) {
        return url_error("a NUL byte (%00) in the URL");
    }
    return spec;
}

}  // namespace

db_result<connection_spec> parse_connection_url(std::string_view url) {
    connection_spec spec;
    auto parsed = parse_url_into(url, spec);
    // Messages quote only names (dialect, driver, parameters), but an operator may have pasted
    // the password into one of those places too.
    if (parsed) return parsed;
    db_error e = parsed.error();
    internal::erase_secret(e.message, spec.password.reveal());
    return e;
}

std::string connection_spec::display() const {
    std::string out(to_string(kind));
    out += "://";
    if (kind == backend::sqlite) return out + "/" + database;
    if (!user.empty()) out += detail::percent_encode(user, "") + "@";
    out += host_for_url(host);
    if (port) out += ":" + std::to_string(*port);
    out += "/" + database;
    if (!socket.empty()) {
        out += kind == backend::postgresql ? "?host=" : "?unix_socket=";
        out += socket;
    }
    return out;
}

std::string connection_spec::where() const {
    if (kind == backend::sqlite) return "sqlite database " + database;
    std::string out = fmt::format("{} database '{}' on ", to_string(kind), database);
    if (!socket.empty()) return out + "socket " + socket;
    out += host.empty() ? std::string("localhost") : host_for_url(host);
    if (port) out += ":" + std::to_string(*port);
    return out;
}

}  // namespace imgstore::glance_db
