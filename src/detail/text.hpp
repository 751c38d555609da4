// Small text helpers shared by the library: trimming, case, percent-encoding and -decoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imgstore::detail {

/// Strips ASCII whitespace (space, \t, \n, \r, \f, \v) on both sides, as Python's str.strip().
std::string_view trim(std::string_view s) noexcept;

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// The value of a hex digit; the caller has checked that `c` is one.
inline int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

/// Strips every leading and trailing `c` (Python's str.strip(c)).
std::string_view strip_char(std::string_view s, char c) noexcept;

/// True if `s` starts with `prefix`, ASCII case-insensitively.
bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept;

/// Percent-encodes every byte outside ALPHA / DIGIT / "-._~" and `safe` (Python's
/// urllib.parse.quote(s, safe=safe)).
std::string percent_encode(std::string_view s, std::string_view safe);

/// Decodes %XX escapes (Python's unquote for valid input); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s);

/// Lower-cases ASCII letters.
std::string ascii_lower(std::string_view s);

}  // namespace imgstore::detail
