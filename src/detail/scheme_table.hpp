// The one table of URL schemes: every scheme a store type declares, the port it connects to by
// default, and its matching family with the rules the canonical form applies to the family
// (semantics section 3). The canonicaliser, the drivers (their declared schemes are checked
// against it at compile time, drivers/driver.hpp) and the resolver all read it; a store type is
// its driver file plus its rows here.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace imgstore::detail {

/// The schemes any store type declares (rows of scheme_rows, in this order).
enum class known_scheme : std::uint8_t {
    file,
    filesystem,
    http,
    https,
    rbd,
    s3,
    s3_http,
    s3_https,
    swift,
    swift_http,
    swift_https,
    swift_config,
    cinder,
    vsphere,
};
inline constexpr std::size_t known_scheme_count = 14;

/// The matching families: schemes of one family share match keys (`s3+https://h/b/` and
/// `s3://h/b/` are one prefix). Rows of family_rows, in this order.
enum class scheme_family_id : std::uint8_t {
    file,
    http,
    rbd,
    s3,
    swift,
    swift_config,
    cinder,
    vsphere
};
inline constexpr std::size_t scheme_family_count = 8;

/// What the authority of a family's URLs is.
enum class authority_kind : std::uint8_t {
    none,    ///< must be empty (`file:///path`: a host would not be local)
    host,    ///< host[:port], a name or IP literal, lower-cased
    opaque,  ///< a name kept as written, ':' allowed (cinder store ids, swift references)
};

/// Where a userinfo ends, when the URL has one.
enum class userinfo_end : std::uint8_t {
    authority,  ///< at the authority's only '@' (a second '@' is bad_userinfo)
    last_at,    ///< at the last '@' before the query or fragment: keys hold a raw '/', '@', ':'
};

struct family_row {
    scheme_family_id id;
    std::string_view name;  ///< in match keys and explain(): "file", "s3", "swift+config"
    authority_kind authority;
    /// Paths name files or volumes: %2F, %5C, %00 and '\' are a traversal risk (encoded_separator).
    bool separator_sensitive;
    bool query_allowed;  ///< else query_not_allowed
    /// A path may end with '/' (no store prefix can be its root); else empty_segment.
    bool trailing_slash_allowed;
    /// Drivers write a userinfo into such URLs; else one is bad_userinfo (upstream reads it as
    /// part of the path, fsid or reference, so no store holds such a location).
    bool userinfo_allowed;
    /// How a userinfo is delimited, also where none is allowed: a swift key pasted into a
    /// swift+config URL must be refused whole, not read as a reference and a path.
    userinfo_end userinfo_ends;
};

struct scheme_row {
    known_scheme id;
    std::string_view name;  ///< lower case, as written in URLs
    scheme_family_id family;
    /// The port dropped from the canonical form, as upstream's drivers connect when none is
    /// written: `s3` is plain http (boto3 gets an http:// endpoint), `swift` is https
    /// (swift_url prefixes https:// unless the scheme says http). 0: none we can be sure of.
    std::uint16_t default_port;
};

// The rows, built by functions so that `using enum` keeps them short.
constexpr std::array<family_row, scheme_family_count> make_family_rows() {
    using enum scheme_family_id;
    using enum authority_kind;
    using enum userinfo_end;
    // id, name, authority, separator-sensitive, query, trailing '/', userinfo, userinfo ends
    return {{
        {file, "file", none, true, false, false, false, authority},
        {http, "http", host, false, true, true, true, authority},
        {rbd, "rbd", host, true, false, false, false, authority},
        {s3, "s3", host, false, false, false, true, last_at},
        {swift, "swift", host, false, false, false, true, last_at},
        {swift_config, "swift+config", opaque, false, false, false, false, last_at},
        {cinder, "cinder", opaque, true, false, false, false, authority},
        {vsphere, "vsphere", host, true, true, false, false, authority},
    }};
}
inline constexpr std::array<family_row, scheme_family_count> family_rows = make_family_rows();

constexpr std::array<scheme_row, known_scheme_count> make_scheme_rows() {
    using enum known_scheme;
    using sf = scheme_family_id;
    // id, name, family, default port
    return {{
        {file, "file", sf::file, 0},
        {filesystem, "filesystem", sf::file, 0},
        {http, "http", sf::http, 80},
        {https, "https", sf::http, 443},
        {rbd, "rbd", sf::rbd, 0},
        {s3, "s3", sf::s3, 80},
        {s3_http, "s3+http", sf::s3, 80},
        {s3_https, "s3+https", sf::s3, 443},
        {swift, "swift", sf::swift, 443},
        {swift_http, "swift+http", sf::swift, 80},
        {swift_https, "swift+https", sf::swift, 443},
        {swift_config, "swift+config", sf::swift_config, 0},
        {cinder, "cinder", sf::cinder, 0},
        {vsphere, "vsphere", sf::vsphere, 0},
    }};
}
inline constexpr std::array<scheme_row, known_scheme_count> scheme_rows = make_scheme_rows();

/// Longest scheme name: the hashed lookup reads at most this many bytes.
inline constexpr std::size_t max_scheme = 12;

constexpr bool scheme_table_in_order() {
    for (std::size_t i = 0; i < scheme_rows.size(); ++i) {
        if (static_cast<std::size_t>(scheme_rows[i].id) != i) return false;
        if (scheme_rows[i].name.empty() || scheme_rows[i].name.size() > max_scheme) return false;
    }
    for (std::size_t i = 0; i < family_rows.size(); ++i) {
        if (static_cast<std::size_t>(family_rows[i].id) != i) return false;
    }
    return true;
}
static_assert(scheme_table_in_order(), "one row per enumerator, in enumerator order");

