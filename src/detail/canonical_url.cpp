#include "detail/canonical_url.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <boost/url/grammar/parse.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/rfc/ipv6_address_rule.hpp>
#include <cstring>
#include <optional>

#include "detail/text.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace imgstore::detail {
namespace {

constexpr std::array<std::string_view, known_scheme_count> names{
    "file",     "filesystem", "http",       "https",       "rbd",          "s3",     "s3+http",
    "s3+https", "swift",      "swift+http", "swift+https", "swift+config", "cinder", "vsphere"};

constexpr std::array<scheme_family_id, known_scheme_count> families{
    scheme_family_id::file,   scheme_family_id::file,   scheme_family_id::http,
    scheme_family_id::http,   scheme_family_id::rbd,    scheme_family_id::s3,
    scheme_family_id::s3,     scheme_family_id::s3,     scheme_family_id::swift,
    scheme_family_id::swift,  scheme_family_id::swift,  scheme_family_id::swift_config,
    scheme_family_id::cinder, scheme_family_id::vsphere};

constexpr std::array<std::string_view, 8> family_names{
    "file", "http", "rbd", "s3", "swift", "swift+config", "cinder", "vsphere"};

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
constexpr auto classes = make_classes();

inline std::uint8_t cls(char c) { return classes[static_cast<unsigned char>(c)]; }
inline char to_lower(char c) { return (cls(c) & upper) ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char hex_upper[] = "0123456789ABCDEF";

#if defined(__SSE2__)
// Bytes of v in [lo, hi]: 0xFF each.
inline __m128i in_range(__m128i v, unsigned char lo, unsigned char hi) {
    // Shifts [lo, hi] to [-128, -128 + hi - lo]: one signed compare tests the range.
    const __m128i t = _mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(0x80 - lo)));
    return _mm_cmplt_epi8(t, _mm_set1_epi8(static_cast<char>(-128 + (hi - lo + 1))));
}
#endif

// The first of s[from, end) that is a, b or c, or s.size(): 16 bytes at a time
// (std::string_view::find_first_of calls memchr on the set once per byte).
inline std::size_t find_any(std::string_view s, std::size_t from, char a, char b, char c) {
    std::size_t i = from;
#if defined(__SSE2__)
    for (; i + 16 <= s.size(); i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        const __m128i hit = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(a)), _mm_cmpeq_epi8(v, _mm_set1_epi8(b))),
            _mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
        if (const auto bits = static_cast<unsigned>(_mm_movemask_epi8(hit)); bits != 0) {
            return i + static_cast<std::size_t>(std::countr_zero(bits));
        }
    }
#endif
    for (; i < s.size(); ++i) {
        if (s[i] == a || s[i] == b || s[i] == c) return i;
    }
    return s.size();
}
inline std::size_t find_query_or_fragment(std::string_view s, std::size_t from) {
    return find_any(s, from, '?', '#', '#');
}
inline std::size_t find_authority_end(std::string_view s, std::size_t from) {
    return find_any(s, from, '/', '?', '#');
}

// The first of s[from, end) that is not a pchar (kept as written in a path), or s.size():
// only the bytes outside lower case, digits, '-' and '.' are looked up, 16 bytes at a time.
inline std::size_t skip_pchar(std::string_view s, std::size_t from) {
    std::size_t i = from;
#if defined(__SSE2__)
    for (; i + 16 <= s.size(); i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        const __m128i common = _mm_or_si128(
            _mm_or_si128(in_range(v, 'a', 'z'), in_range(v, '0', '9')), in_range(v, '-', '.'));
        for (auto bits = ~static_cast<unsigned>(_mm_movemask_epi8(common)) & 0xFFFFu; bits != 0;
             bits &= bits - 1) {
            const std::size_t at = i + static_cast<std::size_t>(std::countr_zero(bits));
            if (!(cls(s[at]) & pchar)) return at;
        }
    }
#endif
    for (; i < s.size(); ++i) {
        if (!(cls(s[i]) & pchar)) return i;
    }
    return s.size();
}

// Writes the canonical form lazily: while the output equals the input nothing is copied; the
// first rewrite copies the clean prefix into the scratch buffer and output continues there.
class lazy_writer {
  public:
    lazy_writer(std::string_view in, std::string& buf) : in_(in), buf_(buf) {}

