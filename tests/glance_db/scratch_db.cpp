#include "glance_db/scratch_db.hpp"

#include <soci/soci.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "glance_db/session.hpp"
#include "test_util.hpp"

namespace imgstore::test {
namespace {

std::string schema_file(db_server s) {
    const char* name = s == db_server::sqlite       ? "sqlite.sql"
                       : s == db_server::postgresql ? "postgresql.sql"
                                                    : "mysql.sql";
    return data_dir + "/glance-schema/" + name;
}

// The dumps hold DDL only, one statement per ';' at a line's end, comments on '--' lines.
std::vector<std::string> schema_statements(db_server s) {
    std::ifstream in(schema_file(s));
    if (!in) throw std::runtime_error("cannot read " + schema_file(s));
    std::vector<std::string> out;
    std::string line;
    std::string current;
    while (std::getline(in, line)) {
        if (line.rfind("--", 0) == 0) continue;
        current += line + "\n";
        auto end = line.find_last_not_of(" \t\r");
        if (end != std::string::npos && line[end] == ';') {
            out.push_back(current.substr(0, current.rfind(';')));
            current.clear();
        }
    }
    return out;
}

glance_db::connection_spec parse_or_throw(const std::string& url) {
    auto spec = glance_db::parse_connection_url(url);
    if (!spec) throw std::runtime_error(spec.error().message);
    return *spec;
}

void open_session(soci::session& session, const glance_db::connection_spec& spec) {
    auto target = glance_db::internal::soci_target(spec, {});
    if (!target) throw std::runtime_error(target.error().message);
    session.open(*target->first, target->second);
}

// The URL with its database name replaced: the servers' URLs end their path in "/glance".
std::string with_database(const std::string& url, const std::string& name) {
    auto at = url.rfind('@');
    auto slash = url.find('/', at == std::string::npos ? url.find("://") + 3 : at);
    auto end = url.find('?', slash);
    return url.substr(0, slash + 1) + name + (end == std::string::npos ? "" : url.substr(end));
}

std::string sql_bool(db_server s, bool b) {
    (void)s;
    return b ? "true" : "false";
}

}  // namespace

struct scratch_glance_db::impl {
    glance_db::connection_spec spec;
    soci::session session;
    std::unique_ptr<temp_dir> dir;  // sqlite
    std::string admin_url;          // servers: where to drop the database from
    std::string database;
};

std::string db_server_name(db_server s) {
    switch (s) {
        case db_server::sqlite:
            return "sqlite";
        case db_server::postgresql:
            return "postgresql";
        case db_server::mariadb:
            return "mariadb";
    }
    return "unknown";
}

std::vector<db_server> all_db_servers() {
    return {db_server::sqlite, db_server::postgresql, db_server::mariadb};
}

bool db_servers_required() {
    const char* v = std::getenv("IMGSTORE_REQUIRE_DB_SERVERS");
    return v != nullptr && std::string_view(v) == "1";
}

scratch_glance_db::scratch_glance_db(db_server server, std::unique_ptr<impl> state, std::string url)
    : server_(server), impl_(std::move(state)), url_(std::move(url)) {}

std::unique_ptr<scratch_glance_db> scratch_glance_db::create(db_server server,
                                                             std::string& why_not) {
    auto state = std::make_unique<impl>();
    std::string url;
    if (server == db_server::sqlite) {
        state->dir = std::make_unique<temp_dir>();
        std::string path = (state->dir->path() / "glance.sqlite").string();
        url = "sqlite:///" + path;  // path is absolute: four slashes in all
        std::ofstream(path).close();
    } else {
        const char* var =
            server == db_server::postgresql ? "IMGSTORE_TEST_PG_URL" : "IMGSTORE_TEST_MARIADB_URL";
        const char* admin = std::getenv(var);
        if (admin == nullptr || *admin == '\0') {
            why_not = std::string(var) + " is not set: no " + db_server_name(server) +
                      " server (start one with tools/db-servers.sh)";
            return nullptr;
        }
        static std::atomic<unsigned> counter{0};
        state->database = "glance_t" + std::to_string(getpid()) + "_" + std::to_string(counter++);
        state->admin_url = admin;
        soci::session admin_session;
        open_session(admin_session, parse_or_throw(admin));
        if (server == db_server::postgresql) admin_session << "SET client_min_messages = warning";
        admin_session << "DROP DATABASE IF EXISTS " + state->database;
        admin_session << "CREATE DATABASE " + state->database;
        url = with_database(admin, state->database);
    }
    state->spec = parse_or_throw(url);
    open_session(state->session, state->spec);
    if (server == db_server::mariadb) state->session << "SET FOREIGN_KEY_CHECKS = 0";
    for (const auto& statement : schema_statements(server)) state->session << statement;
    if (server == db_server::mariadb) state->session << "SET FOREIGN_KEY_CHECKS = 1";
    return std::unique_ptr<scratch_glance_db>(
        new scratch_glance_db(server, std::move(state), std::move(url)));
}

scratch_glance_db::~scratch_glance_db() {
    impl_->session.close();
    if (impl_->admin_url.empty()) return;
    try {
        soci::session admin_session;
        open_session(admin_session, parse_or_throw(impl_->admin_url));
        admin_session << "DROP DATABASE IF EXISTS " + impl_->database;
    } catch (const std::exception&) {
        // A database left behind is removed with the server's directory.
    }
}

glance_db::connection_spec scratch_glance_db::spec() const { return impl_->spec; }

void scratch_glance_db::exec(std::string_view sql) { impl_->session << std::string(sql); }

void scratch_glance_db::add_image(std::string_view image_id, bool deleted) {
    std::string id(image_id);
    impl_->session << "INSERT INTO images (id, name, status, created_at, deleted, min_disk, "
                      "min_ram, protected, visibility, os_hidden) VALUES (:id, 'test', 'active', "
                      "'2020-01-01 00:00:00', " +
                          sql_bool(server_, deleted) + ", 0, 0, false, 'public', false)",
        soci::use(id);
}

std::int64_t scratch_glance_db::add_location(std::string_view image_id,
                                             std::string_view value,
                                             std::optional<std::string_view> meta_data,
                                             std::string_view status,
                                             bool deleted) {
    std::string img(image_id);
    std::string val(value);
    std::string meta(meta_data.value_or(""));
    soci::indicator meta_ind = meta_data ? soci::i_ok : soci::i_null;
    std::string st(status);
    impl_->session << "INSERT INTO image_locations (image_id, value, meta_data, status, deleted, "
                      "created_at) VALUES (:img, :val, :meta, :st, " +
                          sql_bool(server_, deleted) + ", '2020-01-01 00:00:00')",
        soci::use(img), soci::use(val), soci::use(meta, meta_ind), soci::use(st);
    long long id = 0;
    impl_->session << "SELECT MAX(id) FROM image_locations", soci::into(id);
    return id;
}

void scratch_glance_db::add_tag(std::string_view image_id, std::string_view value, bool deleted) {
    std::string img(image_id);
    std::string val(value);
    impl_->session << "INSERT INTO image_tags (image_id, value, created_at, deleted) VALUES "
                      "(:img, :val, '2020-01-01 00:00:00', " +
                          sql_bool(server_, deleted) + ")",
        soci::use(img), soci::use(val);
}

void scratch_glance_db::set_location(std::int64_t id,
                                     std::string_view value,
                                     std::optional<std::string_view> meta_data,
                                     std::string_view status,
                                     bool deleted) {
    std::string val(value);
    std::string meta(meta_data.value_or(""));
    soci::indicator meta_ind = meta_data ? soci::i_ok : soci::i_null;
    std::string st(status);
    long long key = id;
    impl_->session << "UPDATE image_locations SET value = :val, meta_data = :meta, status = :st, "
                      "deleted = " +
                          sql_bool(server_, deleted) + " WHERE id = :id",
        soci::use(val), soci::use(meta, meta_ind), soci::use(st), soci::use(key);
}

std::optional<stored_location> scratch_glance_db::location(std::int64_t id) {
    stored_location row;
    std::string meta;
    soci::indicator meta_ind = soci::i_ok;
    int deleted = 0;
    std::string updated;
    soci::indicator updated_ind = soci::i_ok;
    long long key = id;
    std::string updated_text = server_ == db_server::sqlite       ? "updated_at"
                               : server_ == db_server::postgresql ? "CAST(updated_at AS text)"
                                                                  : "CAST(updated_at AS CHAR)";
    std::string deleted_int =
        server_ == db_server::postgresql ? "CAST(deleted AS integer)" : "deleted";
    impl_->session << "SELECT image_id, value, meta_data, status, " + deleted_int + ", " +
                          updated_text + " FROM image_locations WHERE id = :id",
        soci::into(row.image_id), soci::into(row.value), soci::into(meta, meta_ind),
        soci::into(row.status), soci::into(deleted), soci::into(updated, updated_ind),
        soci::use(key);
    if (!impl_->session.got_data()) return std::nullopt;
    if (meta_ind != soci::i_null) row.meta_data = meta;
    row.deleted = deleted != 0;
    if (updated_ind != soci::i_null) row.updated_at = updated;
    return row;
}

}  // namespace imgstore::test
