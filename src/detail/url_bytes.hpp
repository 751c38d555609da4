// The bytes of URLs as the canonical form sees them (RFC 3986 classes, one table lookup per
// byte) and the helpers both canonicalisers share: the general code (canonical_url.cpp) and the
// fast path (canonical_fast.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "detail/text.hpp"

// The SSE2 code paths; IMGSTORE_DISABLE_SIMD (a CMake option) builds the scalar fallbacks,
// which CI tests too (ctest canonical_scalar_test).
#if defined(__SSE2__) && !defined(IMGSTORE_DISABLE_SIMD)
#define IMGSTORE_SSE2 1
#include <emmintrin.h>
#endif

namespace imgstore::detail::url_bytes {

// Character classes of RFC 3986, as a table: one lookup per byte on the hot path.
enum : std::uint8_t {
    unreserved = 1,
    sub_delim = 2,
    hex = 4,
    scheme_char = 8,
    upper = 16,
    pchar = 32,  // a path character that stays as written: unreserved, sub-delims, ':', '@'
};

constexpr std::array<std::uint8_t, 256> make_classes() {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        std::uint8_t v = 0;
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool digit = c >= '0' && c <= '9';
        if (alpha || digit || c == '-' || c == '.' || c == '_' || c == '~') v |= unreserved;
        if (c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
            c == '+' || c == ',' || c == ';' || c == '=') {
            v |= sub_delim;
        }
        if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= hex;
        if (alpha || digit || c == '+' || c == '-' || c == '.') v |= scheme_char;
        if (c >= 'A' && c <= 'Z') v |= upper;
        if ((v & (unreserved | sub_delim)) || c == ':' || c == '@') v |= pchar;
        t[static_cast<std::size_t>(c)] = v;
    }
    return t;
}
inline constexpr auto classes = make_classes();

inline std::uint8_t cls(char c) { return classes[static_cast<unsigned char>(c)]; }
inline char to_lower(char c) { return (cls(c) & upper) ? static_cast<char>(c - 'A' + 'a') : c; }
inline constexpr char hex_upper[] = "0123456789ABCDEF";

#if defined(IMGSTORE_SSE2)
// Bytes of v in [lo, hi]: 0xFF each.
inline __m128i in_range(__m128i v, unsigned char lo, unsigned char hi) {
    // Shifts [lo, hi] to [-128, -128 + hi - lo]: one signed compare tests the range.
    const __m128i t = _mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(0x80 - lo)));
    return _mm_cmplt_epi8(t, _mm_set1_epi8(static_cast<char>(-128 + (hi - lo + 1))));
}
#endif

inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

/// A hex digit in upper case.
inline char upper_hex(char h) {
    return h >= 'a' && h <= 'f' ? static_cast<char>(h - 'a' + 'A') : h;
}

/// A dotted-decimal host must be a real dotted quad; other all-numeric dotted forms (127.1,
/// 0x7f.1, 010.0.0.1) are read as IPv4 by some clients and as names by others: false for them.
bool numeric_host_ok(std::string_view host);

}  // namespace imgstore::detail::url_bytes