    void keep_to(std::size_t to) {
        if (dirty_) buf_.append(in_.data() + pos_, to - pos_);
        pos_ = to;
    }
    void replace_to(std::size_t to, std::string_view with) {
        if (!dirty_) {
            dirty_ = true;
            buf_.assign(in_.data(), pos_);
        }
        buf_.append(with);
        pos_ = to;
    }
    std::size_t size() const { return dirty_ ? buf_.size() : pos_; }
    std::string_view view(std::size_t from, std::size_t to) const {
        return (dirty_ ? std::string_view(buf_) : in_).substr(from, to - from);
    }
    std::string_view result() const {
        return dirty_ ? std::string_view(buf_) : in_.substr(0, pos_);
    }
    bool dirty() const { return dirty_; }

  private:
    std::string_view in_;
    std::string& buf_;
    std::size_t pos_ = 0;
    bool dirty_ = false;
};

// The port each scheme connects to when none is written, as upstream's drivers connect: `s3`
// is plain http (boto3 gets an http:// endpoint), `swift` is https (swift_url prefixes
// https:// unless the scheme says http). vsphere has none we can be sure of.
bool default_port(known_scheme s, std::uint32_t port) {
    switch (s) {
        case known_scheme::http:
        case known_scheme::s3:
        case known_scheme::s3_http:
        case known_scheme::swift_http:
            return port == 80;
        case known_scheme::https:
        case known_scheme::s3_https:
        case known_scheme::swift:
        case known_scheme::swift_https:
            return port == 443;
        default:
            return false;
    }
}

// Families whose userinfo runs to the last '@' before the query or fragment: upstream writes
// s3 and swift keys with a raw '/' (and '@', ':'). swift+config URLs carry no credentials, but
// a swift key pasted into one must be refused whole, not read as a reference and a path.
bool userinfo_to_last_at(scheme_family_id f) {
    return f == scheme_family_id::s3 || f == scheme_family_id::swift ||
           f == scheme_family_id::swift_config;
}

// Families whose URLs may carry a userinfo at all: upstream reads one on file, rbd, cinder,
// vsphere and swift+config URLs as part of the path, fsid or reference, so no store holds
// such a location.
bool userinfo_allowed(scheme_family_id f) {
    return f == scheme_family_id::s3 || f == scheme_family_id::swift || f == scheme_family_id::http;
}

// Families whose paths name files or volumes: an encoded separator there is a traversal risk.
bool separator_sensitive(scheme_family_id f) {
    return f == scheme_family_id::file || f == scheme_family_id::rbd ||
           f == scheme_family_id::cinder || f == scheme_family_id::vsphere;
}

bool opaque_authority(scheme_family_id f) {
    return f == scheme_family_id::cinder || f == scheme_family_id::swift_config;
}

// A dotted-decimal host must be a real dotted quad; other all-numeric dotted forms (127.1,
// 0x7f.1, 010.0.0.1) are read as IPv4 by some clients and as names by others: refuse them.
bool numeric_host_ok(std::string_view host) {
    bool has_dot = false;
    for (char c : host) {
        if (c == '.') {
            has_dot = true;
        } else if (c < '0' || c > '9') {
            return true;  // a name
        }
    }
    if (!has_dot) return true;  // all digits: an ordinary name, never converted
    int parts = 0;
    std::size_t i = 0;
    while (i <= host.size()) {
        std::size_t dot = host.find('.', i);
        if (dot == std::string_view::npos) dot = host.size();
        std::string_view part = host.substr(i, dot - i);
        if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
        int v = 0;
        for (char c : part) v = v * 10 + (c - '0');
        if (v > 255) return false;
        ++parts;
        i = dot + 1;
    }
    return parts == 4;
}

