#include "detail/utf8.hpp"

#include <algorithm>

#include "detail/text.hpp"

namespace imgstore::detail {

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) {
        return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
    };
    const unsigned b0 = byte(0);
    if (b0 < 0x80) return 1;
    const auto cont = [&](std::size_t k) { return (byte(k) & 0xC0u) == 0x80u; };
    // The second byte's range per lead byte (table 3-7 of the Unicode standard) rules out the
    // overlong forms (E0, F0), the surrogates (ED) and what lies above U+10FFFF (F4).
    if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        const unsigned b1 = byte(1);
        const bool ok = b0 == 0xE0   ? (b1 >= 0xA0 && b1 <= 0xBF)
                        : b0 == 0xED ? (b1 >= 0x80 && b1 <= 0x9F)
                                     : cont(1);
        return ok && cont(2) ? 3 : 0;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        const unsigned b1 = byte(1);
        const bool ok = b0 == 0xF0   ? (b1 >= 0x90 && b1 <= 0xBF)
                        : b0 == 0xF4 ? (b1 >= 0x80 && b1 <= 0x8F)
                                     : cont(1);
        return ok && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

std::size_t invalid_utf8_at(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) return i;
        i += n;
    }
    return std::string_view::npos;
}

std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) noexcept {
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return std::nullopt;
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    // The lead byte keeps 7, 5, 4 or 3 bits; each continuation byte adds 6.
    char32_t cp = byte(0) & (n == 1 ? 0x7Fu : 0x7Fu >> n);
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (byte(k) & 0x3Fu);
    i += n;
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
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

std::string escape_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    const auto hex = [&out](std::string_view bytes) {  // \xHH each
        for (std::size_t k = 0; k < bytes.size(); ++k) {
            out += "\\x";
            append_hex(out, bytes.substr(k, 1));
        }
    };
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = utf8_sequence_length(s, i);
        // C1 controls (U+0080..U+009F, C2 80..C2 9F) start escape sequences on some terminals.
        const bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
        if (n > 1 && !c1) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        if (c1) {
            hex(s.substr(i, 2));
            i += 2;
            continue;
        }
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c >= 0x7F) {
                    hex(s.substr(i, 1));
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    return out;
}

std::string cut_text(std::string_view s, std::size_t max_chars) {
    std::size_t end = 0;
    for (std::size_t n = 0; end < s.size() && n < max_chars; ++n) {
        end += std::max<std::size_t>(utf8_sequence_length(s, end), 1);
    }
    std::string out(s.substr(0, end));
    if (end < s.size()) out += "...";
    return out;
}

}  // namespace imgstore::detail
