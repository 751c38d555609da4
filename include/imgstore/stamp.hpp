// Stamping: the seed's "update the location metadata on GET". For an image's locations, sets
// metadata['store'] on those that need one and reports every change for the caller to save once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/resolver.hpp"

namespace imgstore {

/// One location as the caller holds it: its URL and its current metadata['store'].
/// `store` is nullopt when the key is missing; an empty string counts as missing.
struct location_ref {
    std::string_view url;
    std::optional<std::string_view> store;
};

/// What happened to one location.
enum class stamp_outcome {
    stamped,      ///< store was missing or stale and is now set (change listed)
    already_set,  ///< names a known store that the URL agrees with (or cannot contradict)
    mismatch,     ///< names a known store but the URL resolves to another: reported, not fixed
    no_store,     ///< needed a store, none owns the URL (reason says why)
    invalid,      ///< needed a store, the URL is invalid (reason says why)
};

[[nodiscard]] std::string_view to_string(stamp_outcome o) noexcept;

/// One change for the caller to save.
struct location_change {
    std::size_t index = 0;                 ///< position in the image's location list
    std::optional<std::string> old_store;  ///< the stale id replaced, if any
    std::string new_store;
    std::optional<std::string> new_url;  ///< set when the URL was rewritten (legacy cinder)
};

/// Per-location report, in input order.
struct location_report {
    stamp_outcome outcome = stamp_outcome::already_set;
    reason_code reason = reason_code::none;
    std::string resolved_store;  ///< for mismatch: the store the URL resolves to
};

/// The result for one image: empty `changes` means nothing to save.
struct image_stamp {
    std::vector<location_change> changes;
    std::vector<location_report> locations;
};

/// Maps a cinder volume id to its volume type (the service asks Cinder); nullopt when unknown.
/// Called only for legacy `cinder://<volume>` URLs that need a store. Must be safe to call from
/// whichever thread calls stamp_locations().
using volume_type_lookup = std::function<std::optional<std::string>(std::string_view volume_id)>;

struct stamp_options {
    volume_type_lookup volume_type_of;  ///< empty: legacy cinder URLs stay no_store
};

/// Stamps one image's locations (semantics.md section 4): a location needs a store when its
/// store is missing, empty or not in the registry; a matched one gets the store; a location
/// naming a known store is never changed (a different resolution is reported as mismatch).
/// Idempotent: applying the changes and stamping again yields no changes. Thread-safe for
/// concurrent calls on one resolver. Never throws except std::bad_alloc. O(total URL bytes)
/// for the resolves, plus, for each legacy cinder location, one volume_type_of call and a scan
/// of the stores (O(stores)).
[[nodiscard]] image_stamp stamp_locations(const location_resolver& resolver,
                                          std::span<const location_ref> locations,
                                          const stamp_options& options = {});

/// Running totals over many images (for summaries).
struct stamp_totals {
    std::uint64_t images = 0;
    std::uint64_t locations = 0;
    std::uint64_t stamped = 0;
    std::uint64_t already_set = 0;
    std::uint64_t no_store = 0;
    std::uint64_t invalid = 0;
    std::uint64_t mismatch = 0;
    std::uint64_t rewritten = 0;  ///< of the stamped, how many had their URL rewritten

    void add(const image_stamp& s) noexcept;
};

}  // namespace imgstore
