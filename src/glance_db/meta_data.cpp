#include "imgstore/glance_db/meta_data.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <cstdint>
#include <vector>

#include "detail/utf8.hpp"

namespace imgstore::glance_db {
namespace {

using detail::append_utf8;
using detail::next_code_point;

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// One top-level member of an object: its decoded key and where its value's text lies.
struct member_span {
    std::string key;
    std::size_t value_begin = 0;
    std::size_t value_end = 0;
};

struct object_layout {
    std::size_t open = 0;   // offset of '{'
    std::size_t close = 0;  // offset of the matching '}'
    std::vector<member_span> members;
};

// Walks the top level of text that Boost.JSON has already accepted as one JSON object, so it
// only has to find boundaries (and decode keys); nullopt if the text surprises it anyway.
class top_level_scanner {
  public:
    explicit top_level_scanner(std::string_view text) : s_(text) {}

    std::optional<object_layout> scan() {
        object_layout layout;
        skip_space();
        if (!take('{')) return std::nullopt;
        layout.open = i_ - 1;
        skip_space();
        if (peek() == '}') {
            layout.close = i_;
            return layout;
        }
        for (;;) {
            member_span m;
            auto key = read_string();
            if (!key) return std::nullopt;
            m.key = std::move(*key);
            skip_space();
            if (!take(':')) return std::nullopt;
            skip_space();
            m.value_begin = i_;
            if (!skip_value()) return std::nullopt;
            m.value_end = i_;
            layout.members.push_back(std::move(m));
            skip_space();
            if (take(',')) {
                skip_space();
                continue;
            }
            if (peek() != '}') return std::nullopt;
            layout.close = i_;
            return layout;
        }
    }

  private:
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    bool take(char c) {
        if (peek() != c) return false;
        ++i_;
        return true;
    }
    void skip_space() {
        while (i_ < s_.size() && json_space(s_[i_])) ++i_;
    }

    std::optional<unsigned> read_hex4() {
        if (i_ + 4 > s_.size()) return std::nullopt;
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9') {
                v |= static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                v |= static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                v |= static_cast<unsigned>(c - 'A' + 10);
            } else {
                return std::nullopt;
            }
        }
        return v;
    }

    std::optional<std::string> read_string() {
        if (!take('"')) return std::nullopt;
        std::string out;
        while (i_ < s_.size()) {
            char c = s_[i_++];
            if (c == '"') return out;
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (i_ >= s_.size()) return std::nullopt;
            char e = s_[i_++];
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    out.push_back(e);
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    auto hi = read_hex4();
                    if (!hi) return std::nullopt;
                    char32_t cp = *hi;
                    if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(i_, 2) == "\\u") {
                        i_ += 2;
                        auto lo = read_hex4();
                        if (!lo || *lo < 0xDC00 || *lo > 0xDFFF) return std::nullopt;
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (*lo - 0xDC00);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default:
                    return std::nullopt;
            }
        }
        return std::nullopt;
    }

    bool skip_string() { return read_string().has_value(); }

    bool skip_value() {
        char c = peek();
        if (c == '"') return skip_string();
        if (c == '{' || c == '[') {
            int depth = 0;
            while (i_ < s_.size()) {
                char d = s_[i_];
                if (d == '"') {
                    if (!skip_string()) return false;
                    continue;
                }
                ++i_;
                if (d == '{' || d == '[') ++depth;
                if (d == '}' || d == ']') {
                    if (--depth == 0) return true;
                }
            }
            return false;
        }
        std::size_t start = i_;
        while (i_ < s_.size() && !json_space(s_[i_]) && s_[i_] != ',' && s_[i_] != '}' &&
               s_[i_] != ']') {
            ++i_;
        }
        return i_ > start;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

struct classified {
    meta_info info;
    std::optional<object_layout> layout;
    const member_span* store = nullptr;  // into layout
};

meta_info malformed(std::string reason) { return {meta_kind::malformed, {}, std::move(reason)}; }

std::string_view kind_name(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::bool_:
            return "a boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_:
            return "a number";
        case boost::json::kind::array:
            return "an array";
        case boost::json::kind::object:
            return "an object";
        case boost::json::kind::string:
            return "a string";
        case boost::json::kind::null:
            return "null";
    }
    return "unknown";
}

