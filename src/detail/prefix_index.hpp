// The resolver's prefix index: an open-addressing table of canonical prefix match keys (scheme
// family + authority/path, ending with '/'), probed at each '/' boundary of a URL's match key,
// longest first. The per-URL cost depends on the URL's length, never on the number of prefixes.
// Benchmarks and fuzzers may use this header directly (it is internal, not installed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detail/canonical_url.hpp"

namespace imgstore::detail {

/// One prefix to index. `key` is the prefix without its scheme and "://" (authority and path),
/// canonical and ending with '/'; `owner` is the caller's number for the store owning it.
struct prefix_entry {
    scheme_family_id family = scheme_family_id::file;
    std::string_view key;
    std::uint32_t owner = 0;
};

/// The incremental hash of match keys. A key is folded segment by segment, each segment being
/// the bytes up to and including a '/'; the state after a segment is the key's hash up to that
/// boundary, so one left-to-right pass yields the hash of every boundary prefix.
class key_hash {
  public:
    explicit key_hash(scheme_family_id family) noexcept;
    /// Folds `segment` followed by a '/' (the '/' is implied: pass the bytes before it).
    void add_segment(std::string_view segment) noexcept;
    /// The value stored in and probed against the table.
    std::uint64_t value() const noexcept;

  private:
    std::uint64_t state_;
};

/// A probe's answer: how many bytes of the key the prefix covers (its length including the
/// final '/'; key.size() + 1 for the implicit end boundary) and who owns it.
struct prefix_match {
    std::size_t length = 0;
    std::span<const std::uint32_t> owners;  ///< empty when nothing matched
    explicit operator bool() const noexcept { return !owners.empty(); }
};

/// One boundary looked at by probe_all(), for explanations.
struct prefix_probe {
    std::size_t length = 0;  ///< bytes of key + implied '/' (see prefix_match)
    bool probed = false;     ///< false when no prefix of the family has this depth
    std::span<const std::uint32_t> owners;
};

/// Immutable after construction; every const member is safe to call from many threads.
class prefix_index {
  public:
    prefix_index() = default;

    /// Builds the table. Entries with the same family and key are kept together (their owners
    /// are returned as one group, in entry order). O(total key bytes). Keys must be non-empty,
    /// end with '/', and be at most 4 GiB in total.
    explicit prefix_index(std::span<const prefix_entry> entries);

    /// The longest indexed prefix of `key` for `family` that ends at a '/' of `key`; with
    /// `implicit_end`, `key + "/"` is a candidate too (the deepest one). Never allocates.
    /// Cost: one pass over `key` plus one table probe per boundary depth some prefix of the
    /// family has (one more pass per 64 boundaries beyond the 64 deepest, rare).
    prefix_match longest(scheme_family_id family,
                         std::string_view key,
                         bool implicit_end) const noexcept;

    /// Every boundary of `key` (and the implicit end), longest first, with what the table
    /// holds there; slow and allocating, for explanations and tests.
    std::vector<prefix_probe> probe_all(scheme_family_id family,
                                        std::string_view key,
                                        bool implicit_end) const;

    /// Number of distinct (family, key) prefixes indexed.
    std::size_t size() const noexcept { return count_; }

    /// Bytes held by the table, the key arena and the owner groups.
    std::size_t bytes() const noexcept;

  private:
    struct slot {
        std::uint64_t hash = 0;
        std::uint32_t key_offset = 0;
        std::uint32_t key_length = 0;  // 0: empty slot
        std::uint32_t owner = 0;       // the owner; for a group, where it starts in groups_
        std::uint8_t family = 0;
        bool grouped = false;  // groups_[owner] is the count, the owners follow
    };

    const slot* find(std::uint64_t hash,
                     scheme_family_id family,
                     std::string_view key,
                     std::size_t length) const noexcept;
    std::span<const std::uint32_t> owners_of(const slot& s) const noexcept;
    bool may_have(scheme_family_id family, std::size_t depth) const noexcept;

    std::vector<slot> slots_;
    std::uint64_t mask_ = 0;
    std::string arena_;
    std::vector<std::uint32_t> groups_;
    std::size_t count_ = 0;
    // Per family: bit d set when some prefix has d '/' (bit 63: 63 or more); the deepest depth.
    std::uint64_t depth_bits_[8] = {};
    std::uint32_t max_depth_[8] = {};
};

}  // namespace imgstore::detail
