#include "detail/text.hpp"

namespace imgstore::detail {

namespace {
constexpr std::string_view whitespace = " \t\n\r\f\v";
bool is_hex_digit(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char lower_char(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
}  // namespace

std::string_view trim(std::string_view s) noexcept {
    const std::size_t first = s.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(whitespace) - first + 1);
}

std::string_view strip_blanks(std::string_view s) noexcept {
    const std::size_t first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower_char(a[i]) != lower_char(b[i])) return false;
    }
    return true;
}

std::string_view strip_char(std::string_view s, char c) noexcept {
    while (!s.empty() && s.front() == c) s.remove_prefix(1);
    while (!s.empty() && s.back() == c) s.remove_suffix(1);
    return s;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size()) return false;
    return iequals(s.substr(0, prefix.size()), prefix);
}

void append_hex(std::string& out, std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        out += digits[u >> 4];
        out += digits[u & 15];
    }
}

std::string percent_encode(std::string_view s, std::string_view safe) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~' ||
                    safe.find(c) != std::string_view::npos;
        if (keep) {
            out += c;
        } else {
            auto u = static_cast<unsigned char>(c);
            out += '%';
            out += digits[u >> 4];
            out += digits[u & 15];
        }
    }
    return out;
}

bool decoded_equals(std::string_view encoded, std::string_view plain, bool plus_is_space) noexcept {
    std::size_t j = 0;
    for (std::size_t i = 0; i < encoded.size();) {
        if (j == plain.size() || decode_at(encoded, i, plus_is_space) != plain[j]) return false;
        ++j;
    }
    return j == plain.size();
}

namespace {
// The one decoding loop of both forms: a malformed escape fails it, or is kept when `lenient`.
std::optional<std::string> decode_percent(std::string_view s, bool plus_is_space, bool lenient) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == '%' &&
            (i + 2 >= s.size() || !is_hex_digit(s[i + 1]) || !is_hex_digit(s[i + 2]))) {
            if (!lenient) return std::nullopt;
            out += s[i++];
            continue;
        }
        out += decode_at(s, i, plus_is_space);
    }
    return out;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
    return decode_percent(s, plus_is_space, false);
}

std::string percent_decode_lenient(std::string_view s, bool plus_is_space) {
    return *decode_percent(s, plus_is_space, true);
}

std::optional<std::string_view> query_value(std::string_view query,
                                            std::string_view name) noexcept {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
        const std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos || eq + 1 == pair.size()) continue;
        if (decoded_equals(pair.substr(0, eq), name, true)) return pair.substr(eq + 1);
    }
    return std::nullopt;
}

bool is_uuid(std::string_view s) noexcept {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
        } else if (!is_hex_digit(s[i])) {
            return false;
        }
    }
    return true;
}

bool is_canonical_uuid(std::string_view s) noexcept {
    return is_uuid(s) && s.find_first_of("ABCDEF") == std::string_view::npos;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower_char(c);
    return out;
}

}  // namespace imgstore::detail