classified classify(std::string_view text) {
    classified out;
    // The common case of a legacy row (SQLAlchemy's default for meta_data): no parse.
    if (text == "{}") {
        out.layout.emplace(object_layout{0, 1, {}});
        return out;
    }
    // Small texts parse without touching the heap. Not zeroed: the resource only hands out
    // what the parser then writes.
    std::array<unsigned char, 4096> buffer;  // NOLINT(cppcoreguidelines-pro-type-member-init)
    boost::json::monotonic_resource resource(buffer.data(), buffer.size());
    boost::json::parse_options options;
    options.max_depth = 512;  // Python's json module nests about as deep as its recursion limit
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(text, ec, &resource, options);
    if (ec) {
        out.info = malformed("not valid JSON");
        return out;
    }
    if (!doc.is_object()) {
        out.info = malformed(fmt::format("not a JSON object but {}", kind_name(doc)));
        return out;
    }
    out.layout = top_level_scanner(text).scan();
    if (!out.layout) {
        out.info = malformed("not valid JSON");
        return out;
    }
    for (const auto& m : out.layout->members) {
        if (m.key != "store") continue;
        if (out.store) {
            out.info = malformed("duplicate top-level \"store\" keys");
            return out;
        }
        out.store = &m;
    }
    if (!out.store) return out;
    const boost::json::value& store = doc.as_object().at("store");
    if (store.is_null() || (store.is_string() && store.as_string().empty())) return out;
    if (!store.is_string()) {
        out.info = malformed(fmt::format("\"store\" is {}", kind_name(store)));
        return out;
    }
    out.info.kind = meta_kind::has_store;
    out.info.store = std::string(store.as_string());
    return out;
}

db_error splice_error(db_errc code, std::string message) {
    return {make_error_code(code), std::move(message)};
}

}  // namespace

db_result<std::string> python_json_string(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('"');
    for (std::size_t i = 0; i < s.size();) {
        auto cp = next_code_point(s, i);
        if (!cp) return splice_error(db_errc::bad_store_id, "store id is not valid UTF-8");
        switch (*cp) {
            case '"':
                out += "\\\"";
                continue;
            case '\\':
                out += "\\\\";
                continue;
            case '\n':
                out += "\\n";
                continue;
            case '\r':
                out += "\\r";
                continue;
            case '\t':
                out += "\\t";
                continue;
            case '\b':
                out += "\\b";
                continue;
            case '\f':
                out += "\\f";
                continue;
            default:
                break;
        }
        if (*cp >= 0x20 && *cp <= 0x7E) {
            out.push_back(static_cast<char>(*cp));
        } else if (*cp < 0x10000) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(*cp));
        } else {
            char32_t v = *cp - 0x10000;
            out += fmt::format("\\u{:04x}\\u{:04x}", static_cast<unsigned>(0xD800 + (v >> 10)),
                               static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
        }
    }
    out.push_back('"');
    return out;
}

meta_info inspect_meta(std::optional<std::string_view> meta) {
    if (!meta) return {};
    return classify(*meta).info;
}

db_result<std::string> splice_store(std::optional<std::string_view> meta,
                                    std::string_view store_id) {
    auto quoted = python_json_string(store_id);
    if (!quoted) return quoted.error();
    std::string fresh = "{\"store\": " + *quoted + "}";
    if (!meta) return fresh;
    classified c = classify(*meta);
    if (c.info.kind == meta_kind::malformed) {
        return splice_error(db_errc::malformed_meta_data, "meta_data: " + c.info.reason);
    }
    if (c.info.kind == meta_kind::has_store) {
        return splice_error(db_errc::has_store, "meta_data already names a store");
    }
    std::string_view text = *meta;
    const object_layout& layout = *c.layout;
    if (c.store) {
        // "store": "" or null: the value replaced where it stands, as a Python dict keeps the
        // key's position when Glance assigns it.
        return std::string(text.substr(0, c.store->value_begin)) + *quoted +
               std::string(text.substr(c.store->value_end));
    }
    if (layout.members.empty()) return fresh;
    std::size_t at = layout.members.back().value_end;
    return std::string(text.substr(0, at)) + ", \"store\": " + *quoted +
           std::string(text.substr(at));
}

db_result<std::string> replace_store(std::optional<std::string_view> meta,
                                     std::string_view store_id) {
    if (!meta) return splice_store(meta, store_id);
    const classified c = classify(*meta);
    if (c.info.kind != meta_kind::has_store) return splice_store(meta, store_id);
    auto quoted = python_json_string(store_id);
    if (!quoted) return quoted.error();
    const std::string_view text = *meta;
    return std::string(text.substr(0, c.store->value_begin)) + *quoted +
           std::string(text.substr(c.store->value_end));
}

}  // namespace imgstore::glance_db