constexpr const scheme_row& scheme_info(known_scheme s) noexcept {
    return scheme_rows[static_cast<std::size_t>(s)];
}
constexpr const family_row& family_info(scheme_family_id f) noexcept {
    return family_rows[static_cast<std::size_t>(f)];
}
constexpr std::string_view scheme_name(known_scheme s) noexcept { return scheme_info(s).name; }
constexpr scheme_family_id family_of(known_scheme s) noexcept { return scheme_info(s).family; }
constexpr std::string_view family_name(scheme_family_id f) noexcept { return family_info(f).name; }

/// True if `port` is the scheme's default (dropped from the canonical form).
constexpr bool is_default_port(known_scheme s, std::uint32_t port) noexcept {
    return scheme_info(s).default_port != 0 && scheme_info(s).default_port == port;
}

/// The row of an exact lower-case scheme name, or nullptr; linear, for compile-time checks
/// and start-up code (the hot path uses find_scheme()).
constexpr const scheme_row* scheme_row_named(std::string_view name) noexcept {
    for (const scheme_row& row : scheme_rows) {
        if (row.name == name) return &row;
    }
    return nullptr;
}

/// A set of known schemes (bit per known_scheme).
using scheme_mask = std::uint32_t;
inline constexpr scheme_mask all_schemes = (1u << known_scheme_count) - 1;
inline constexpr scheme_mask bit(known_scheme s) { return 1u << static_cast<unsigned>(s); }

// The hashed lookup: the scheme's first 16 bytes as two little-endian words (zero past its
// end) pick one of 32 slots by a multiplicative hash with a multiplier found at compile time to
// give the names distinct slots; one comparison confirms.
namespace scheme_hash {

struct words {
    std::uint64_t w0 = 0, w1 = 0;
};

constexpr words words_of(std::string_view s) {
    words w;
    for (std::size_t i = 0; i < s.size() && i < 16; ++i) {
        const auto b = static_cast<std::uint64_t>(static_cast<unsigned char>(s[i]));
        (i < 8 ? w.w0 : w.w1) |= b << (8 * (i % 8));
    }
    return w;
}

constexpr std::size_t slot_of(words w, std::uint64_t multiplier) {
    return static_cast<std::size_t>(((w.w0 ^ (w.w1 * 0x9E3779B97F4A7C15ull)) * multiplier) >> 59);
}

constexpr std::uint64_t find_multiplier() {
    for (std::uint64_t k = 1;; ++k) {
        const std::uint64_t multiplier = (k * 0xBF58476D1CE4E5B9ull) | 1;
        std::uint32_t taken = 0;
        bool distinct = true;
        for (const scheme_row& row : scheme_rows) {
            const std::uint32_t b = 1u << slot_of(words_of(row.name), multiplier);
            distinct = distinct && !(taken & b);
            taken |= b;
        }
        if (distinct) return multiplier;
    }
}
inline constexpr std::uint64_t multiplier = find_multiplier();

struct entry {
    words key;
    std::uint8_t length = 0;  // 0: no scheme in this slot
    known_scheme scheme = known_scheme::file;
};

constexpr std::array<entry, 32> make_table() {
    std::array<entry, 32> t{};
    for (const scheme_row& row : scheme_rows) {
        const words w = words_of(row.name);
        t[slot_of(w, multiplier)] = {w, static_cast<std::uint8_t>(row.name.size()), row.id};
    }
    return t;
}
inline constexpr auto table = make_table();

}  // namespace scheme_hash

/// `p[0, length)` is a known lower-case scheme (p readable for 16 bytes). O(1): one hash and
/// one comparison.
inline bool lookup_scheme_at(const char* p, std::size_t length, known_scheme& out) noexcept {
    if (length == 0 || length > max_scheme) return false;
    scheme_hash::words w;
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(&w.w0, p, 8);
        std::memcpy(&w.w1, p + 8, 8);
        // Keep the first `length` bytes.
        w.w0 &= length >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * length)) - 1;
        w.w1 &= length > 8 ? (std::uint64_t{1} << (8 * (length - 8))) - 1 : 0;
    } else {
        w = scheme_hash::words_of({p, length});
    }
    const scheme_hash::entry& e =
        scheme_hash::table[scheme_hash::slot_of(w, scheme_hash::multiplier)];
    if (e.length != length || e.key.w0 != w.w0 || e.key.w1 != w.w1) return false;
    out = e.scheme;
    return true;
}

/// Looks up a lower-case scheme; false if no store type declares it. O(1).
inline bool find_scheme(std::string_view lower_scheme, known_scheme& out) noexcept {
    if (lower_scheme.empty() || lower_scheme.size() > max_scheme) return false;
    char padded[16] = {};
    std::memcpy(padded, lower_scheme.data(), lower_scheme.size());
    return lookup_scheme_at(padded, lower_scheme.size(), out);
}

/// A canonical URL or prefix split at "://": its scheme's row and the text after "://".
struct canonical_split {
    known_scheme scheme;
    std::string_view rest;
};

/// Splits a canonical URL or prefix (lower-case scheme); nullopt without "://" or with a scheme
/// no store type declares (a canonical prefix of the registry always has one). O(length).
inline std::optional<canonical_split> split_canonical(std::string_view canonical) noexcept {
    const std::size_t sep = canonical.find("://");
    known_scheme k;
    if (sep == std::string_view::npos || !find_scheme(canonical.substr(0, sep), k)) {
        return std::nullopt;
    }
    return canonical_split{k, canonical.substr(sep + 3)};
}

}  // namespace imgstore::detail
