// The canonical form's general code: every URL the fast path does not decide, and the reference
// the fast path is tested against (semantics section 3, in rule order).
#include "detail/canonical_url.hpp"

#include <boost/url/grammar/parse.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/rfc/ipv6_address_rule.hpp>

#include "detail/url_bytes.hpp"

namespace imgstore::detail {
namespace {

using namespace url_bytes;

// The first of s[from, end) that is a, b or c, or s.size(): 16 bytes at a time
// (std::string_view::find_first_of calls memchr on the set once per byte).
inline std::size_t find_any(std::string_view s, std::size_t from, char a, char b, char c) {
    std::size_t i = from;
#if defined(IMGSTORE_SSE2)
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
#if defined(IMGSTORE_SSE2)
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
    if (is_default_port(scheme, port)) {
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

// Records a boundary at `offset` of the key (dropped at the end if the key is too long).
inline void add_boundary(canonical_url& out, std::size_t offset) {
    if (offset < 128) out.boundary_bits[offset / 64] |= std::uint64_t{1} << (offset % 64);
}

// Records each '/' written as a boundary and sets out.trailing_slash.
reason_code path_segments(
    std::string_view url, std::size_t begin, std::size_t& end, canonical_url& out, lazy_writer& w) {
    const bool sensitive = family_info(out.family).separator_sensitive;
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
                const char d = hex_byte(url[j + 1], url[j + 2]);
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
#if defined(IMGSTORE_SSE2)
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
    if (!find_scheme(std::string_view(lowered, colon), scheme) || !(declared & bit(scheme))) {
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
    const family_row& rules = family_info(out.family);
    if (rules.userinfo_ends == userinfo_end::last_at) {
        const std::size_t rest_end = find_query_or_fragment(url, start);
        std::size_t at = url.substr(start, rest_end - start).rfind('@');
        if (at != std::string_view::npos) {
            if (!rules.userinfo_allowed) return reason_code::bad_userinfo;
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
            if (!rules.userinfo_allowed || authority.find('@', at + 1) != std::string_view::npos) {
                return reason_code::bad_userinfo;
            }
            out.userinfo = authority.substr(0, at);
            out.has_credentials = true;
            auth_begin = start + at + 1;
        }
    }
    if (out.has_credentials) w.replace_to(auth_begin, "");

    if (rules.authority == authority_kind::opaque) {
        std::string_view name = url.substr(auth_begin, auth_end - auth_begin);
        if (name.empty()) return reason_code::bad_host;
        for (char c : name) {
            if (!(cls(c) & (unreserved | sub_delim)) && c != ':') return reason_code::bad_host;
        }
        w.keep_to(auth_end);
    } else if (rules.authority == authority_kind::none) {
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
        if (!rules.query_allowed) {
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

}  // namespace imgstore::detail
