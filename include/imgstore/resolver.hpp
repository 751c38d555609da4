// location_resolver: which store owns a location URL. Canonical, boundary-aware, longest-prefix
// matching over every store's URL prefixes, at a per-URL cost independent of the store count.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/registry.hpp"

namespace imgstore {

/// The three outcomes of resolving a URL.
enum class resolve_status { matched, no_store, invalid };

/// Why a URL is no_store or invalid. Stable identifiers: their to_string() names are part of the
/// tool's output and are documented in doc/reason-codes.md.
enum class reason_code {
    none,  ///< matched
    // invalid
    too_long,             ///< longer than resolver_options::max_url_bytes
    bad_byte,             ///< a byte outside printable ASCII 0x21-0x7E
    bad_percent,          ///< '%' not followed by two hex digits
    not_absolute,         ///< no `scheme://` (relative reference, `file:/x`, ...)
    bad_scheme,           ///< scheme not of RFC 3986 form
    bad_userinfo,         ///< a second '@' in the authority
    bad_host,             ///< empty, '%', trailing dot, malformed IP literal, zone id
    bad_port,             ///< not digits, 0, or > 65535
    dot_segment,          ///< '.' or '..' path segment, literal or encoded
    empty_segment,        ///< '//' inside the path, or a trailing '/'
    encoded_separator,    ///< %2F, %5C or %00 in a file, rbd, cinder or vsphere path
    query_not_allowed,    ///< a query outside http(s) and vsphere
    fragment_not_allowed, ///< any fragment
    store_root,           ///< matched a prefix but nothing follows it
    // no_store
    unknown_scheme,       ///< no configured store declares the scheme
    no_prefix,            ///< the scheme is known but no prefix covers the URL
    ambiguous,            ///< two or more stores could own it (e.g. two http stores)
    cinder_legacy,        ///< legacy `cinder://<volume>`: needs a volume-type lookup
    user_mismatch,        ///< swift: the URL's user is not the owning store's user
};

/// Stable name of a reason ("store_root", ...). "matched" for none.
std::string_view to_string(reason_code r) noexcept;
std::string_view to_string(resolve_status s) noexcept;

/// Result of one resolve. Views point into the registry (store) or into the input URL or the
/// caller's scratch buffer (canonical_url): they live until either is changed or destroyed.
struct resolution {
    resolve_status status = resolve_status::invalid;
    reason_code reason = reason_code::none;
    const store* owner = nullptr;     ///< set iff matched
    std::string_view canonical_url;   ///< canonical form without userinfo (empty when invalid)
    bool has_credentials = false;     ///< the input carried userinfo (never copied anywhere)
};

/// What explain() adds: the canonical form and every prefix that was looked up, longest first.
struct explanation {
    resolve_status status = resolve_status::invalid;
    reason_code reason = reason_code::none;
    std::string store_id;
    std::string canonical_url;
    std::string match_key;                ///< the canonical URL with its scheme family
    std::vector<std::string> considered;  ///< candidate prefixes probed, longest first
    std::vector<std::string> hits;        ///< those that belong to a store ("id prefix")
};

struct resolver_options {
    std::size_t max_url_bytes = 8 * 1024;
};

/// Immutable index built from a registry. Thread-safe for concurrent resolve()/explain().
/// Keeps the registry alive (shared ownership).
class location_resolver {
public:
    /// Builds the index. O(total prefix bytes); never fails for a registry that loaded.
    explicit location_resolver(std::shared_ptr<const store_registry> registry,
                               const resolver_options& options = {});
    ~location_resolver();
    location_resolver(location_resolver&&) noexcept;
    location_resolver& operator=(location_resolver&&) noexcept;

    /// Resolves one URL. `scratch` holds the canonical form when it differs from the input;
    /// reusing one buffer makes resolve allocation-free once it has grown. Cost is linear in
    /// the URL's length and independent of the number of stores. Never throws (except
    /// std::bad_alloc growing scratch).
    resolution resolve(std::string_view url, std::string& scratch) const;

    /// Convenience overload with an internal buffer; canonical_url is then only valid until
    /// the next call on the same thread.
    resolution resolve(std::string_view url) const;

    /// The slow, descriptive form of resolve() for people (`imgstore resolve --explain`).
    explanation explain(std::string_view url) const;

    const store_registry& registry() const noexcept;
    const std::shared_ptr<const store_registry>& registry_ptr() const noexcept;

    /// Bytes held by the index (not the registry).
    std::size_t index_bytes() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace imgstore
