// Our own canonical form of location URLs (semantics.md section 3), computed in one pass.
// Boost.URL 1.81 is used only where it is right (IPv6 literals); its normalize() decodes %2F and
// can invent an authority, and its parser accepts forms we must reject, so we never use them
// for canonicalisation (doc/canonical-form.md lists the guards and their tests).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "detail/scheme_table.hpp"
#include "imgstore/error.hpp"
#include "imgstore/reason.hpp"

namespace imgstore::detail {

/// The pieces of a canonical URL. Views point into `canonical`, which views either the input
/// (when it was already canonical) or the scratch buffer; `userinfo` views the input and must
/// never be copied into any output.
///
/// canonicalize() sets every member. The scalars have no default values (`canonical_url c{}`
/// zeroes them): the resolver makes one per URL, and zeroing the whole struct there compiled
/// to a `rep stos`, whose start-up cost was a fifth of a resolve.
struct canonical_url {
    std::string_view canonical;
    known_scheme scheme;
    scheme_family_id family;
    std::size_t tail;           ///< offset of the first byte after "://"
    std::size_t path;           ///< offset of the path (its '/'), == path_end when empty
    std::size_t path_end;       ///< offset after the path ('?' or end)
    std::string_view query;     ///< without '?', empty when none
    std::string_view userinfo;  ///< raw, from the input; empty when none
    bool has_credentials;
    bool trailing_slash;  ///< the path ended with '/' (an empty last segment)
    bool rewritten;       ///< canonical differs from the input (it lives in scratch)

    /// The match key's boundaries as a bit set over key_tail() offsets: bit m for each '/' of
    /// the path (key_tail()[m]), and bit key_tail().size() (the implicit end) unless the path
    /// ends with '/'. Only for keys of at most max_bits_key bytes; longer keys (rare) have no
    /// bits and the index finds their '/'s itself. The index hashes its candidate prefixes
    /// from these without looking for the '/'s again.
    static constexpr std::size_t max_bits_key = 127;
    std::uint64_t boundary_bits[2];

    /// Back to the default state.
    void clear() noexcept {
        canonical = query = userinfo = {};
        scheme = known_scheme::file;
        family = scheme_family_id::file;
        tail = path = path_end = 0;
        has_credentials = trailing_slash = rewritten = false;
        boundary_bits[0] = boundary_bits[1] = 0;
    }

    /// The match key tail: authority and path, without scheme and query.
    std::string_view key_tail() const noexcept { return canonical.substr(tail, path_end - tail); }
};

/// Canonicalises `url` (semantics section 3: sizes and bytes, shape, scheme, userinfo, host,
/// port, path, query and fragment rules, in that order). Schemes outside `declared` give
/// reason_code::unknown_scheme. Writes into `scratch` only when the canonical form differs from
/// the input. Returns reason_code::none on success. Allocation-free when `url` is canonical.
[[nodiscard]] reason_code canonicalize(std::string_view url,
                                       std::string& scratch,
                                       canonical_url& out,
                                       std::size_t max_bytes = 8u << 10,
                                       scheme_mask declared = all_schemes);

/// canonicalize() without its fast path: every URL through the general code. The two must
/// agree on every input (tests/canonical_test.cpp and resolve_fuzz check it, calling this).
[[nodiscard]] reason_code canonicalize_general(std::string_view url,
                                               std::string& scratch,
                                               canonical_url& out,
                                               std::size_t max_bytes = 8u << 10,
                                               scheme_mask declared = all_schemes);

/// The same parts (every field, the boundary bits, and the userinfo's bytes): what the fast
/// path and the general code must agree on.
bool same_parts(const canonical_url& a, const canonical_url& b) noexcept;

/// Canonicalises a driver-built prefix (`scheme://authority/path/`, ending with '/').
/// Errors: errc::bad_uri when the prefix is not a valid canonical-able URL prefix.
[[nodiscard]] result<std::string> canonicalize_prefix(std::string_view raw_prefix);

}  // namespace imgstore::detail