reason_code host_and_port(
    std::string_view url, std::size_t begin, std::size_t end, known_scheme scheme, lazy_writer& w) {
    std::string_view hp = url.substr(begin, end - begin);
    if (hp.empty()) return reason_code::bad_host;
    std::size_t host_end;  // offset in hp after the host
    if (hp[0] == '[') {
        std::size_t close = hp.find(']');
        if (close == std::string_view::npos) return reason_code::bad_host;
        std::string_view literal = hp.substr(1, close - 1);
        if (literal.find('%') != std::string_view::npos) return reason_code::bad_host;  // zone id
        auto parsed = boost::urls::grammar::parse(literal, boost::urls::ipv6_address_rule);
        if (!parsed) return reason_code::bad_host;
        char text[boost::urls::ipv6_address::max_str_len + 2];
        text[0] = '[';
        auto printed = parsed->to_buffer(text + 1, boost::urls::ipv6_address::max_str_len);
        std::size_t n = printed.size() + 1;
        text[n++] = ']';
        std::string_view canon(text, n);
        if (canon != hp.substr(0, close + 1)) {
            w.replace_to(begin + close + 1, canon);
        } else {
            w.keep_to(begin + close + 1);
        }
        host_end = close + 1;
        if (host_end < hp.size() && hp[host_end] != ':') return reason_code::bad_host;
    } else {
        std::size_t colon = hp.rfind(':');
        host_end = colon == std::string_view::npos ? hp.size() : colon;
        std::string_view host = hp.substr(0, host_end);
        if (host.empty() || host.back() == '.') return reason_code::bad_host;
        bool has_upper = false;
        for (char c : host) {
            std::uint8_t k = cls(c);
            if (!(k & (unreserved | sub_delim))) return reason_code::bad_host;
            has_upper |= (k & upper) != 0;
        }
        if (!numeric_host_ok(host)) return reason_code::bad_host;
        if (has_upper) {
            char lowered[256];
            if (host.size() > sizeof lowered) return reason_code::bad_host;  // DNS: <= 253
            for (std::size_t i = 0; i < host.size(); ++i) lowered[i] = to_lower(host[i]);
            w.replace_to(begin + host_end, std::string_view(lowered, host.size()));
        } else {
            w.keep_to(begin + host_end);
        }
    }
    if (host_end == hp.size()) return reason_code::none;
    // ":" port
    std::string_view digits = hp.substr(host_end + 1);
    if (digits.empty()) {
        w.replace_to(end, "");  // an empty port means none
        return reason_code::none;
    }
    std::uint32_t port = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return reason_code::bad_port;
        port = port * 10 + static_cast<std::uint32_t>(c - '0');
        if (port > 65535) return reason_code::bad_port;
    }
    if (port == 0) return reason_code::bad_port;
    if (default_port(scheme, port)) {
        w.replace_to(end, "");
    } else if (digits[0] == '0') {
        char text[8];
        int n = 0;
        char rev[8];
        for (std::uint32_t p = port; p; p /= 10) rev[n++] = static_cast<char>('0' + p % 10);
        text[0] = ':';
        for (int i = 0; i < n; ++i) text[i + 1] = rev[n - 1 - i];
        w.replace_to(end, std::string_view(text, static_cast<std::size_t>(n + 1)));
    } else {
        w.keep_to(end);
    }
    return reason_code::none;
}

// The path from `begin` (a '/', or the end of the path) up to '?', '#' or the end of `url`,
// where `end` is left.
// The byte an escape's two hex digits stand for, and a hex digit in upper case.
inline char decoded(char h1, char h2) {
    return static_cast<char>(hex_value(h1) * 16 + hex_value(h2));
}
inline char upper_hex(char h) {
    return h >= 'a' && h <= 'f' ? static_cast<char>(h - 'a' + 'A') : h;
}

// Records a boundary at `offset` of the key (dropped at the end if the key is too long).
inline void add_boundary(canonical_url& out, std::size_t offset) {
    if (offset < 128) out.boundary_bits[offset / 64] |= std::uint64_t{1} << (offset % 64);
}

