#include "record_edit.hpp"

#include <algorithm>
#include <string_view>

#include "cli_io.hpp"
#include "detail/json_scan.hpp"

namespace imgstore::cli {
namespace {

struct range {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool found = false;
};

struct edit {
    std::size_t pos;
    std::size_t erase;
    std::string text;
};

// The edits of `changes`, found in the text itself (the last of duplicate keys, as the parser
// keeps it). False only when the text does not have the shape collect_locations() accepted.
bool edit_text(std::string_view text,
               std::span<const location_change> changes,
               std::vector<edit>& edits) {
    const detail::json_scan sc(text);
    const std::size_t root = sc.skip_space(0);
    range locations;
    if (sc.at(root) != '{') return false;
    sc.members(root, [&](std::string_view key, std::size_t b, std::size_t e) {
        if (key == "locations") locations = {b, e, true};
    });
    if (!locations.found || sc.at(locations.begin) != '[') return false;
    std::vector<range> items;
    sc.elements(locations.begin, [&](std::size_t b, std::size_t e) {
        items.push_back({b, e, true});
    });

    for (const location_change& c : changes) {
        if (c.index >= items.size()) return false;
        const range item = items[c.index];
        if (sc.at(item.begin) != '{') return false;
        range url;
        range metadata;
        bool item_has_members = false;
        bool spaced = false;  // the record's style: `"key": value, ...` or `"key":value,...`
        sc.members(item.begin, [&](std::string_view key, std::size_t b, std::size_t e) {
            item_has_members = true;
            if (key == "url") {
                url = {b, e, true};
                spaced = b > 0 && text[b - 1] == ' ';
            }
            if (key == "metadata") metadata = {b, e, true};
        });
        range store;
        bool metadata_has_members = false;
        if (metadata.found) {
            if (sc.at(metadata.begin) != '{') return false;
            sc.members(metadata.begin, [&](std::string_view key, std::size_t b, std::size_t e) {
                metadata_has_members = true;
                if (key == "store") store = {b, e, true};
            });
        }
        if (c.new_url) {
            if (!url.found) return false;
            std::string quoted;
            append_json_string(quoted, *c.new_url);
            edits.push_back({url.begin, url.end - url.begin, std::move(quoted)});
        }
        const std::string_view colon = spaced ? ": " : ":";
        const std::string_view comma = spaced ? ", " : ",";
        std::string id;
        append_json_string(id, c.new_store);
        if (store.found) {
            edits.push_back({store.begin, store.end - store.begin, std::move(id)});
        } else if (metadata.found) {
            std::string member = "\"store\"" + std::string(colon) + id;
            if (metadata_has_members) member += comma;
            edits.push_back({metadata.begin + 1, 0, std::move(member)});
        } else {
            // Before the location's closing '}'.
            std::string member = item_has_members ? std::string(comma) : std::string();
            member +=
                "\"metadata\"" + std::string(colon) + "{\"store\"" + std::string(colon) + id + "}";
            edits.push_back({item.end - 1, 0, std::move(member)});
        }
    }
    return true;
}

}  // namespace

bool collect_locations(const boost::json::value& record,
                       std::vector<location_ref>& out,
                       std::string& why) {
    const auto* object = record.if_object();
    if (object == nullptr) {
        why = "not a JSON object";
        return false;
    }
    const auto* locations = object->if_contains("locations");
    if (locations == nullptr) return true;
    const auto* array = locations->if_array();
    if (array == nullptr) {
        why = "\"locations\" is not an array";
        return false;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto where = [&](std::string_view what) {
            why = "locations[" + std::to_string(i) + "]" + std::string(what);
            return false;
        };
        const auto* loc = (*array)[i].if_object();
        if (loc == nullptr) return where(" is not an object");
        const auto* url = loc->if_contains("url");
        if (url == nullptr || !url->is_string()) return where(" has no string \"url\"");
        std::optional<std::string_view> store;
        if (const auto* metadata = loc->if_contains("metadata")) {
            const auto* m = metadata->if_object();
            if (m == nullptr) return where(".metadata is not an object");
            if (const auto* s = m->if_contains("store")) {
                if (s->is_string()) {
                    store = std::string_view(s->get_string());
                } else if (!s->is_null()) {
                    return where(".metadata.store is not a string");
                }
            }
        }
        out.push_back({std::string_view(url->get_string()), store});
    }
    return true;
}

bool apply_changes(std::string_view text,
                   std::span<const location_change> changes,
                   std::string& out) {
    std::vector<edit> edits;
    if (!edit_text(text, changes, edits)) return false;
    std::stable_sort(edits.begin(), edits.end(),
                     [](const edit& a, const edit& b) { return a.pos < b.pos; });
    std::size_t copied = 0;
    for (const edit& e : edits) {
        out.append(text.substr(copied, e.pos - copied));
        out += e.text;
        copied = e.pos + e.erase;
    }
    out.append(text.substr(copied));
    return true;
}

}  // namespace imgstore::cli
