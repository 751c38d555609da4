// UTF-8 as the library, the tool and the service check, decode and print it (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), and text made safe for a terminal.
// One implementation of each: the config reader, the Glance database layer, the tool and the
// service all call these.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace imgstore::detail {

/// The length of the well-formed UTF-8 sequence starting at `s[i]` (1 for ASCII), or 0 when
/// there is none (a stray continuation byte, an overlong form, a surrogate, a code point above
/// U+10FFFF, a sequence cut short). `i < s.size()`. O(1).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;

/// The offset of the first byte that does not start a well-formed sequence, or npos when all
/// of `s` is well-formed UTF-8. O(n).
std::size_t invalid_utf8_at(std::string_view s) noexcept;

/// Whether `s` is well-formed UTF-8 throughout. O(n).
inline bool is_valid_utf8(std::string_view s) noexcept {
    return invalid_utf8_at(s) == std::string_view::npos;
}

/// Decodes the code point at `s[i]` and advances `i` past it; nullopt (and `i` unchanged) when
/// no well-formed sequence starts there. `i < s.size()`.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) noexcept;

/// Appends `cp` (at most U+10FFFF) encoded as UTF-8. A surrogate is encoded as its three bytes,
/// as Python's surrogatepass does; callers that must not write one replace it first.
void append_utf8(std::string& out, char32_t cp);

/// `s` safe to print on one line of a terminal or a log: '\\' doubled, \n \r \t written so,
/// every other control byte (C0, DEL and the C1 code points U+0080-U+009F) and every byte that
/// is not part of well-formed UTF-8 written as \xHH (lower-case hex). Other UTF-8 is kept. The
/// result never holds a control byte, so it cannot forge a line or start an escape sequence,
/// and distinct inputs give distinct results. O(n).
std::string escape_text(std::string_view s);

/// How many characters of a value from the config a message quotes (a store id, a type, a
/// path, a reference name): a value can be megabytes long, a message must stay one short line.
inline constexpr std::size_t max_quoted_chars = 64;

/// The first `max_chars` characters of `s`, followed by "..." when something was left out: a
/// value bounded for quoting in a message. A character is a well-formed UTF-8 sequence or a
/// single byte that is not part of one, so no sequence is cut in half. Control bytes are kept:
/// whatever prints the message escapes it whole (`to_string(const diagnostic&)` with
/// escape_text), so a value is never escaped twice. O(max_chars).
std::string cut_text(std::string_view s, std::size_t max_chars = max_quoted_chars);

}  // namespace imgstore::detail
