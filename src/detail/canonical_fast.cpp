// The canonical form's fast path and canonicalize(), which tries it before the general code
// (canonical_url.cpp): bit masks of a URL's '/' bytes and of its "odd" bytes, built 16 bytes at
// a time with SSE2 (or, with IMGSTORE_DISABLE_SIMD or without SSE2, by the scalar fallbacks
// below), then a few mask operations and a visit to each odd byte.
#include <bit>
#include <cstring>
#include <optional>

#include "detail/canonical_url.hpp"
#include "detail/url_bytes.hpp"

namespace imgstore::detail {
#if defined(__SIZEOF_INT128__)
namespace {

using namespace url_bytes;

// The fast path: bit masks of the URL's '/' bytes and of its "odd" bytes (anything but lower
// case, digits, '-', '.' and '/': the bytes of nearly every host, id and path), built 16 bytes
// at a time; then the rules are checked with a few mask operations and a visit to each of the
// few odd bytes, and the boundaries come from the '/' mask. See canonical_fast().
__extension__ using mask128 = unsigned __int128;
constexpr std::size_t fast_limit = 127;  // longer URLs (rare) take the general code

inline std::size_t lowest_bit(mask128 m) {  // m != 0
    const auto lo = static_cast<std::uint64_t>(m);
    return lo != 0 ? static_cast<std::size_t>(std::countr_zero(lo))
                   : 64 + static_cast<std::size_t>(
                              std::countr_zero(static_cast<std::uint64_t>(m >> 64)));
}

#if defined(IMGSTORE_SSE2)
// The '/' and odd bits of p[0, 16). ['-', '9'] is "-./0123456789".
inline void block_bits(const char* p, std::uint64_t& slash, std::uint64_t& odd) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i common = _mm_or_si128(in_range(v, 'a', 'z'), in_range(v, '-', '9'));
    slash = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('/'))));
    odd = ~static_cast<std::uint32_t>(_mm_movemask_epi8(common)) & 0xFFFFu;
}
#else
inline void block_bits(const char* p, std::uint64_t& slash, std::uint64_t& odd) {
    slash = odd = 0;
    for (unsigned k = 0; k < 16; ++k) {
        const char c = p[k];
        slash |= std::uint64_t{c == '/'} << k;
        odd |= std::uint64_t{!((c >= 'a' && c <= 'z') || (c >= '-' && c <= '9'))} << k;
    }
}
#endif

struct url_masks {
    mask128 slash = 0, odd = 0;
};

// The offset of the first ':' in p[0, 16), or 16.
inline std::size_t first_colon(const char* p) {
#if defined(IMGSTORE_SSE2)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto colons =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
    return static_cast<std::size_t>(std::countr_zero(colons | 0x10000u));
#else
    const void* colon = std::memchr(p, ':', 16);
    return colon != nullptr ? static_cast<std::size_t>(static_cast<const char*>(colon) - p) : 16;
#endif
}

// False when the first bytes of a host prove it a name: one of its first 8 bytes is neither a
// digit nor a '.' (most names, and nearly all rbd fsids, which are UUIDs). `p` is readable for
// 8 bytes; `length` is the host's. Only when true need numeric_host_ok() look at it.
inline bool may_be_numeric(const char* p, std::size_t length) {
    if constexpr (std::endian::native != std::endian::little) return true;
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = ones * 0x80;
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    // (Host bytes are ASCII: no carry crosses a byte below.)
    const std::uint64_t not_digit = ((x ^ (ones * '0')) + ones * 0x76) & highs;
    const std::uint64_t y = x ^ (ones * '.');
    const std::uint64_t dot = ~(((y & ~highs) + ~highs) | y) & highs;
    const std::uint64_t within =
        length >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * length)) - 1;
    return (not_digit & ~dot & within) == 0;
}

// The masks of 64 bytes at p: four blocks, no loop.
inline void chunk_bits(const char* p, std::uint64_t& slash, std::uint64_t& odd) {
    std::uint64_t s[4], o[4];
    for (int k = 0; k < 4; ++k) block_bits(p + 16 * k, s[k], o[k]);
    slash = s[0] | s[1] << 16 | s[2] << 32 | s[3] << 48;
    odd = o[0] | o[1] << 16 | o[2] << 32 | o[3] << 48;
}

// The masks of the last `len` (1-63) bytes of a chunk ending at p + len; the URL has at least
// 16 bytes before p + len, so the last block is the URL's last 16 bytes, shifted.
inline void partial_bits(const char* p, std::size_t len, std::uint64_t& slash, std::uint64_t& odd) {
    slash = odd = 0;
    std::uint64_t s, o;
    std::size_t at = 0;
    for (; at + 16 <= len; at += 16) {
        block_bits(p + at, s, o);
        slash |= s << at;
        odd |= o << at;
    }
    if (at < len) {
        block_bits(p + len - 16, s, o);
        const std::size_t seen = at + 16 - len;
        slash |= (s >> seen) << at;
        odd |= (o >> seen) << at;
    }
}