// Records each '/' written as a boundary and sets out.trailing_slash.
reason_code path_segments(
    std::string_view url, std::size_t begin, std::size_t& end, canonical_url& out, lazy_writer& w) {
    const bool sensitive = separator_sensitive(out.family);
    const std::size_t n = url.size();
    std::size_t i = begin;
    while (i < n && url[i] == '/') {
        add_boundary(out, w.size() - out.tail);
        w.keep_to(i + 1);
        std::size_t seg = i + 1;
        std::size_t out_seg = w.size();
        std::size_t j = seg;
        for (; (j = skip_pchar(url, j)) < n; ++j) {  // pchars are kept as written
            char c = url[j];
            if (c == '/' || c == '?' || c == '#') break;
            if (c == '%') {
                const char d = decoded(url[j + 1], url[j + 2]);
                if (cls(d) & unreserved) {
                    w.keep_to(j);
                    w.replace_to(j + 3, std::string_view(&d, 1));
                } else {
                    if (sensitive && (d == '/' || d == '\\' || d == '\0')) {
                        return reason_code::encoded_separator;
                    }
                    const char up[3] = {'%', upper_hex(url[j + 1]), upper_hex(url[j + 2])};
                    if (up[1] != url[j + 1] || up[2] != url[j + 2]) {
                        w.keep_to(j);
                        w.replace_to(j + 3, std::string_view(up, 3));
                    }
                }
                j += 2;
                continue;
            }
            if (sensitive && c == '\\') return reason_code::encoded_separator;
            char enc[3] = {'%', hex_upper[static_cast<unsigned char>(c) >> 4],
                           hex_upper[static_cast<unsigned char>(c) & 15]};
            w.keep_to(j);
            w.replace_to(j + 1, std::string_view(enc, 3));
        }
        w.keep_to(j);
        std::string_view segment = w.view(out_seg, w.size());
        if (segment.empty()) {
            if (j == n || url[j] != '/') {
                out.trailing_slash = true;
            } else {
                return reason_code::empty_segment;
            }
        }
        if (segment == "." || segment == "..") return reason_code::dot_segment;
        i = j;
    }
    end = i;
    return reason_code::none;
}

// Scheme lookup without comparing names one by one: the scheme's first 16 bytes as two
// little-endian words (zero past its end) pick one of 32 slots by a multiplicative hash with
// a multiplier found at compile time to give the 14 names distinct slots; one comparison
// confirms. Names are at most 12 bytes.
constexpr std::size_t max_scheme = 12;

struct scheme_words {
    std::uint64_t w0 = 0, w1 = 0;
};

constexpr scheme_words words_of(std::string_view s) {
    scheme_words w;
    for (std::size_t i = 0; i < s.size() && i < 16; ++i) {
        const auto b = static_cast<std::uint64_t>(static_cast<unsigned char>(s[i]));
        (i < 8 ? w.w0 : w.w1) |= b << (8 * (i % 8));
    }
    return w;
}

constexpr std::size_t scheme_slot_of(scheme_words w, std::uint64_t multiplier) {
    return static_cast<std::size_t>(((w.w0 ^ (w.w1 * 0x9E3779B97F4A7C15ull)) * multiplier) >> 59);
}

constexpr std::uint64_t find_scheme_multiplier() {
    for (std::uint64_t k = 1;; ++k) {
        const std::uint64_t multiplier = (k * 0xBF58476D1CE4E5B9ull) | 1;
        std::uint32_t taken = 0;
        bool distinct = true;
        for (std::string_view name : names) {
            const std::uint32_t bit = 1u << scheme_slot_of(words_of(name), multiplier);
            distinct = distinct && !(taken & bit);
            taken |= bit;
        }
        if (distinct) return multiplier;
    }
}
constexpr std::uint64_t scheme_multiplier = find_scheme_multiplier();

struct scheme_entry {
    scheme_words words;
    std::uint8_t length = 0;  // 0: no scheme in this slot
    known_scheme scheme = known_scheme::file;
};

constexpr std::array<scheme_entry, 32> make_scheme_table() {
    std::array<scheme_entry, 32> t{};
    for (std::size_t i = 0; i < names.size(); ++i) {
        const scheme_words w = words_of(names[i]);
        t[scheme_slot_of(w, scheme_multiplier)] = {w, static_cast<std::uint8_t>(names[i].size()),
                                                   static_cast<known_scheme>(i)};
    }
    return t;
}
constexpr auto scheme_table = make_scheme_table();

