// The resolver's prefix index: an open-addressing table of canonical prefix match keys (scheme
// family + authority/path, ending with '/'), probed at each '/' boundary of a URL's match key,
// longest first. The per-URL cost depends on the URL's length, never on the number of prefixes.
// Benchmarks and fuzzers may use this header directly (it is internal, not installed).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
/// Inline (the resolver folds a few segments per URL; a call each would cost as much).
class key_hash {
  public:
    explicit key_hash(scheme_family_id family) noexcept
        : state_(seed ^ ((static_cast<std::uint64_t>(family) + 1) * family_mul)) {}

    /// Folds `segment` followed by a '/' (the '/' is implied: pass the bytes before it).
    void add_segment(std::string_view segment) noexcept {
        const char* p = segment.data();
        std::size_t n = segment.size();
        std::uint64_t h = state_;
        while (n >= 8) {
            std::uint64_t v;
            std::memcpy(&v, p, 8);
            h = round(h, v);
            p += 8;
            n -= 8;
        }
        // The tail (0-7 bytes) and the implied '/' as a length tag in the top byte.
        std::uint64_t v = static_cast<std::uint64_t>(n + 1) << 56;
        for (std::size_t i = 0; i < n; ++i) {
            v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
        }
        state_ = round(h, v);
    }

    /// Folds `key[from, to)` followed by a '/': the same state as
    /// add_segment(key.substr(from, to - from)), but the last 0-7 bytes are read as one word
    /// ending at `to` (inside `key` when to >= 8) instead of one byte at a time.
    void add_segment_of(std::string_view key, std::size_t from, std::size_t to) noexcept {
        if constexpr (std::endian::native != std::endian::little) {
            add_segment(key.substr(from, to - from));
        } else {
            if (to < 8) {
                add_segment(key.substr(from, to - from));
                return;
            }
            const char* p = key.data();
            std::uint64_t h = state_;
            std::size_t i = from;
            for (; i + 8 <= to; i += 8) {
                std::uint64_t v;
                std::memcpy(&v, p + i, 8);
                h = round(h, v);
            }
            const std::size_t r = to - i;  // 0-7 tail bytes, the last ones of the word
            std::uint64_t w;
            std::memcpy(&w, p + to - 8, 8);
            const std::uint64_t tail = (w >> 8) >> (56 - 8 * r);  // 0 when r == 0
            state_ = round(h, tail | (static_cast<std::uint64_t>(r + 1) << 56));
        }
    }

    /// The value stored in and probed against the table.
    std::uint64_t value() const noexcept { return finish(state_); }

    /// The state after the segments folded so far (value() is finish() of it).
    std::uint64_t state() const noexcept { return state_; }

    /// MurmurHash3's finaliser: spreads a state into the low bits the table index uses.
    static std::uint64_t finish(std::uint64_t h) noexcept {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDull;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53ull;
        return h ^ (h >> 33);
    }

  private:
    static constexpr std::uint64_t seed = 0x9E3779B97F4A7C15ull;
    static constexpr std::uint64_t family_mul = 0x94D049BB133111EBull;
    static constexpr std::uint64_t round_mul = 0xBF58476D1CE4E5B9ull;

    static std::uint64_t round(std::uint64_t h, std::uint64_t v) noexcept {
        h = (h ^ v) * round_mul;
        return h ^ (h >> 32);
    }

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

    // Inline (defined in prefix_index.cpp, the only user): probed once or more per URL.
    inline const slot* find(std::uint64_t hash,
                            scheme_family_id family,
                            std::string_view key,
                            std::size_t length) const noexcept;
    inline std::span<const std::uint32_t> owners_of(const slot& s) const noexcept;
    inline bool may_have(scheme_family_id family, std::size_t depth) const noexcept;

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