// The masks of a URL of 16 to fast_limit bytes: 64-byte chunks (a 128-bit shift by a variable
// amount costs several instructions, the constant shifts of a chunk one each).
inline url_masks scan_masks(std::string_view url) {
    const char* p = url.data();
    const std::size_t n = url.size();
    std::uint64_t slash[2] = {}, odd[2] = {};
    if (n >= 64) {
        chunk_bits(p, slash[0], odd[0]);
        if (n > 64) partial_bits(p + 64, n - 64, slash[1], odd[1]);
    } else {
        partial_bits(p, n, slash[0], odd[0]);
    }
    return {slash[0] | mask128{slash[1]} << 64, odd[0] | mask128{odd[1]} << 64};
}

// Copies the 16 bytes at `in` to `out`, lowering the upper-case letters whose offsets, `base`
// being the first one's, fall in [a0, a1) or [b0, b1) (all offsets below 128).
inline void fold_case(const char* in,
                      char* out,
                      std::size_t a0,
                      std::size_t a1,
                      std::size_t b0 = 0,
                      std::size_t b1 = 0,
                      std::size_t base = 0) {
#if defined(IMGSTORE_SSE2)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
    const __m128i offsets =
        _mm_add_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                     _mm_set1_epi8(static_cast<char>(base)));
    const auto within = [&](std::size_t lo, std::size_t hi) {  // lo <= offset < hi
        if (lo >= hi) return _mm_setzero_si128();
        return in_range(offsets, static_cast<unsigned char>(lo),
                        static_cast<unsigned char>(hi - 1));
    };
    const __m128i fold =
        _mm_and_si128(in_range(v, 'A', 'Z'), _mm_or_si128(within(a0, a1), within(b0, b1)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                     _mm_add_epi8(v, _mm_and_si128(fold, _mm_set1_epi8(0x20))));
#else
    for (std::size_t k = 0; k < 16; ++k) {
        const std::size_t at = base + k;
        const bool inside = (at >= a0 && at < a1) || (at >= b0 && at < b1);
        out[k] = inside ? to_lower(in[k]) : in[k];
    }
#endif
}

// A "." or ".." segment between two boundaries of `key` (bits of `bounds`: its '/'s, then
// its end).
bool has_dot_segment(std::string_view key, mask128 bounds) {
    while (bounds != 0) {
        const std::size_t at = lowest_bit(bounds);
        bounds &= bounds - 1;
        if (bounds == 0) break;
        const std::string_view segment = key.substr(at + 1, lowest_bit(bounds) - at - 1);
        if (segment == "." || segment == "..") return true;
    }
    return false;
}

