#include "record_edit.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "cli_io.hpp"

namespace imgstore::cli {
namespace {

unsigned hex4(std::string_view s) {
    unsigned v = 0;
    for (const char c : s.substr(0, 4)) {
        v <<= 4;
        v |= c <= '9' ? static_cast<unsigned>(c - '0')
                      : static_cast<unsigned>((c | 0x20) - 'a' + 10);
    }
    return v;
}

void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Appends the value of the body of a JSON string (between its quotes) that a strict parser has
// accepted, escapes decoded as the parser decodes them (a lone surrogate as U+FFFD).
void decode_json_string(std::string_view raw, std::string& out) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\') {
            out += raw[i];
            continue;
        }
        const char e = raw[++i];
        switch (e) {
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                unsigned cp = hex4(raw.substr(i + 1));
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && raw.substr(i + 1, 2) == "\\u") {
                    const unsigned low = hex4(raw.substr(i + 3));
                    if (low >= 0xDC00 && low <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        i += 6;
                    }
                }
                if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
                append_utf8(out, cp);
                break;
            }
            default:  // '"', '\\', '/'
                out += e;
        }
    }
}

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

    // Calls f(key, value_begin, value_end) for each member of the object opening at `open`,
    // `key` decoded (a key written with escapes, "loc\u0061tions", is "locations").
    template <class F>
    void members(std::size_t open, F&& f) const {
        std::size_t i = ws(open + 1);
        if (at(i) == '}') return;
        std::string decoded;
        for (;;) {
            const std::size_t key_end = string_end(i);
            std::string_view key = s_.substr(i + 1, key_end - i - 2);
            if (key.find('\\') != std::string_view::npos) {
                decoded.clear();
                decode_json_string(key, decoded);
                key = decoded;
            }
            const std::size_t value = ws(ws(key_end) + 1);  // past ':'
            const std::size_t value_stop = value_end(value);
            f(key, value, value_stop);
            i = ws(value_stop);
            if (at(i) != ',') return;
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

// The edits of `changes`, found in the text itself (the last of duplicate keys, as the parser
// keeps it). False only when the text does not have the shape collect_locations() accepted.
bool edit_text(std::string_view text,
               std::span<const location_change> changes,
               std::vector<edit>& edits) {
    const scanner sc(text);
    const std::size_t root = sc.ws(0);
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
