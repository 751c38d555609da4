// Why a URL resolved as it did: the three outcomes and the stable reason codes. Below the
// resolver so that the canonical form (src/detail) can name its reasons without it.
#pragma once

#include <string_view>

namespace imgstore {

/// The three outcomes of resolving a URL.
enum class resolve_status { matched, no_store, invalid };

/// Why a URL is no_store or invalid. Stable identifiers: their to_string() names are part of the
/// tool's output and are documented in doc/reason-codes.md.
enum class reason_code {
    none,  ///< matched
    // invalid
    too_long,              ///< longer than resolver_options::max_url_bytes
    bad_byte,              ///< a byte outside printable ASCII 0x21-0x7E
    bad_percent,           ///< '%' not followed by two hex digits
    not_absolute,          ///< no `scheme://` (relative reference, `file:/x`, ...)
    bad_scheme,            ///< scheme not of RFC 3986 form
    bad_userinfo,          ///< userinfo on file/rbd/cinder/vsphere/swift+config; 2nd '@' in http
    bad_host,              ///< empty, '%', trailing dot, malformed IP literal, zone id
    bad_port,              ///< not digits, 0, or > 65535
    dot_segment,           ///< '.' or '..' path segment, literal or encoded
    empty_segment,         ///< '//' inside the path, or a trailing '/' (allowed in http(s) only)
    encoded_separator,     ///< %2F, %5C or %00 in a file, rbd, cinder or vsphere path
    query_not_allowed,     ///< a query outside http(s) and vsphere
    fragment_not_allowed,  ///< any fragment
    store_root,            ///< the URL is a store's prefix itself (with or without its '/')
    // no_store
    unknown_scheme,  ///< no configured store declares the scheme
    no_prefix,       ///< the scheme is known but no prefix covers the URL
    ambiguous,       ///< two or more stores could own it (e.g. two http stores)
    cinder_legacy,   ///< legacy `cinder://<volume>`: needs a volume-type lookup
    user_mismatch,   ///< swift: the URL's user is not the owning store's user
};

/// Stable name of a reason ("store_root", ...). "matched" for none.
[[nodiscard]] std::string_view to_string(reason_code r) noexcept;
/// "matched", "no_store" or "invalid".
[[nodiscard]] std::string_view to_string(resolve_status s) noexcept;

}  // namespace imgstore