// The answer for a URL the fast path can decide: none when it is canonical, or becomes so by
// lower-casing its scheme and host and rewriting escapes in its path (`out` then holds its
// parts; the form is in `scratch` when it differs); dot_segment when that is its only flaw.
// nullopt sends it to the general code (userinfo, default ports, other rewrites, invalid
// input), which gives the same answers for all URLs. (Handling userinfo here too was tried:
// it made the common case 5-10% slower for 2% of the benchmark's URLs.)
std::optional<reason_code> canonical_fast(std::string_view url,
                                          std::string& scratch,
                                          canonical_url& out,
                                          std::size_t max_bytes,
                                          scheme_mask declared) {
    const std::size_t n = url.size();
    if (n > max_bytes || n > fast_limit || n < 16) return std::nullopt;
    const url_masks m = scan_masks(url);

    // The scheme: a known name before "://", in lower case or, once folded, in upper case (the
    // folding is written at the end). The offsets below are the URL's; the canonical form's
    // follow from them at the end.
    const std::size_t colon = first_colon(url.data());
    if (colon > max_scheme || url[colon + 1] != '/' || url[colon + 2] != '/') return std::nullopt;
    known_scheme scheme;
    bool fold_scheme = false;
    if (!lookup_scheme_at(url.data(), colon, scheme)) {
        char lowered[16];
        fold_case(url.data(), lowered, 0, colon);
        if (!lookup_scheme_at(lowered, colon, scheme)) return std::nullopt;
        fold_scheme = true;
    }
    if (!(declared & bit(scheme))) return std::nullopt;
    const scheme_family_id family = family_of(scheme);
    const family_row& rules = family_info(family);
    const std::size_t start = colon + 3;

    // Authority: lower case, digits, '-' and '.'; an opaque one may also hold ':' and upper
    // case (kept as written), a host one upper case (folded) and a ':' before its port.
    // (Masks by subtraction, not by variable 128-bit shifts, which cost several instructions.)
    const mask128 after_start = ~mask128{(std::uint64_t{1} << start) - 1};  // start < 16
    const mask128 slashes = m.slash & after_start;
    const std::size_t auth_end = slashes != 0 ? lowest_bit(slashes) : n;
    // Bits below the authority's end: those below the first '/' (all when there is none).
    const mask128 before_path = slashes != 0 ? (slashes - 1) & ~slashes : ~mask128{0};
    mask128 auth_odd = m.odd & after_start & before_path;
    std::size_t port = 0;  // offset of the port's ':', 0 when none
    bool fold_host = false;
    if (rules.authority == authority_kind::opaque) {
        for (; auth_odd != 0; auth_odd &= auth_odd - 1) {
            const char c = url[lowest_bit(auth_odd)];
            if (c != ':' && !is_upper(c)) return std::nullopt;
        }
    } else {
        for (; auth_odd != 0; auth_odd &= auth_odd - 1) {
            const std::size_t i = lowest_bit(auth_odd);
            if (url[i] != ':' || port != 0) {
                if (!is_upper(url[i]) || port != 0) return std::nullopt;
                fold_host = true;
            } else {
                port = i;
            }
        }
    }
    if (rules.authority == authority_kind::none) {
        if (auth_end != start) return std::nullopt;
    } else if (auth_end == start) {
        return std::nullopt;
    } else if (rules.authority != authority_kind::opaque) {
        const std::size_t host_end = port != 0 ? port : auth_end;
        const std::string_view host(url.data() + start, host_end - start);
        if (host.empty() || host.back() == '.') return std::nullopt;
        const bool check = start + 8 <= n ? may_be_numeric(host.data(), host.size())
                                          : host[0] == '.' || (host[0] >= '0' && host[0] <= '9');
        if (check && !numeric_host_ok(host)) return std::nullopt;
        if (port != 0) {
            // Kept as written: 1-65535 without leading zero, not the scheme's default.
            const std::string_view digits(url.data() + port + 1, auth_end - port - 1);
            if (digits.empty() || digits.size() > 5 || digits[0] == '0') return std::nullopt;
            std::uint32_t value = 0;
            for (char c : digits) {
                if (c < '0' || c > '9') return std::nullopt;
                value = value * 10 + static_cast<std::uint32_t>(c - '0');
            }
            if (value > 65535 || is_default_port(scheme, value)) return std::nullopt;
        }
    }

    // Path: its odd bytes are kept as written (pchar; no '@' in s3, swift or swift+config, where
    // it would end a userinfo) up to the first '?', but for escapes, rewritten below (never an
    // encoded separator where paths name files); then the query: http(s) and vsphere only,
    // non-empty, printable, no '#', every '%' with two hex digits.
    std::size_t q = n;
    mask128 before_query = ~mask128{0};
    mask128 odd = m.odd & ~before_path;
    std::size_t escapes = 0, first_escape = 0;  // escapes to rewrite, the first one's offset
    for (; odd != 0; odd &= odd - 1) {
        const std::size_t i = lowest_bit(odd);
        const char c = url[i];
        if (c == '?') {
            q = i;
            before_query = (odd & (~odd + 1)) - 1;  // odd's lowest bit is the '?'
            break;
        }
        if (c == '%') {
            if (i + 2 >= n || !(cls(url[i + 1]) & hex) || !(cls(url[i + 2]) & hex)) {
                return std::nullopt;
            }
            const char d = hex_byte(url[i + 1], url[i + 2]);
            if (rules.separator_sensitive && (d == '/' || d == '\\' || d == '\0')) {
                return std::nullopt;
            }
            // Only escapes not in canonical form make a rewrite (an unreserved byte, or a
            // lower-case hex digit): a canonical URL is never copied.
            if ((cls(d) & unreserved) || upper_hex(url[i + 1]) != url[i + 1] ||
                upper_hex(url[i + 2]) != url[i + 2]) {
                if (escapes++ == 0) first_escape = i;
            }
            odd &= ~(mask128{3} << (i + 1));  // its hex digits are not path bytes to check
            continue;
        }
        if (!(cls(c) & pchar) || (c == '@' && rules.userinfo_ends == userinfo_end::last_at))
            return std::nullopt;
    }
    if (q < n) {
        if (!rules.query_allowed || q + 1 == n) {
            return std::nullopt;
        }
        for (odd &= odd - 1; odd != 0; odd &= odd - 1) {
            const std::size_t j = lowest_bit(odd);
            const char c = url[j];
            if (c < 0x21 || c > 0x7E || c == '#') return std::nullopt;
            if (c == '%' && (j + 2 >= n || !(cls(url[j + 1]) & hex) || !(cls(url[j + 2]) & hex))) {
                return std::nullopt;
            }
        }
    }

    // Segments: none empty (a '/' followed by '/' or by the end of the path), none "." or "..".
    // Their '/'s and the end are the key's boundaries (a URL of fast_limit bytes has a key of
    // at most max_bits_key); a segment starting with '.' is looked at once all are known.
    const mask128 path = slashes & before_query;
    if ((path & (path >> 1)) != 0 || url[q - 1] == '/') return std::nullopt;
    bool dot = false;
    for (std::size_t half = 0; half < 2; ++half) {
        for (auto bits = static_cast<std::uint64_t>(path >> (64 * half)); bits != 0;
             bits &= bits - 1) {
            const std::size_t at = 64 * half + static_cast<std::size_t>(std::countr_zero(bits));
            dot |= url[at + 1] == '.';  // (at + 1 < q: no empty segment)
        }
    }
    // Shifted in 64-bit halves (q <= n <= fast_limit, 0 < start < 16): shifts of an __int128
    // by a variable amount cost about three times the instructions.
    std::uint64_t lo = static_cast<std::uint64_t>(path),
                  hi = static_cast<std::uint64_t>(path >> 64);
    (q < 64 ? lo : hi) |= std::uint64_t{1} << (q % 64);
    lo = lo >> start | hi << (64 - start);
    hi >>= start;
    mask128 bounds = mask128{hi} << 64 | lo;
    if (dot && has_dot_segment(url.substr(start, q - start), bounds)) {
        // Everything before the path and every byte after it is valid and no segment is
        // empty: the general code's first complaint would be this one.
        return reason_code::dot_segment;
    }

    out.canonical = url;
    out.rewritten = fold_scheme || fold_host || escapes != 0;
    if (out.rewritten) {
        // The URL with its scheme and host in lower case: 16 bytes at a time, the last block
        // overlapping the one before (lowering a byte twice changes nothing).
        const std::size_t host_end = fold_host ? (port != 0 ? port : auth_end) : start;
        scratch.resize(n);
        for (std::size_t at = 0; at < n; at += 16) {
            const std::size_t block = at + 16 <= n ? at : n - 16;
            fold_case(url.data() + block, scratch.data() + block, 0, colon, start, host_end, block);
        }
        if (escapes != 0) {
            // Escapes of unreserved bytes decoded, the others with upper-case hex digits: the
            // form gets shorter, so the path's '/'s after the first escape move, and a decoded
            // "%2e" may make a dot segment.
            bounds &= (mask128{1} << (first_escape - start)) - 1;  // those before it stay
            char* o = scratch.data();
            std::size_t w = first_escape;
            for (std::size_t r = first_escape; r < n;) {
                if (r < q && o[r] == '%') {
                    const char d = hex_byte(o[r + 1], o[r + 2]);
                    if (cls(d) & unreserved) {
                        o[w++] = d;
                    } else {
                        const char h1 = upper_hex(o[r + 1]), h2 = upper_hex(o[r + 2]);
                        o[w++] = '%';
                        o[w++] = h1;
                        o[w++] = h2;
                    }
                    r += 3;
                    continue;
                }
                if (r < q && o[r] == '/') bounds |= mask128{1} << (w - start);
                o[w++] = o[r++];
            }
            q -= n - w;
            scratch.resize(w);
            bounds |= mask128{1} << (q - start);
            if (has_dot_segment(std::string_view(scratch).substr(start, q - start), bounds)) {
                return reason_code::dot_segment;
            }
        }
        out.canonical = scratch;
    }
    out.scheme = scheme;
    out.family = family;
    out.tail = start;
    out.path = auth_end;
    out.path_end = q;
    out.query = q + 1 < out.canonical.size() ? out.canonical.substr(q + 1) : std::string_view();
    out.userinfo = {};
    out.has_credentials = false;
    out.trailing_slash = false;
    out.boundary_bits[0] = static_cast<std::uint64_t>(bounds);
    out.boundary_bits[1] = static_cast<std::uint64_t>(bounds >> 64);
    return reason_code::none;
}
}  // namespace
#else
namespace {
// Without 128-bit integers every URL takes the general code (same answers, slower).
std::optional<reason_code> canonical_fast(
    std::string_view, std::string&, canonical_url&, std::size_t, scheme_mask) {
    return std::nullopt;
}
}  // namespace
#endif

// In the fast path's file, so that the fast path (its only caller) is inlined here: called
// through another file it cost about 5% of a resolve (doc/benchmarks.md, issue 16).
reason_code canonicalize(std::string_view url,
                         std::string& scratch,
                         canonical_url& out,
                         std::size_t max_bytes,
                         scheme_mask declared) {
    if (const auto answer = canonical_fast(url, scratch, out, max_bytes, declared)) return *answer;
    return canonicalize_general(url, scratch, out, max_bytes, declared);
}

}  // namespace imgstore::detail
