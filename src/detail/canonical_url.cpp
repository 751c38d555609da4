#include "detail/canonical_url.hpp"

#include <array>
#include <bit>
#include <boost/url/grammar/parse.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/rfc/ipv6_address_rule.hpp>
#include <cstring>

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
    plain = 64,  // kept as written anywhere after "://": unreserved and sub-delims, not upper
    scheme_lower = 128,  // the bytes of the known schemes' names: lower case, digits, '+'
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
        if ((v & (unreserved | sub_delim)) && !(v & upper)) v |= plain;
        if ((c >= 'a' && c <= 'z') || digit || c == '+') v |= scheme_lower;
        t[static_cast<std::size_t>(c)] = v;
    }
    return t;
}
constexpr auto classes = make_classes();

inline std::uint8_t cls(char c) { return classes[static_cast<unsigned char>(c)]; }
inline char to_lower(char c) { return (cls(c) & upper) ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char hex_upper[] = "0123456789ABCDEF";

// std::string_view::find_first_of calls memchr on the set once per byte; these scan once.
inline std::size_t find_query_or_fragment(std::string_view s, std::size_t from) {
    for (std::size_t i = from; i < s.size(); ++i) {
        if (s[i] == '?' || s[i] == '#') return i;
    }
    return s.size();
}
inline std::size_t find_authority_end(std::string_view s, std::size_t from) {
    for (std::size_t i = from; i < s.size(); ++i) {
        if (s[i] == '/' || s[i] == '?' || s[i] == '#') return i;
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

bool default_port(known_scheme s, std::uint32_t port) {
    switch (s) {
        case known_scheme::http:
        case known_scheme::s3_http:
        case known_scheme::swift_http:
            return port == 80;
        case known_scheme::https:
        case known_scheme::s3_https:
        case known_scheme::swift_https:
            return port == 443;
        default:
            return false;
    }
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
reason_code path_segments(std::string_view url,
                          std::size_t begin,
                          std::size_t& end,
                          scheme_family_id family,
                          lazy_writer& w,
                          bool& trailing_slash) {
    const bool sensitive = separator_sensitive(family);
    const std::size_t n = url.size();
    std::size_t i = begin;
    while (i < n && url[i] == '/') {
        w.keep_to(i + 1);
        std::size_t seg = i + 1;
        std::size_t out_seg = w.size();
        std::size_t j = seg;
        for (; j < n; ++j) {
            char c = url[j];
            if (cls(c) & pchar) continue;  // the common case: kept as written
            if (c == '/' || c == '?' || c == '#') break;
            if (c == '%') {
                int v = hex_value(url[j + 1]) * 16 + hex_value(url[j + 2]);
                char d = static_cast<char>(v);
                if (cls(d) & unreserved) {
                    w.keep_to(j);
                    w.replace_to(j + 3, std::string_view(&d, 1));
                } else {
                    if (sensitive && (d == '/' || d == '\\' || d == '\0')) {
                        return reason_code::encoded_separator;
                    }
                    if ((url[j + 1] >= 'a' && url[j + 1] <= 'f') ||
                        (url[j + 2] >= 'a' && url[j + 2] <= 'f')) {
                        char up[3] = {'%', hex_upper[v >> 4], hex_upper[v & 15]};
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
        std::string_view out = w.view(out_seg, w.size());
        if (out.empty()) {
            if (j == n || url[j] != '/') {
                trailing_slash = true;
            } else {
                return reason_code::empty_segment;
            }
        }
        if (out == "." || out == "..") return reason_code::dot_segment;
        i = j;
    }
    end = i;
    return reason_code::none;
}

// `s` equals the literal (a fixed-size comparison the compiler inlines).
template <std::size_t N>
inline bool same(std::string_view s, const char (&literal)[N]) {
    return std::memcmp(s.data(), literal, N - 1) == 0;
}

inline bool lookup_scheme(std::string_view lower_scheme, known_scheme& out) noexcept {
    // By length and first byte, then one fixed-size comparison: no loop over the 14 names.
    const auto pick = [&](bool equal, known_scheme k) {
        if (equal) out = k;
        return equal;
    };
    const std::string_view s = lower_scheme;
    switch (s.size()) {
        case 2:
            return pick(same(s, "s3"), known_scheme::s3);
        case 3:
            return pick(same(s, "rbd"), known_scheme::rbd);
        case 4:
            return s[0] == 'f' ? pick(same(s, "file"), known_scheme::file)
                               : pick(same(s, "http"), known_scheme::http);
        case 5:
            return s[0] == 'h' ? pick(same(s, "https"), known_scheme::https)
                               : pick(same(s, "swift"), known_scheme::swift);
        case 6:
            return pick(same(s, "cinder"), known_scheme::cinder);
        case 7:
            return s[0] == 's' ? pick(same(s, "s3+http"), known_scheme::s3_http)
                               : pick(same(s, "vsphere"), known_scheme::vsphere);
        case 8:
            return pick(same(s, "s3+https"), known_scheme::s3_https);
        case 10:
            return s[0] == 'f' ? pick(same(s, "filesystem"), known_scheme::filesystem)
                               : pick(same(s, "swift+http"), known_scheme::swift_http);
        case 11:
            return pick(same(s, "swift+https"), known_scheme::swift_https);
        case 12:
            return pick(same(s, "swift+config"), known_scheme::swift_config);
        default:
            return false;
    }
}

// The fast path: one pass over the URL that finds the bytes that are not `plain` 16 at a time
// and proves the URL already canonical and simple (no '%', no upper-case host, no port, no
// userinfo, no dot or empty segment, no byte to encode, an allowed query). Anything else, valid
// or not, goes to the general code below, which gives the answer for it.
#if defined(__SSE2__)
inline __m128i in_range(__m128i v, unsigned char lo, unsigned char hi) {
    // Shifts [lo, hi] to [-128, -128 + hi - lo]: one signed compare tests the range.
    const __m128i t = _mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(0x80 - lo)));
    return _mm_cmplt_epi8(t, _mm_set1_epi8(static_cast<char>(-128 + (hi - lo + 1))));
}

// Bit k set when p[k] may not be `plain`: everything but lower case, digits, '-' and '.' (the
// bytes of nearly every host, id and path); the scanner checks the others one by one.
inline std::uint32_t special_bits(const char* p) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i ok = _mm_or_si128(_mm_or_si128(in_range(v, 'a', 'z'), in_range(v, '0', '9')),
                                    in_range(v, '-', '.'));
    return ~static_cast<std::uint32_t>(_mm_movemask_epi8(ok)) & 0xFFFFu;
}
#else
inline std::uint32_t special_bits(const char* p) {
    std::uint32_t bits = 0;
    for (unsigned k = 0; k < 16; ++k) {
        if (!(cls(p[k]) & plain)) bits |= 1u << k;
    }
    return bits;
}
#endif

// Yields the offsets of the bytes that are not `plain`, in order, then the URL's size.
class special_scanner {
  public:
    special_scanner(std::string_view s, std::size_t from) : s_(s), block_(from) { load(); }

    std::size_t next() {
        for (;;) {
            while (bits_ == 0) {
                block_ += 16;
                if (block_ >= s_.size()) return s_.size();
                load();
            }
            const std::size_t at = block_ + static_cast<std::size_t>(std::countr_zero(bits_));
            bits_ &= bits_ - 1;
            if (!(cls(s_[at]) & plain)) return at;
        }
    }

  private:
    void load() {
        if (block_ + 16 <= s_.size()) {
            bits_ = special_bits(s_.data() + block_);
        } else if (s_.size() >= 16) {
            // The last 16 bytes, shifted past the ones already seen: no copy.
            const std::size_t last = s_.size() - 16;
            bits_ = special_bits(s_.data() + last) >> (block_ - last);
        } else if (block_ < s_.size()) {
            char padded[16];
            std::memset(padded, 'a', sizeof padded);
            std::memcpy(padded, s_.data() + block_, s_.size() - block_);
            bits_ = special_bits(padded);
        } else {
            bits_ = 0;
        }
    }

    std::string_view s_;
    std::size_t block_;
    std::uint32_t bits_ = 0;
};

inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// True when `url` is canonical and simple; `out` then holds its parts. False sends the URL to
// the general code (whatever it is: canonical but unusual, rewritable or invalid).
bool canonical_fast(std::string_view url,
                    canonical_url& out,
                    std::size_t max_bytes,
                    scheme_mask declared) {
    const std::size_t n = url.size();
    if (n > max_bytes) return false;
    std::size_t colon = 0;
    while (colon < n && colon < 13 && (cls(url[colon]) & scheme_lower)) ++colon;
    if (colon + 3 > n || url[colon] != ':' || url[colon + 1] != '/' || url[colon + 2] != '/') {
        return false;
    }
    known_scheme scheme;
    if (!lookup_scheme(url.substr(0, colon), scheme) || !(declared & bit(scheme))) return false;
    const scheme_family_id family = families[static_cast<std::size_t>(scheme)];
    const bool opaque = opaque_authority(family);
    const std::size_t start = colon + 3;

    special_scanner sc(url, start);
    std::size_t i = sc.next();
    // Authority: plain bytes; an opaque one may also hold ':' and upper case (kept as written),
    // a host one ':' before its port.
    std::size_t port = 0;  // offset of the port's ':', 0 when none
    while (i < n && url[i] != '/') {
        if (opaque ? !(url[i] == ':' || is_upper(url[i])) : (url[i] != ':' || port != 0)) {
            return false;
        }
        if (!opaque) port = i;
        i = sc.next();
    }
    const std::size_t auth_end = i;
    if (family == scheme_family_id::file) {
        if (auth_end != start) return false;
    } else if (auth_end == start) {
        return false;
    } else if (!opaque) {
        const std::size_t host_end = port != 0 ? port : auth_end;
        const std::string_view host = url.substr(start, host_end - start);
        if (host.empty() || host.back() == '.') return false;
        if ((host[0] == '.' || (host[0] >= '0' && host[0] <= '9')) && !numeric_host_ok(host)) {
            return false;  // (a host starting with another byte is a name)
        }
        if (port != 0) {
            // Kept as written: 1-65535 without leading zero, not the scheme's default.
            const std::string_view digits = url.substr(port + 1, auth_end - port - 1);
            if (digits.empty() || digits.size() > 5 || digits[0] == '0') return false;
            std::uint32_t value = 0;
            for (char c : digits) {
                if (c < '0' || c > '9') return false;
                value = value * 10 + static_cast<std::uint32_t>(c - '0');
            }
            if (value > 65535 || default_port(scheme, value)) return false;
        }
    }

    // Path: segments of plain bytes, upper case, ':' and '@' (not in s3, where an '@' would
    // end a userinfo), none empty, none "." or "..".
    std::size_t q = n;
    while (i < n) {  // url[i] == '/'
        const std::size_t seg = i + 1;
        std::size_t j = sc.next();
        while (j < n && url[j] != '/' && url[j] != '?') {
            const char c = url[j];
            if (!(is_upper(c) || c == ':' || (c == '@' && family != scheme_family_id::s3))) {
                return false;
            }
            j = sc.next();
        }
        const std::size_t len = j - seg;
        if (len == 0) return false;
        if (url[seg] == '.' && (len == 1 || (len == 2 && url[seg + 1] == '.'))) return false;
        if (j < n && url[j] == '?') {
            q = j;
            break;
        }
        i = j;
    }

    // Query: http(s) and vsphere only, non-empty, printable, every '%' with two hex digits.
    if (q < n) {
        if ((family != scheme_family_id::http && family != scheme_family_id::vsphere) ||
            q + 1 == n) {
            return false;
        }
        for (std::size_t j = sc.next(); j < n; j = sc.next()) {
            const char c = url[j];
            if (c < 0x21 || c > 0x7E || c == '#') return false;
            if (c == '%' && (j + 2 >= n || !(cls(url[j + 1]) & hex) || !(cls(url[j + 2]) & hex))) {
                return false;
            }
        }
    }

    out.canonical = url;
    out.scheme = scheme;
    out.family = family;
    out.tail = start;
    out.path = auth_end;
    out.path_end = q;
    out.query = q + 1 < n ? url.substr(q + 1) : std::string_view();
    out.userinfo = {};
    out.has_credentials = false;
    out.trailing_slash = false;
    out.rewritten = false;
    return true;
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
    if (canonical_fast(url, out, max_bytes, declared)) return reason_code::none;
    out = canonical_url{};
    if (url.size() > max_bytes) return reason_code::too_long;
    for (std::size_t i = 0; i < url.size(); ++i) {
        char c = url[i];
        if (c < 0x21 || c > 0x7E) return reason_code::bad_byte;
        if (c == '%') {
            if (i + 2 >= url.size() || !(cls(url[i + 1]) & hex) || !(cls(url[i + 2]) & hex)) {
                return reason_code::bad_percent;
            }
        }
    }
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

    // Authority (and userinfo). s3 secrets may contain a raw '/': as upstream's parser, the
    // s3 userinfo ends at the last '@' before the query or fragment.
    std::size_t auth_begin = start;
    std::size_t auth_end;
    if (out.family == scheme_family_id::s3) {
        const std::size_t rest_end = find_query_or_fragment(url, start);
        std::size_t at = url.substr(start, rest_end - start).rfind('@');
        if (at != std::string_view::npos) {
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
            if (authority.find('@', at + 1) != std::string_view::npos) {
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
    reason_code r = path_segments(url, auth_end, q, out.family, w, out.trailing_slash);
    if (r != reason_code::none) return r;
    w.keep_to(q);
    out.path_end = w.size();

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
