// imgstore_gen_glance_db: SQL that fills Glance's images and image_locations tables from image
// records in Glance's shape (JSON Lines, e.g. examples/images.jsonl), for the quick start's
// SQLite databases (tools/quickstart.sh, with and without --serve) and the backfill benchmark.
// The schema itself comes from tests/data/glance-schema/<dialect>.sql.
//
//   imgstore_gen_glance_db --dialect sqlite|postgresql|mysql [--rows N] < images.jsonl > out.sql
//
// Without --rows: one images row per record with an `id` and a `locations` array (possibly
// empty, as a queued image's), with the record's `name`, `status`, `size`, `checksum`,
// `disk_format`, `container_format` and `visibility` where it has them (else an active,
// public image named "image"), and one image_locations row per location, the location's
// metadata written as Glance writes meta_data (Python's json.dumps); malformed lines and
// fields of the wrong type are skipped. With --rows N: N location rows, each with an image of its
// own, 70% of them cycling through the input's legacy locations (no store, "" or null; every fifth
// with NULL meta_data, as very old databases hold) and 30% through those that name a store. Output
// is deterministic; rows go in multi-row INSERTs inside one transaction.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/glance_db/meta_data.hpp"

namespace {

enum class dialect { sqlite, postgresql, mysql };

struct location {
    std::string image_id;
    std::string url;
    std::optional<std::string> meta;  // as Glance's json.dumps writes it; nullopt is NULL
};

// An images row: what a record says, else the defaults.
struct image_fields {
    std::string id;
    std::string name = "image";
    std::string status = "active";
    std::optional<std::int64_t> size;
    std::optional<std::string> checksum;
    std::optional<std::string> disk_format;
    std::optional<std::string> container_format;
    std::string visibility = "public";
};

struct image_record {
    image_fields image;
    std::vector<location> locations;
};

// `v` as Python's json.dumps(v) writes it: ", " and ": " separators, ensure_ascii strings.
bool python_json(const boost::json::value& v, std::string& out) {
    switch (v.kind()) {
        case boost::json::kind::object: {
            out += '{';
            bool first = true;
            for (const auto& [key, value] : v.get_object()) {
                if (!first) out += ", ";
                first = false;
                auto k = imgstore::glance_db::python_json_string(key);
                if (!k) return false;
                out += *k + ": ";
                if (!python_json(value, out)) return false;
            }
            out += '}';
            return true;
        }
        case boost::json::kind::array: {
            out += '[';
            bool first = true;
            for (const auto& value : v.get_array()) {
                if (!first) out += ", ";
                first = false;
                if (!python_json(value, out)) return false;
            }
            out += ']';
            return true;
        }
        case boost::json::kind::string: {
            auto s = imgstore::glance_db::python_json_string(v.get_string());
            if (!s) return false;
            out += *s;
            return true;
        }
        case boost::json::kind::null:
            out += "null";
            return true;
        case boost::json::kind::bool_:
            out += v.get_bool() ? "true" : "false";
            return true;
        case boost::json::kind::int64:
            out += std::to_string(v.get_int64());
            return true;
        case boost::json::kind::uint64:
            out += std::to_string(v.get_uint64());
            return true;
        case boost::json::kind::double_:
            return false;  // the examples hold none; Python's float repr is not reproduced here
    }
    return false;
}

// Sets `field` from record[key] when it is a string.
template <class Field>
void string_field(const boost::json::object& record, std::string_view key, Field& field) {
    const boost::json::value* v = record.if_contains(key);
    if (v != nullptr && v->is_string()) field = std::string(v->get_string());
}

// Reads every well-formed record on stdin.
std::vector<image_record> read_records() {
    std::vector<image_record> out;
    std::string line;
    while (std::getline(std::cin, line)) {
        boost::system::error_code ec;
        const boost::json::value record = boost::json::parse(line, ec);
        const boost::json::object* o = ec ? nullptr : record.if_object();
        if (o == nullptr || !o->contains("id") || !o->at("id").is_string()) continue;
        const boost::json::value* locations = o->if_contains("locations");
        if (locations == nullptr || !locations->is_array()) continue;
        image_record r;
        r.image.id = std::string(o->at("id").get_string());
        string_field(*o, "name", r.image.name);
        string_field(*o, "status", r.image.status);
        string_field(*o, "checksum", r.image.checksum);
        string_field(*o, "disk_format", r.image.disk_format);
        string_field(*o, "container_format", r.image.container_format);
        string_field(*o, "visibility", r.image.visibility);
        if (const boost::json::value* size = o->if_contains("size"); size && size->is_int64()) {
            r.image.size = size->get_int64();
        }
        for (const auto& l : locations->get_array()) {
            const boost::json::object* lo = l.if_object();
            if (lo == nullptr || !lo->contains("url") || !lo->at("url").is_string()) continue;
            location loc{r.image.id, std::string(lo->at("url").get_string()), std::nullopt};
            if (const boost::json::value* m = lo->if_contains("metadata")) {
                std::string text;
                if (!python_json(*m, text)) continue;
                loc.meta = std::move(text);
            }
            r.locations.push_back(std::move(loc));
        }
        out.push_back(std::move(r));
    }
    return out;
}

bool names_store(const location& l) {
    if (!l.meta) return false;
    const auto info = imgstore::glance_db::inspect_meta(*l.meta);
    return info.kind == imgstore::glance_db::meta_kind::has_store;
}

std::string quote(dialect d, std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += '\'';
        if (c == '\\' && d == dialect::mysql) out += '\\';  // MySQL reads backslash escapes
        out += c;
    }
    return out + "'";
}

