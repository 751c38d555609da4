// GET /v2/info/stores and GET /v2/images/{id}: store discovery and the stamped image.
#include "handlers.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "imgstore/location.hpp"
#include "imgstore/stamp.hpp"

namespace imgstore::service {
namespace http = boost::beast::http;
namespace json = boost::json;

reply error_reply(http::status status, std::string message) {
    json::object o;
    o["code"] = static_cast<int>(status);
    o["title"] = std::string(http::obsolete_reason(status));
    o["message"] = message;
    return {status, json::serialize(o), std::move(message)};
}

reply stores_reply(const generation& gen) {
    json::array stores;
    for (const store& st : gen.snap->registry->stores()) {
        if (st.is_reserved()) continue;  // Glance lists only the operator's stores
        json::object o;
        o["id"] = std::string(st.id());
        if (!st.description().empty()) o["description"] = std::string(st.description());
        if (st.is_default()) o["default"] = true;
        o["weight"] = st.weight();
        stores.push_back(std::move(o));
    }
    json::object out;
    out["stores"] = std::move(stores);
    return {http::status::ok, json::serialize(out), {}};
}

namespace {

// One location as read, decrypted, with what its meta_data says.
struct image_location_state {
    std::string url;
    glance_db::meta_info meta;
    bool readable = true;  // decrypted (or not encrypted) and meta_data not malformed
};

json::value nullable(const std::optional<std::string>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}
json::value nullable(const std::optional<std::int64_t>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}

// A location's metadata as Glance shows it: every key of its meta_data (an object: malformed
// rows are not in the view), with `store` as stamped.
json::object location_metadata(const std::optional<std::string>& meta_data,
                               const std::optional<std::string>& store) {
    json::object meta;
    if (meta_data) {
        boost::system::error_code ec;
        json::value parsed = json::parse(*meta_data, ec);
        if (!ec && parsed.is_object()) meta = std::move(parsed.as_object());
    }
    if (store) {
        meta["store"] = *store;
    } else {
        meta.erase("store");  // "" or null: the location has no store yet
    }
    return meta;
}

// Properties Glance's ResponseSerializer never shows (its _hidden_properties: where an import
// staged the data and which host computes the hash).
bool hidden_property(std::string_view name) {
    return name == "os_glance_stage_host" || name == "os_glance_hash_op_host";
}

// Glance's v2 image JSON: the core attributes, properties as top-level strings (the core ones
// win a name clash, as in Glance), tags, `stores` as the comma-joined store ids of the
// locations, and the locations with their userinfo redacted. `row_of[i]` is the row.locations
// index of view.locations[i].
std::string image_json(const glance_db::image_row& row,
                       const stamp_view& view,
                       const std::vector<std::size_t>& row_of) {
    json::object o;
    for (const auto& [name, value] : row.properties) {
        if (!hidden_property(name)) o[name] = value;
    }
    o["id"] = row.id;
    o["name"] = nullable(row.name);
    o["status"] = row.status;
    o["visibility"] = row.visibility;
    o["protected"] = row.is_protected;
    o["os_hidden"] = row.os_hidden;
    o["checksum"] = nullable(row.checksum);
    o["os_hash_algo"] = nullable(row.os_hash_algo);
    o["os_hash_value"] = nullable(row.os_hash_value);
    o["owner"] = nullable(row.owner);
    o["size"] = nullable(row.size);
    o["virtual_size"] = nullable(row.virtual_size);
    o["min_disk"] = row.min_disk;
    o["min_ram"] = row.min_ram;
    o["disk_format"] = nullable(row.disk_format);
    o["container_format"] = nullable(row.container_format);
    o["created_at"] = row.created_at;
    o["updated_at"] = nullable(row.updated_at);
    json::array tags;
    for (const std::string& t : row.tags) tags.emplace_back(t);
    o["tags"] = std::move(tags);
    o["self"] = "/v2/images/" + row.id;
    o["file"] = "/v2/images/" + row.id + "/file";  // Glance's data link, not a store type
    o["schema"] = "/v2/schemas/image";
    json::array locations;
    // In location order, one entry per location that has a store, repeats kept: Glance joins
    // them so (two locations in one store show "fast,fast").
    std::vector<std::string> stores;
    for (std::size_t i = 0; i < view.locations.size(); ++i) {
        const stamped_location& loc = view.locations[i];
        json::object l;
        l["url"] = redact_url(loc.url);
        if (loc.store && !loc.store->empty()) stores.push_back(*loc.store);
        l["metadata"] = location_metadata(row.locations[row_of[i]].meta_data, loc.store);
        locations.push_back(std::move(l));
    }
    o["locations"] = std::move(locations);
    if (!stores.empty()) o["stores"] = fmt::format("{}", fmt::join(stores, ","));
    return json::serialize(o);
}

}  // namespace

reply image_reply(image_service::state& s, const generation& gen, const std::string& id) {
    auto lease = s.db->acquire();
    if (!lease) return error_reply(http::status::service_unavailable, lease.error().message);
    auto read = glance_db::read_image(**lease, id);
    if (!read) {
        lease->discard();
        return error_reply(http::status::service_unavailable, read.error().message);
    }
    if (!*read) return error_reply(http::status::not_found, "no image " + id);
    const glance_db::image_row& row = **read;

    std::vector<image_location_state> locs;
    std::vector<location_ref> refs;
    std::vector<std::size_t> row_of;  // refs index -> row.locations index
    locs.reserve(row.locations.size());
    for (std::size_t i = 0; i < row.locations.size(); ++i) {
        const glance_db::location_row& l = row.locations[i];
        image_location_state st;
        st.url = l.value;
        if (s.cipher) {
            auto plain = s.cipher->decrypt(l.value);
            st.readable = plain.has_value();
            if (plain) st.url = std::move(*plain);
        }
        st.meta = glance_db::inspect_meta(l.meta_data);
        if (st.meta.kind == glance_db::meta_kind::malformed) st.readable = false;
        locs.push_back(std::move(st));
    }
    for (std::size_t i = 0; i < locs.size(); ++i) {
        if (!locs[i].readable) continue;
        std::optional<std::string_view> store;
        if (locs[i].meta.kind == glance_db::meta_kind::has_store) store = locs[i].meta.store;
        refs.push_back({locs[i].url, store});
        row_of.push_back(i);
    }
    stamp_view view = stamp_image(*gen.snap->resolver, refs);

    // Save each change once: a compare-and-swap on the row as read, so a concurrent writer
    // (Glance itself, another GET) wins and nothing is overwritten.
    std::vector<glance_db::row_update> updates;
    std::size_t unsaved = 0;
    for (const location_change& c : view.stamp.changes) {
        const glance_db::location_row& l = row.locations[row_of[c.index]];
        auto meta = glance_db::splice_store(l.meta_data, c.new_store);
        std::string value = l.value;
        if (c.new_url) {
            if (s.cipher) {
                auto enc = s.cipher->encrypt(*c.new_url);
                if (!enc)
                    meta = enc.error();
                else
                    value = std::move(*enc);
            } else {
                value = *c.new_url;
            }
        }
        if (!meta) {  // a stale store id: left for `imgstore backfill`, shown stamped here
            ++unsaved;
            continue;
        }
        updates.push_back(
            {l.id, l.value, l.meta_data, l.status, std::move(value), std::move(*meta)});
    }
    std::size_t saved = 0;
    if (!updates.empty()) {
        auto applied = glance_db::compare_and_swap(**lease, updates);
        if (!applied) {
            lease->discard();
            s.log->warn("image {}: stamps not saved: {}", id, applied.error().message);
        } else {
            for (bool a : *applied) saved += a ? 1 : 0;
        }
    }
    // Rows the view could not show (undecryptable, malformed meta_data) are left out of it.
    reply out{http::status::ok, image_json(row, view, row_of), {}};
    out.note = fmt::format("locations={} stamped={} saved={}{}{}", row.locations.size(),
                           view.stamp.changes.size(), saved,
                           unsaved ? fmt::format(" unsaved={}", unsaved) : "",
                           view.complete() ? "" : " cinder_lookups_pending");
    return out;
}

}  // namespace imgstore::service
