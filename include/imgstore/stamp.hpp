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

/// What the caller learned about one legacy cinder volume (from Cinder, asynchronously).
struct volume_answer {
    std::string volume_id;            ///< as listed in stamp_view::volume_lookups
    std::optional<std::string> type;  ///< nullopt: Cinder does not know the volume
};

/// One location as an image GET returns it: the URL (rewritten for a legacy cinder location
/// that got its store) and metadata['store'] after stamping (nullopt: still none).
struct stamped_location {
    std::string url;
    std::optional<std::string> store;
};

/// Everything one image GET needs from the library.
struct stamp_view {
    /// The image's locations in input order, as the response shows them.
    std::vector<stamped_location> locations;
    /// The changes to persist (each once) and the per-location reports.
    image_stamp stamp;
    /// Legacy `cinder://<volume>` ids (canonical, no userinfo, each once) whose volume type is
    /// needed and was not among the answers. Empty: the view is complete. Otherwise those
    /// locations are no_store/cinder_legacy in this view; the caller asks Cinder (without
    /// blocking a library call) and calls stamp_image() again with the answers, or serves this
    /// view as it is (every other change in it is final).
    std::vector<std::string> volume_lookups;
    bool complete() const noexcept { return volume_lookups.empty(); }
};

/// One call per image GET: stamp_locations() plus the view to return, without ever blocking
/// on a volume-type lookup: legacy cinder volumes whose type is not in `answers` are listed in
/// volume_lookups. Same stamping rules, thread safety and exceptions as stamp_locations();
/// O(locations x answers) beyond the resolves (an image has few of either).
[[nodiscard]] stamp_view stamp_image(const location_resolver& resolver,
                                     std::span<const location_ref> locations,
                                     std::span<const volume_answer> answers = {});

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