// `p[0, length)` (length <= max_scheme; p readable for 16 bytes) is a known lower-case scheme.
inline bool lookup_scheme_at(const char* p, std::size_t length, known_scheme& out) noexcept {
    if (length == 0 || length > max_scheme) return false;
    scheme_words w;
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(&w.w0, p, 8);
        std::memcpy(&w.w1, p + 8, 8);
        // Keep the first `length` bytes.
        w.w0 &= length >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * length)) - 1;
        w.w1 &= length > 8 ? (std::uint64_t{1} << (8 * (length - 8))) - 1 : 0;
    } else {
        w = words_of({p, length});
    }
    const scheme_entry& e = scheme_table[scheme_slot_of(w, scheme_multiplier)];
    if (e.length != length || e.words.w0 != w.w0 || e.words.w1 != w.w1) return false;
    out = e.scheme;
    return true;
}

inline bool lookup_scheme(std::string_view lower_scheme, known_scheme& out) noexcept {
    if (lower_scheme.empty() || lower_scheme.size() > max_scheme) return false;
    char padded[16] = {};
    std::memcpy(padded, lower_scheme.data(), lower_scheme.size());
    return lookup_scheme_at(padded, lower_scheme.size(), out);
}

// The fast path: bit masks of the URL's '/' bytes and of its "odd" bytes (anything but lower
// case, digits, '-', '.' and '/': the bytes of nearly every host, id and path), built 16 bytes
// at a time; then the rules are checked with a few mask operations and a visit to each of the
// few odd bytes, and the boundaries come from the '/' mask. See canonical_fast().
#if defined(__SIZEOF_INT128__)
__extension__ using mask128 = unsigned __int128;
constexpr std::size_t fast_limit = 127;  // longer URLs (rare) take the general code

inline std::size_t lowest_bit(mask128 m) {  // m != 0
    const auto lo = static_cast<std::uint64_t>(m);
    return lo != 0 ? static_cast<std::size_t>(std::countr_zero(lo))
                   : 64 + static_cast<std::size_t>(
                              std::countr_zero(static_cast<std::uint64_t>(m >> 64)));
}

#if defined(__SSE2__)
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
#if defined(__SSE2__)
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

inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// Copies the 16 bytes at `in` to `out`, lowering the upper-case letters whose offsets, `base`
// being the first one's, fall in [a0, a1) or [b0, b1) (all offsets below 128).
inline void fold_case(const char* in,
                      char* out,
                      std::size_t a0,
                      std::size_t a1,
                      std::size_t b0 = 0,
                      std::size_t b1 = 0,
                      std::size_t base = 0) {
#if defined(__SSE2__)
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
    const scheme_family_id family = families[static_cast<std::size_t>(scheme)];
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
    if (opaque_authority(family)) {
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
    if (family == scheme_family_id::file) {
        if (auth_end != start) return std::nullopt;
    } else if (auth_end == start) {
        return std::nullopt;
    } else if (!opaque_authority(family)) {
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
            if (value > 65535 || default_port(scheme, value)) return std::nullopt;
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
            const char d = decoded(url[i + 1], url[i + 2]);
            if (separator_sensitive(family) && (d == '/' || d == '\\' || d == '\0')) {
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
        if (!(cls(c) & pchar) || (c == '@' && userinfo_to_last_at(family))) return std::nullopt;
    }
    if (q < n) {
        if ((family != scheme_family_id::http && family != scheme_family_id::vsphere) ||
            q + 1 == n) {
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
                    const char d = decoded(o[r + 1], o[r + 2]);
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
#else
// Without 128-bit integers every URL takes the general code (same answers, slower).
std::optional<reason_code> canonical_fast(
    std::string_view, std::string&, canonical_url&, std::size_t, scheme_mask) {
    return std::nullopt;
}
#endif
// The byte rules, in URL order: the first byte outside 0x21-0x7E is bad_byte, the first '%'
// without two hex digits bad_percent, whichever comes first.
inline reason_code check_byte(std::string_view url, std::size_t i) {
    const char c = url[i];
    if (c < 0x21 || c > 0x7E) return reason_code::bad_byte;
    if (c == '%' && (i + 2 >= url.size() || !(cls(url[i + 1]) & hex) || !(cls(url[i + 2]) & hex))) {
        return reason_code::bad_percent;
    }
    return reason_code::none;
}

reason_code check_bytes(std::string_view url) {
    const std::size_t n = url.size();
    std::size_t at = 0;
#if defined(__SSE2__)
    // 16 bytes at a time: only the bytes outside 0x21-0x7E and the '%'s are looked at. The last
    // block is the URL's last 16 bytes, less those already seen.
    for (std::size_t seen = 0; at < n && n >= 16; at += 16 - seen) {
        seen = at + 16 <= n ? 0 : at + 16 - n;
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(url.data() + at - seen));
        const auto printable = static_cast<unsigned>(_mm_movemask_epi8(in_range(v, 0x21, 0x7E)));
        const auto percent =
            static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('%'))));
        for (unsigned bits = ((~printable | percent) & 0xFFFFu) >> seen; bits != 0;
             bits &= bits - 1) {
            const reason_code r =
                check_byte(url, at + static_cast<std::size_t>(std::countr_zero(bits)));
            if (r != reason_code::none) return r;
        }
    }
#endif
    for (; at < n; ++at) {  // (URLs shorter than 16 bytes)
        if (const reason_code r = check_byte(url, at); r != reason_code::none) return r;
    }
    return reason_code::none;
}

}  // namespace

