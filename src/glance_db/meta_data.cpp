#include "imgstore/glance_db/meta_data.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <cstdint>
#include <vector>

#include "detail/json_scan.hpp"
#include "detail/utf8.hpp"

namespace imgstore::glance_db {
namespace {

using detail::next_code_point;

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

// The top level of text that Boost.JSON has already accepted as one JSON object.
object_layout scan_top_level(std::string_view text) {
    const detail::json_scan sc(text);
    object_layout layout;
    layout.open = sc.skip_space(0);
    layout.close = sc.value_end(layout.open) - 1;
    sc.members(layout.open, [&](std::string_view key, std::size_t begin, std::size_t end) {
        layout.members.push_back({std::string(key), begin, end});
    });
    return layout;
}

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
    out.layout = scan_top_level(text);
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
