// Small text helpers shared by the library, the tool and the service: trimming, case,
// percent-encoding and -decoding, UUIDs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace imgstore::detail {

/// Strips ASCII whitespace (space, \t, \n, \r, \f, \v) on both sides, as Python's str.strip().
std::string_view trim(std::string_view s) noexcept;

/// Strips spaces and tabs on both sides (the blanks of an INI line or a TSV field; a '\r' or
/// other control byte is kept).
std::string_view strip_blanks(std::string_view s) noexcept;

/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// The value of a hex digit; the caller has checked that `c` is one.
inline int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

/// The byte a percent-escape's two hex digits stand for (both checked by the caller). The one
/// percent-decoding step: every decoder below, and the canonical form's, is built on it.
inline char hex_byte(char h1, char h2) noexcept {
    return static_cast<char>(hex_value(h1) * 16 + hex_value(h2));
}

/// Reads one byte of percent-encoded text at `s[i]` and advances `i` past it. `s` is known to
/// be well-formed (every '%' is followed by two hex digits, as the canonical form checks);
/// `plus_is_space` reads '+' as a space, as Python's parse_qs does in queries.
inline char decode_at(std::string_view s, std::size_t& i, bool plus_is_space) noexcept {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
        i += 3;
        return hex_byte(s[i - 2], s[i - 1]);
    }
    ++i;
    return plus_is_space && c == '+' ? ' ' : c;
}

/// `encoded` (well-formed, see decode_at), percent-decoded, equals `plain`. No allocation;
/// O(size).
bool decoded_equals(std::string_view encoded, std::string_view plain, bool plus_is_space) noexcept;

/// Strips every leading and trailing `c` (Python's str.strip(c)).
std::string_view strip_char(std::string_view s, char c) noexcept;

/// True if `s` starts with `prefix`, ASCII case-insensitively.
bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept;

/// Appends each byte of `bytes` as two lower-case hex digits (a digest, a \xHH escape). O(size).
void append_hex(std::string& out, std::string_view bytes);

/// Percent-encodes every byte outside ALPHA / DIGIT / "-._~" and `safe` (Python's
/// urllib.parse.quote(s, safe=safe)).
std::string percent_encode(std::string_view s, std::string_view safe);

/// Decodes %XX escapes (Python's unquote for valid input); nullopt on a malformed escape.
/// `plus_is_space` reads '+' as a space (Python's unquote_plus, as parse_qs decodes).
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

/// Python's urllib.parse.unquote (unquote_plus with `plus_is_space`) as SQLAlchemy applies it to
/// a database URL: every valid %XX decoded, a '%' without two hex digits after it kept as
/// written. Never fails; the bytes are not checked for UTF-8. O(size).
std::string percent_decode_lenient(std::string_view s, bool plus_is_space = false);

/// The value of the first `name=value` pair of a query whose value is not blank, still encoded,
/// as Python's parse_qs(query)[name][0] picks it: pairs split on '&', the name compared
/// decoded ('+' a space), pairs without '=' or with an empty value skipped. nullopt when none.
/// `query` is well-formed (see decode_at). O(size).
std::optional<std::string_view> query_value(std::string_view query, std::string_view name) noexcept;

/// True if `s` is a UUID in 8-4-4-4-12 hex form, any case.
bool is_uuid(std::string_view s) noexcept;

/// upstream's is_uuid_like: str(uuid.UUID(s)) == s, i.e. the 8-4-4-4-12 form in lower case only.
bool is_canonical_uuid(std::string_view s) noexcept;

/// Lower-cases ASCII letters.
std::string ascii_lower(std::string_view s);

}  // namespace imgstore::detail