std::string_view scheme_name(known_scheme s) noexcept { return names[static_cast<std::size_t>(s)]; }

scheme_family_id family_of(known_scheme s) noexcept {
    return families[static_cast<std::size_t>(s)];
}

std::string_view family_name(scheme_family_id f) noexcept {
    return family_names[static_cast<std::size_t>(f)];
}

bool find_scheme(std::string_view lower_scheme, known_scheme& out) noexcept {
    return lookup_scheme(lower_scheme, out);
}

std::string_view scheme_family(std::string_view lower_scheme) noexcept {
    known_scheme s;
    return find_scheme(lower_scheme, s) ? family_name(family_of(s)) : lower_scheme;
}

reason_code canonicalize(std::string_view url,
                         std::string& scratch,
                         canonical_url& out,
                         std::size_t max_bytes,
                         scheme_mask declared) {
    if (const auto answer = canonical_fast(url, scratch, out, max_bytes, declared)) return *answer;
    return canonicalize_general(url, scratch, out, max_bytes, declared);
}

reason_code canonicalize_general(std::string_view url,
                                 std::string& scratch,
                                 canonical_url& out,
                                 std::size_t max_bytes,
                                 scheme_mask declared) {
    out.clear();
    if (url.size() > max_bytes) return reason_code::too_long;
    if (const reason_code r = check_bytes(url); r != reason_code::none) return r;
    // scheme "://"
    std::size_t colon = url.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        !((cls(url[0]) & scheme_char) && !(url[0] >= '0' && url[0] <= '9') && url[0] != '+' &&
          url[0] != '-' && url[0] != '.')) {
        return reason_code::not_absolute;
    }
    for (std::size_t i = 1; i < colon; ++i) {
        if (!(cls(url[i]) & scheme_char)) {
            return url[i] == '/' || url[i] == '?' || url[i] == '#' ? reason_code::not_absolute
                                                                   : reason_code::bad_scheme;
        }
    }
    if (url.substr(colon, 3) != "://") return reason_code::not_absolute;
    char lowered[16];
    if (colon > sizeof lowered) return reason_code::unknown_scheme;
    bool scheme_upper = false;
    for (std::size_t i = 0; i < colon; ++i) {
        lowered[i] = to_lower(url[i]);
        scheme_upper |= lowered[i] != url[i];
    }
    known_scheme scheme;
    if (!lookup_scheme(std::string_view(lowered, colon), scheme) || !(declared & bit(scheme))) {
        return reason_code::unknown_scheme;
    }
    out.scheme = scheme;
    out.family = family_of(scheme);

    lazy_writer w(url, scratch);
    if (scheme_upper) w.replace_to(colon, std::string_view(lowered, colon));
    w.keep_to(colon + 3);
    const std::size_t start = colon + 3;
    out.tail = w.size();

    // Authority (and userinfo). s3 and swift keys may contain a raw '/': as upstream's s3
    // parser, their userinfo ends at the last '@' before the query or fragment. A userinfo
    // where no driver writes one is invalid.
    std::size_t auth_begin = start;
    std::size_t auth_end;
    if (userinfo_to_last_at(out.family)) {
        const std::size_t rest_end = find_query_or_fragment(url, start);
        std::size_t at = url.substr(start, rest_end - start).rfind('@');
        if (at != std::string_view::npos) {
            if (!userinfo_allowed(out.family)) return reason_code::bad_userinfo;
            out.userinfo = url.substr(start, at);
            out.has_credentials = true;
            auth_begin = start + at + 1;
        }
        auth_end = url.find('/', auth_begin);
        if (auth_end == std::string_view::npos || auth_end > rest_end) auth_end = rest_end;
    } else {
        auth_end = find_authority_end(url, start);
        std::string_view authority = url.substr(start, auth_end - start);
        std::size_t at = authority.find('@');
        if (at != std::string_view::npos) {
            if (!userinfo_allowed(out.family) ||
                authority.find('@', at + 1) != std::string_view::npos) {
                return reason_code::bad_userinfo;
            }
            out.userinfo = authority.substr(0, at);
            out.has_credentials = true;
            auth_begin = start + at + 1;
        }
    }
    if (out.has_credentials) w.replace_to(auth_begin, "");

    if (opaque_authority(out.family)) {
        std::string_view name = url.substr(auth_begin, auth_end - auth_begin);
        if (name.empty()) return reason_code::bad_host;
        for (char c : name) {
            if (!(cls(c) & (unreserved | sub_delim)) && c != ':') return reason_code::bad_host;
        }
        w.keep_to(auth_end);
    } else if (out.family == scheme_family_id::file) {
        if (auth_end != auth_begin) return reason_code::bad_host;  // file://host/... is not local
    } else {
        reason_code r = host_and_port(url, auth_begin, auth_end, scheme, w);
        if (r != reason_code::none) return r;
    }

    // Path up to '?' or '#'.
    std::size_t q = url.size();
    out.path = w.size();
    reason_code r = path_segments(url, auth_end, q, out, w);
    if (r != reason_code::none) return r;
    w.keep_to(q);
    out.path_end = w.size();
    if (!out.trailing_slash) add_boundary(out, out.path_end - out.tail);  // the implicit end
    if (out.path_end - out.tail > canonical_url::max_bits_key) {
        out.boundary_bits[0] = out.boundary_bits[1] = 0;  // the index walks long keys
    }

    if (q < url.size()) {
        if (url[q] == '#' || url.find('#', q) != std::string_view::npos) {
            return reason_code::fragment_not_allowed;
        }
        if (out.family != scheme_family_id::http && out.family != scheme_family_id::vsphere) {
            return reason_code::query_not_allowed;
        }
        if (q + 1 == url.size()) {
            w.replace_to(url.size(), "");  // an empty query is no query
        } else {
            w.keep_to(url.size());
        }
    }
    out.canonical = w.result();
    // Encoding can lengthen a URL (a '`' becomes %60): the limit holds for the canonical form
    // too, so that resolving a canonical URL again gives the same answer.
    if (out.canonical.size() > max_bytes) return reason_code::too_long;
    out.rewritten = w.dirty();
    if (out.canonical.size() > out.path_end + 1) out.query = out.canonical.substr(out.path_end + 1);
    return reason_code::none;
}

