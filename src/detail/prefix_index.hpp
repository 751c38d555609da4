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
    std::uint32_t owner = 0;  ///< below 2^31
};

/// The hash of a boundary prefix: `key[0, m)` for the family, where key[m] is the boundary's
/// '/' (or the end of the key, for the implicit boundary). A sum of 8-byte words times their
/// own multipliers: for 16 <= m <= 48 six overlapping words in a fixed pattern, otherwise the
/// full words of key[0, m) and its last m % 8 bytes; then m, and one multiplication to finish.
/// `size` is key's size (>= m): words are read inside the key, never past it.
std::uint64_t prefix_hash(scheme_family_id family,
                          const char* key,
                          std::size_t size,
                          std::size_t m) noexcept;

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
    /// end with '/', be shorter than 16 MiB and take at most 16 GiB in total, and owners be
    /// below 2^31 (std::length_error otherwise).
    explicit prefix_index(std::span<const prefix_entry> entries);

    /// The longest indexed prefix of `key` for `family` that ends at one of the key's
    /// boundaries, given as the canonicaliser records them (canonical_url::boundary_bits): bit
    /// m for a '/' at key[m], bit key.size() for the implicit end (the candidate `key + "/"`,
    /// the deepest one). Needs key.size() <= canonical_url::max_bits_key. Never allocates. The
    /// cost is one pass over the key up to its deepest candidate plus one table probe per
    /// candidate whose length some prefix of the family has.
    prefix_match longest(scheme_family_id family,
                         std::string_view key,
                         const std::uint64_t (&boundaries)[2]) const noexcept;

    /// The same, finding the boundaries itself, for keys of any length; `implicit_end` adds
    /// key + "/" when the key does not end with '/'. Keys longer than
    /// canonical_url::max_bits_key take a slower walk.
    prefix_match longest(scheme_family_id family,
                         std::string_view key,
                         bool implicit_end) const noexcept;

    /// Every boundary of `key` (and the implicit end), longest first, with what the table
    /// holds there; slow and allocating, for explanations and tests. (It probes every depth
    /// some prefix of the family has; longest() also skips lengths no prefix has.)
    std::vector<prefix_probe> probe_all(scheme_family_id family,
                                        std::string_view key,
                                        bool implicit_end) const;

    /// Number of distinct (family, key) prefixes indexed.
    std::size_t size() const noexcept { return count_; }

    /// Bytes held by the table (blocks and overflow area) and the owner groups.
    std::size_t bytes() const noexcept;

  private:
    // The table is made of blocks of five cache lines, one per bucket: a header line of eight
    // checks and their records' offsets, then room for the records of the bucket's keys
    // (256 bytes; a record that does not fit goes to the overflow area after the blocks). A
    // probe compares the eight checks at once, so its cost does not grow with the number of
    // colliding prefixes; and the record it then reads is nearly always in the same block,
    // most often in the line after the header, which is fetched with it. A bucket overflows into
    // the next only when its eight slots are taken (a few percent of them: at most six prefixes per
    // bucket on average); slots fill in order, so a bucket is full when its last slot is taken.
    static constexpr std::size_t bucket_slots = 8;
    static constexpr std::size_t line_words = 16;
    static constexpr std::size_t block_lines = 5;
    static constexpr std::size_t block_words = block_lines * line_words;
    struct alignas(64) line {
        std::uint32_t word[line_words] = {};
    };
    // In a header line: word j < 8 is slot j's check, the hash's low half with its low bit set
    // (0 marks an empty slot; the high bits of the hash chose the bucket); word 8 + j is the
    // offset of slot j's record in the table's words.
    //
    // A record: two header words, then the key's bytes padded to 4. The shape word is the
    // key's length and its family (one comparison tells both); the owner word is the owner, or
    // for a group (grouped_bit set) where it starts in groups_ (the count, then the owners).
    enum : std::size_t { record_shape, record_owner, record_header };
    static constexpr unsigned family_shift = 24;  // keys are shorter than 16 MiB
    static constexpr std::uint32_t grouped_bit = 1u << 31;
    static constexpr std::uint32_t shape(scheme_family_id family, std::size_t length) noexcept {
        return static_cast<std::uint32_t>(length) | static_cast<std::uint32_t>(family)
                                                        << family_shift;
    }

    // Inline (defined in prefix_index.cpp, the only user): probed once or more per URL.
    inline std::size_t bucket_of(std::uint64_t hash) const noexcept;
    static inline std::uint32_t check_of(std::uint64_t hash) noexcept;
    // The slots of a bucket holding `check`, a bit each.
    static inline unsigned matches(const std::uint32_t* header, std::uint32_t check) noexcept;
    const std::uint32_t* words() const noexcept {
        return reinterpret_cast<const std::uint32_t*>(table_.data());
    }
    inline const std::uint32_t* find(std::uint64_t hash,
                                     scheme_family_id family,
                                     std::string_view key,
                                     std::size_t m) const noexcept;
    inline std::span<const std::uint32_t> owners_of(const std::uint32_t* record) const noexcept;
    // Some prefix of the family has `depth` '/'s.
    inline bool may_have(scheme_family_id family, std::size_t depth) const noexcept;
    prefix_match longest_by_walk(scheme_family_id family,
                                 std::string_view key,
                                 bool implicit_end) const noexcept;

    std::vector<line> table_;  // the blocks, then the overflow area
    std::uint64_t mask_ = 0;   // buckets - 1
    unsigned shift_ = 63;      // 64 - log2(buckets): a hash's top bits pick its bucket
    std::vector<std::uint32_t> groups_;
    std::size_t count_ = 0;
    // Per family: bit d set when some prefix has d '/' (bit 63: 63 or more); the deepest depth.
    std::uint64_t depth_bits_[8] = {};
    std::uint32_t max_depth_[8] = {};
    // Per family: bit L set when some prefix is L bytes long (bit 127: 127 or more). A candidate
    // of another length needs no probe: most URLs then probe only the prefix that owns them.
    std::uint64_t length_bits_[8][2] = {};
    // The same shifted to boundary offsets: bit m when some prefix is m + 1 bytes long (bit
    // 127: 127 or more), to be and-ed with a key's boundary bits.
    std::uint64_t candidate_bits_[8][2] = {};
    inline bool may_have_length(std::size_t f, std::size_t length) const noexcept;
};

}  // namespace imgstore::detail
