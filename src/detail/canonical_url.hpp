// Our own canonical form of location URLs (semantics.md section 3), computed in one pass.
// Boost.URL 1.81 is used only where it is right (IPv6 literals); its normalize() decodes %2F and
// can invent an authority, and its parser accepts forms we must reject, so we never use them
// for canonicalisation (doc/canonical-form.md lists the guards and their tests).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "imgstore/error.hpp"
#include "imgstore/resolver.hpp"

namespace imgstore::detail {

/// The schemes any store type declares, and their matching families.
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

/// The scheme's spelling ("s3+https"), and its family.
std::string_view scheme_name(known_scheme s) noexcept;
scheme_family_id family_of(known_scheme s) noexcept;
std::string_view family_name(scheme_family_id f) noexcept;

/// Looks up a lower-case scheme; false if no store type declares it.
bool find_scheme(std::string_view lower_scheme, known_scheme& out) noexcept;

/// The matching family of a lower-case scheme: "file" for file/filesystem, "s3" for
/// s3/s3+http/s3+https, "swift" for swift/swift+http/swift+https, "http" for http/https,
/// otherwise the scheme itself (swift+config, rbd, cinder, vsphere).
std::string_view scheme_family(std::string_view lower_scheme) noexcept;

/// A set of known schemes (bit per known_scheme).
using scheme_mask = std::uint32_t;
inline constexpr scheme_mask all_schemes = (1u << known_scheme_count) - 1;
inline constexpr scheme_mask bit(known_scheme s) { return 1u << static_cast<unsigned>(s); }

/// The pieces of a canonical URL. Views point into `canonical`, which views either the input
/// (when it was already canonical) or the scratch buffer; `userinfo` views the input and must
/// never be copied into any output.
struct canonical_url {
    std::string_view canonical;
    known_scheme scheme = known_scheme::file;
    scheme_family_id family = scheme_family_id::file;
    std::size_t tail = 0;       ///< offset of the first byte after "://"
    std::size_t path = 0;       ///< offset of the path (its '/'), == path_end when empty
    std::size_t path_end = 0;   ///< offset after the path ('?' or end)
    std::string_view query;     ///< without '?', empty when none
    std::string_view userinfo;  ///< raw, from the input; empty when none
    bool has_credentials = false;
    bool trailing_slash = false;  ///< the path ended with '/' (an empty last segment)
    bool rewritten = false;       ///< canonical differs from the input (it lives in scratch)

    /// The match key's boundaries, in order: the offset in key_tail() of each '/' of the path,
    /// then key_tail().size() (the implicit end) unless the path ends with '/'.
    /// boundary_count may exceed max_boundaries; only the first ones are kept. The index
    /// hashes its candidate prefixes from these without looking for the '/'s again.
    static constexpr std::size_t max_boundaries = 64;
    std::array<std::uint32_t, max_boundaries> boundaries;  // uninitialised: [0, count) is set
    std::uint32_t boundary_count = 0;

    /// Back to the default state (the boundaries are only marked empty: clearing their array
    /// would cost more than the rest of the call for most URLs).
    void clear() noexcept {
        canonical = query = userinfo = {};
        scheme = known_scheme::file;
        family = scheme_family_id::file;
        tail = path = path_end = 0;
        has_credentials = trailing_slash = rewritten = false;
        boundary_count = 0;
    }

    /// The match key tail: authority and path, without scheme and query.
    std::string_view key_tail() const noexcept { return canonical.substr(tail, path_end - tail); }
};

/// Canonicalises `url` (semantics section 3: sizes and bytes, shape, scheme, userinfo, host,
/// port, path, query and fragment rules, in that order). Schemes outside `declared` give
/// reason_code::unknown_scheme. Writes into `scratch` only when the canonical form differs from
/// the input. Returns reason_code::none on success. Allocation-free when `url` is canonical.
reason_code canonicalize(std::string_view url,
                         std::string& scratch,
                         canonical_url& out,
                         std::size_t max_bytes = 8u << 10,
                         scheme_mask declared = all_schemes);

/// canonicalize() without its fast path: every URL through the general code. The two must
/// agree on every input (tests/canonical_test.cpp and resolve_fuzz check it, calling this).
reason_code canonicalize_general(std::string_view url,
                                 std::string& scratch,
                                 canonical_url& out,
                                 std::size_t max_bytes = 8u << 10,
                                 scheme_mask declared = all_schemes);

/// The same parts (every field, the boundaries kept, and the userinfo's bytes): what the fast
/// path and the general code must agree on.
bool same_parts(const canonical_url& a, const canonical_url& b) noexcept;

/// Canonicalises a driver-built prefix (`scheme://authority/path/`, ending with '/').
/// Errors: errc::bad_uri when the prefix is not a valid canonical-able URL prefix.
result<std::string> canonicalize_prefix(std::string_view raw_prefix);

/// True if `s` is a UUID in canonical 8-4-4-4-12 hex form (any case).
bool is_uuid(std::string_view s) noexcept;

}  // namespace imgstore::detail