// A deterministic version-4-shaped UUID for image n.
std::string image_uuid(std::uint64_t n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08llx-0000-4000-8000-%012llx",
                  static_cast<unsigned long long>(n >> 48),
                  static_cast<unsigned long long>(n & 0xFFFFFFFFFFFFull));
    return buf;
}

class sql_writer {
  public:
    explicit sql_writer(dialect d) : d_(d) {}

    void image(const image_fields& f) {
        images_ += images_.empty() ? "" : ",\n";
        images_ += "(" + quote(d_, f.id) + ", " + quote(d_, f.name) + ", " + quote(d_, f.status) +
                   ", '2024-01-01 00:00:00', false, 0, 0, false, " + quote(d_, f.visibility) +
                   ", false, " + (f.size ? std::to_string(*f.size) : "NULL") + ", " +
                   nullable(f.checksum) + ", " + nullable(f.disk_format) + ", " +
                   nullable(f.container_format) + ")";
        if (++pending_ == 500) flush();
    }

    void location_of(const std::string& image_id, const location& l) {
        locations_ += locations_.empty() ? "" : ",\n";
        locations_ += "(" + quote(d_, image_id) + ", " + quote(d_, l.url) + ", " +
                      (l.meta ? quote(d_, *l.meta) : std::string("NULL")) +
                      ", 'active', false, '2024-01-01 00:00:00')";
        if (++pending_ == 500) flush();
    }

    void flush() {
        if (pending_ == 0) return;
        std::string out;
        if (!images_.empty()) {
            out =
                "INSERT INTO images (id, name, status, created_at, deleted, min_disk, min_ram, "
                "protected, visibility, os_hidden, size, checksum, disk_format, "
                "container_format) VALUES\n" +
                images_ + ";\n";
        }
        if (!locations_.empty()) {
            out +=
                "INSERT INTO image_locations (image_id, value, meta_data, status, deleted, "
                "created_at) VALUES\n" +
                locations_ + ";\n";
        }
        std::fwrite(out.data(), 1, out.size(), stdout);
        images_.clear();
        locations_.clear();
        pending_ = 0;
    }

  private:
    std::string nullable(const std::optional<std::string>& v) const {
        return v ? quote(d_, *v) : std::string("NULL");
    }
    dialect d_;
    std::string images_;
    std::string locations_;
    int pending_ = 0;
};

int usage() {
    std::fputs(
        "usage: imgstore_gen_glance_db --dialect sqlite|postgresql|mysql [--rows N]"
        " < images.jsonl\n",
        stderr);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<dialect> d;
    std::optional<std::uint64_t> rows;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        const std::string_view value = argv[i + 1];
        if (flag == "--dialect") {
            if (value == "sqlite") d = dialect::sqlite;
            if (value == "postgresql") d = dialect::postgresql;
            if (value == "mysql") d = dialect::mysql;
        } else if (flag == "--rows") {
            char* end = nullptr;
            errno = 0;
            rows = std::strtoull(argv[i + 1], &end, 10);
            if (errno != 0 || *end != '\0') return usage();
        } else {
            return usage();
        }
    }
    if (!d || argc % 2 == 0) return usage();
    const std::vector<image_record> input = read_records();
    sql_writer out(*d);
    std::fputs(*d == dialect::mysql ? "START TRANSACTION;\n" : "BEGIN;\n", stdout);
    if (!rows) {
        for (const image_record& r : input) {
            out.image(r.image);
            for (const location& l : r.locations) out.location_of(r.image.id, l);
        }
    } else {
        std::vector<const location*> legacy;
        std::vector<const location*> named;
        for (const image_record& r : input) {
            for (const location& l : r.locations) (names_store(l) ? named : legacy).push_back(&l);
        }
        if (legacy.empty() || named.empty()) {
            std::fputs("imgstore_gen_glance_db: --rows needs legacy and stamped locations\n",
                       stderr);
            return 2;
        }
        std::uint64_t next_legacy = 0;
        std::uint64_t next_named = 0;
        for (std::uint64_t n = 0; n < *rows; ++n) {
            if (n % 10 < 7) {
                location l = *legacy[next_legacy % legacy.size()];
                if (next_legacy % 5 == 4 && l.meta == "{}") l.meta.reset();
                ++next_legacy;
                out.image(image_fields{image_uuid(n)});
                out.location_of(image_uuid(n), l);
            } else {
                out.image(image_fields{image_uuid(n)});
                out.location_of(image_uuid(n), *named[next_named++ % named.size()]);
            }
        }
    }
    out.flush();
    std::fputs("COMMIT;\n", stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
}
