#include "record_edit.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstring>
#include <string_view>

#include "cli_io.hpp"

namespace imgstore::cli {
namespace {

// A structural scanner over JSON text that a strict parser has already accepted: it only finds
// where values begin and end, so it need not validate anything.
class scanner {
  public:
    explicit scanner(std::string_view s) : s_(s) {}

    std::size_t ws(std::size_t i) const {
        while (i < s_.size() && (s_[i] == ' ' || s_[i] == '\t' || s_[i] == '\n' || s_[i] == '\r')) {
            ++i;
        }
        return i;
    }

    char at(std::size_t i) const { return i < s_.size() ? s_[i] : '\0'; }

    // `i` is at an opening quote; returns the index after the closing one. memchr finds the
    // candidates; a quote preceded by an odd number of backslashes is escaped.
    std::size_t string_end(std::size_t i) const {
        const char* base = s_.data();
        for (++i; i < s_.size();) {
            const void* q = std::memchr(base + i, '"', s_.size() - i);
            if (q == nullptr) return s_.size();
            const auto at = static_cast<std::size_t>(static_cast<const char*>(q) - base);
            std::size_t backslashes = 0;
            while (at - backslashes > i && base[at - backslashes - 1] == '\\') ++backslashes;
            if (backslashes % 2 == 0) return at + 1;
            i = at + 1;
        }
        return s_.size();
    }

    std::size_t value_end(std::size_t i) const {
        const char c = at(i);
        if (c == '"') return string_end(i);
        if (c == '{' || c == '[') {
            std::size_t depth = 0;
            while (i < s_.size()) {
                const char d = s_[i];
                if (d == '"') {
                    i = string_end(i);
                    continue;
                }
                if (d == '{' || d == '[') {
                    ++depth;
                } else if ((d == '}' || d == ']') && --depth == 0) {
                    return i + 1;
                }
                ++i;
            }
            return s_.size();
        }
        // A number or a literal: up to the next delimiter.
        while (i < s_.size() && !is_delimiter(s_[i])) ++i;
        return i;
    }

    static bool is_delimiter(char c) {
        return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    // Calls f(key, value_begin, value_end) for each member of the object opening at `open`.
    // Returns false (having stopped) at a key written with an escape: its text is not its name.
    template <class F>
    bool members(std::size_t open, F&& f) const {
        std::size_t i = ws(open + 1);
        if (at(i) == '}') return true;
        for (;;) {
            const std::size_t key_end = string_end(i);
            const std::string_view key = s_.substr(i + 1, key_end - i - 2);
            if (key.find('\\') != std::string_view::npos) return false;
            const std::size_t value = ws(ws(key_end) + 1);  // past ':'
            const std::size_t value_stop = value_end(value);
            f(key, value, value_stop);
            i = ws(value_stop);
            if (at(i) != ',') return true;
            i = ws(i + 1);
        }
    }

    // Calls f(begin, end) for each element of the array opening at `open`.
    template <class F>
    void elements(std::size_t open, F&& f) const {
        std::size_t i = ws(open + 1);
        if (at(i) == ']') return;
        for (;;) {
            const std::size_t stop = value_end(i);
            f(i, stop);
            i = ws(stop);
            if (at(i) != ',') return;
            i = ws(i + 1);
        }
    }

  private:
    std::string_view s_;
};

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

// Edits in place; false when the text cannot be edited that way (escaped keys).
bool edit_text(std::string_view text,
               std::span<const location_change> changes,
               std::vector<edit>& edits) {
    const scanner sc(text);
    const std::size_t root = sc.ws(0);
    range locations;
    if (sc.at(root) != '{') return false;
    if (!sc.members(root, [&](std::string_view key, std::size_t b, std::size_t e) {
            if (key == "locations") locations = {b, e, true};
        })) {
        return false;
    }
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
        if (!sc.members(item.begin, [&](std::string_view key, std::size_t b, std::size_t e) {
                item_has_members = true;
                if (key == "url") {
                    url = {b, e, true};
                    spaced = b > 0 && text[b - 1] == ' ';
                }
                if (key == "metadata") metadata = {b, e, true};
            })) {
            return false;
        }
        range store;
        bool metadata_has_members = false;
        if (metadata.found) {
            if (sc.at(metadata.begin) != '{') return false;
            if (!sc.members(metadata.begin,
                            [&](std::string_view key, std::size_t b, std::size_t e) {
                                metadata_has_members = true;
                                if (key == "store") store = {b, e, true};
                            })) {
                return false;
            }
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

void edit_record(boost::json::value& record, std::span<const location_change> changes) {
    auto& locations = record.as_object()["locations"].as_array();
    for (const location_change& c : changes) {
        auto& loc = locations.at(c.index).as_object();
        if (c.new_url) loc["url"] = *c.new_url;
        auto& metadata = loc["metadata"];
        if (!metadata.is_object()) metadata = boost::json::object(record.storage());
        metadata.as_object()["store"] = c.new_store;
    }
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

void apply_changes(std::string_view text,
                   boost::json::value& record,
                   std::span<const location_change> changes,
                   std::string& out) {
    std::vector<edit> edits;
    if (!edit_text(text, changes, edits)) {
        edit_record(record, changes);
        out += boost::json::serialize(record);
        // Keep the line's own trailing '\r', if any (the parser accepted it as whitespace).
        if (text.ends_with('\r')) out += '\r';
        return;
    }
    std::stable_sort(edits.begin(), edits.end(),
                     [](const edit& a, const edit& b) { return a.pos < b.pos; });
    std::size_t copied = 0;
    for (const edit& e : edits) {
        out.append(text.substr(copied, e.pos - copied));
        out += e.text;
        copied = e.pos + e.erase;
    }
    out.append(text.substr(copied));
}

}  // namespace imgstore::cli
