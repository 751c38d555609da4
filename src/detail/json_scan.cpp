#include "detail/json_scan.hpp"

#include <cstring>

#include "detail/text.hpp"
#include "detail/utf8.hpp"

namespace imgstore::detail {
namespace {

bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The four hex digits of a \u escape (accepted text: they are there).
char32_t hex4(std::string_view s) noexcept {
    char32_t v = 0;
    for (const char c : s.substr(0, 4)) v = v << 4 | static_cast<char32_t>(hex_value(c));
    return v;
}

}  // namespace

void decode_json_string(std::string_view body, std::string& out) {
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\') {
            out += body[i];
            continue;
        }
        const char e = body[++i];
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
                char32_t cp = hex4(body.substr(i + 1));
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF && body.substr(i + 1, 2) == "\\u") {
                    const char32_t low = hex4(body.substr(i + 3));
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

std::size_t json_scan::skip_space(std::size_t i) const noexcept {
    while (i < s_.size() && is_json_space(s_[i])) ++i;
    return i;
}

std::size_t json_scan::string_end(std::size_t i) const noexcept {
    // memchr finds the candidates; a quote preceded by an odd number of backslashes is escaped.
    const char* base = s_.data();
    for (++i; i < s_.size();) {
        const void* q = std::memchr(base + i, '"', s_.size() - i);
        if (q == nullptr) return s_.size();
        const auto quote = static_cast<std::size_t>(static_cast<const char*>(q) - base);
        std::size_t backslashes = 0;
        while (quote - backslashes > i && base[quote - backslashes - 1] == '\\') ++backslashes;
        if (backslashes % 2 == 0) return quote + 1;
        i = quote + 1;
    }
    return s_.size();
}

std::size_t json_scan::value_end(std::size_t i) const noexcept {
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
    while (i < s_.size() && !is_json_space(s_[i]) && s_[i] != ',' && s_[i] != '}' && s_[i] != ']') {
        ++i;
    }
    return i;
}

}  // namespace imgstore::detail