bool same_parts(const canonical_url& a, const canonical_url& b) noexcept {
    return a.canonical == b.canonical && a.scheme == b.scheme && a.family == b.family &&
           a.tail == b.tail && a.path == b.path && a.path_end == b.path_end && a.query == b.query &&
           a.userinfo == b.userinfo && a.has_credentials == b.has_credentials &&
           a.trailing_slash == b.trailing_slash && a.rewritten == b.rewritten &&
           a.boundary_bits[0] == b.boundary_bits[0] && a.boundary_bits[1] == b.boundary_bits[1];
}

result<std::string> canonicalize_prefix(std::string_view raw_prefix) {
    if (!raw_prefix.ends_with('/')) return make_error_code(errc::bad_uri);
    std::string_view body = raw_prefix.substr(0, raw_prefix.size() - 1);
    std::string scratch;
    canonical_url parts;
    if (canonicalize(body, scratch, parts) != reason_code::none || parts.has_credentials ||
        !parts.query.empty() || parts.trailing_slash) {
        return make_error_code(errc::bad_uri);
    }
    std::string out(parts.canonical);
    out += '/';
    return out;
}

bool is_uuid(std::string_view s) noexcept {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
        } else if (!(cls(s[i]) & hex)) {
            return false;
        }
    }
    return true;
}

}  // namespace imgstore::detail
