// location_resolver: which store owns a location URL. Canonical, boundary-aware, longest-prefix
// matching over every store's URL prefixes, at a per-URL cost independent of the store count.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/reason.hpp"
#include "imgstore/registry.hpp"

namespace imgstore {

/// Result of one resolve. Views point into the registry (store) or into the input URL or the
/// caller's scratch buffer (canonical_url): they live until either is changed or destroyed.
struct resolution {
    resolve_status status = resolve_status::invalid;
    reason_code reason = reason_code::none;
    const store* owner = nullptr;  ///< set iff matched
    /// Canonical form without userinfo (doc/canonical-form.md): set when matched and when
    /// no_store after canonicalisation; empty when invalid and for unknown_scheme. It keeps the
    /// URL's own scheme (`s3://` stays `s3://` even when the owner's prefix is `s3+https://`).
    std::string_view canonical_url;
    bool has_credentials = false;  ///< the input carried userinfo (never copied anywhere)
};

/// What explain() adds: the canonical form and every prefix that was looked up, longest first.
/// No field ever holds the URL's userinfo.
struct explanation {
    resolve_status status = resolve_status::invalid;  ///< as resolve()
    reason_code reason = reason_code::none;           ///< as resolve()
    std::string store_id;                             ///< the owner's id when matched
    /// The canonical form whenever canonicalisation succeeded (also for store_root and
    /// empty_segment, unlike resolution::canonical_url); empty otherwise.
    std::string canonical_url;
    /// The canonical URL with its scheme family instead of its scheme and without its query
    /// (`file:///a/b` for `filesystem:///a/b`): what prefixes are compared with.
    std::string match_key;
    /// Candidate prefixes probed (match-key form, each ending with '/'), longest first. Only
    /// boundary depths that some prefix of the family has are probed; the deepest candidate
    /// may be the whole key plus '/' (the store_root probe). Empty for http URLs.
    std::vector<std::string> considered;
    /// Every candidate that belongs to a store, longest first, as "<store id> <prefix>"; the
    /// first one decides unless the rules after matching apply (dsName, swift user). For http
    /// URLs, one line per http store.
    std::vector<std::string> hits;
};

/// Resolver settings.
struct resolver_options {
    /// Longer URLs are invalid (too_long); checked before anything else. Inclusive.
    std::size_t max_url_bytes = 8u << 10;
};

/// Which store owns a location URL (semantics.md section 3). The URL is canonicalised, then the
/// longest store prefix ending at a '/' boundary of its match key wins; the object part after
/// it must be non-empty (else invalid/store_root). Then: several vmware stores sharing the
/// prefix are told apart by the `dsName` query value (none or unknown: no_store/ambiguous); a
/// swift store with a user requires the URL's userinfo user, when there is one, to be it
/// (else no_store/user_mismatch). http(s) URLs go to the single http store (two or more:
/// no_store/ambiguous). A legacy `cinder://<volume uuid>` that no prefix covers is
/// no_store/cinder_legacy. Unresolvable stores are never matched; the answer never depends on
/// the order of `enabled_backends`. Resolution is not authorisation.
///
/// Immutable index built from a registry. Thread-safe for concurrent resolve()/explain().
/// Keeps the registry alive (shared ownership). Reason codes: doc/reason-codes.md.
class location_resolver {
  public:
    /// Builds the index: a bucketed hash table of every resolvable store's prefixes.
    /// O(total prefix bytes). Throws std::invalid_argument when `registry` is null (a load that
    /// failed: check load_result::ok() first), std::bad_alloc; never fails otherwise.
    explicit location_resolver(std::shared_ptr<const store_registry> registry,
                               const resolver_options& options = {});
    ~location_resolver();
    /// Moves the index; a moved-from resolver may only be destroyed or assigned to.
    location_resolver(location_resolver&&) noexcept;
    location_resolver& operator=(location_resolver&&) noexcept;

    /// Resolves one URL. `scratch` holds the canonical form when it differs from the input;
    /// reusing one buffer makes resolve allocation-free once it has grown, and an already
    /// canonical URL is never copied (canonical_url views `url`). Cost is linear in
    /// the URL's length and independent of the number of stores. Never throws (except
    /// std::bad_alloc growing scratch).
    [[nodiscard]] resolution resolve(std::string_view url, std::string& scratch) const;

    /// Convenience overload with an internal thread_local buffer; canonical_url is then only
    /// valid until the next call on the same thread (and while `url` lives).
    [[nodiscard]] resolution resolve(std::string_view url) const;

    /// The slow, descriptive form of resolve() for people (`imgstore resolve --explain`): same
    /// status, reason and store, plus the canonical form and the probes. Allocates; never
    /// throws except std::bad_alloc.
    [[nodiscard]] explanation explain(std::string_view url) const;

    /// The registry the index was built from; lives as long as this resolver.
    [[nodiscard]] const store_registry& registry() const noexcept;
    /// The same registry, shared (never null).
    [[nodiscard]] const std::shared_ptr<const store_registry>& registry_ptr() const noexcept;

    /// Bytes held by the index (hash table, prefix bytes, owner groups), not the registry.
    /// About 70-125 bytes per prefix.
    [[nodiscard]] std::size_t index_bytes() const noexcept;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace imgstore
