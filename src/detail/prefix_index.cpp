#include "detail/prefix_index.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace imgstore::detail {
namespace {

constexpr std::size_t family_count = 8;
// Candidates the bit-set form of longest() hashes on the stack: at most one per bit.
constexpr std::size_t max_candidates = 128;
static_assert(canonical_url::max_bits_key < max_candidates);

constexpr std::uint64_t seed = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t family_mul = 0x94D049BB133111EBull;
constexpr std::uint64_t length_mul = 0xBF58476D1CE4E5B9ull;

inline std::size_t family_index(scheme_family_id f) noexcept { return static_cast<std::size_t>(f); }

inline std::size_t depth_bit(std::size_t depth) noexcept {
    return std::min<std::size_t>(depth, 63);
}

// The hash state is a sum of independent products, word i times its own odd multiplier: no
// chain of dependent multiplications, so the words of a key are folded in parallel. (Linear,
// so easy to collide on purpose; a collision only costs the byte comparison that follows.)
constexpr std::array<std::uint64_t, 64> make_word_keys() {
    std::array<std::uint64_t, 64> keys{};
    std::uint64_t state = seed;
    for (std::uint64_t& k : keys) {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);  // splitmix64
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        k = (z ^ (z >> 31)) | 1;
    }
    return keys;
}
constexpr auto word_keys = make_word_keys();

inline std::uint64_t initial(scheme_family_id f) noexcept {
    return (static_cast<std::uint64_t>(f) + 1) * family_mul;
}

// Word i of a key (reused every 64 words: past 512 bytes a swap of words 64 apart collides).
inline std::uint64_t mix(std::uint64_t h, std::uint64_t v, std::size_t i) noexcept {
    return h + v * word_keys[i % word_keys.size()];
}

// The state's high half, where every byte of the key has reached through the products, is
// folded onto its low half and multiplied once: the high bits of the result choose the
// bucket, the low half is the check. One multiplication, not a full finaliser's two: it is on
// every probe's critical path, and a collision costs only a comparison.
inline std::uint64_t finish(std::uint64_t h) noexcept {
    return (h ^ (h >> 32)) * 0xFF51AFD7ED558CCDull;
}

inline std::uint64_t load_word(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// The last m % 8 bytes of key[0, m) as a little-endian number, 0 when m % 8 == 0. One load
// inside the key where the byte order allows it; the byte loop gives the same value.
inline std::uint64_t tail_word(const char* key, std::size_t size, std::size_t m) noexcept {
    const std::size_t r = m % 8;
    if constexpr (std::endian::native == std::endian::little) {
        // The word ending at m, shifted down to its last r bytes (two shifts: r may be 0).
        if (m >= 8) return (load_word(key + m - 8) >> 8) >> (56 - 8 * r);
        if (size >= 8) return load_word(key) & ((std::uint64_t{1} << (8 * r)) - 1);
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < r; ++i) {
        v |= static_cast<std::uint64_t>(static_cast<unsigned char>(key[m - r + i])) << (8 * i);
    }
    return v;
}

// The last round of prefix_hash(): the tail bytes and the length.
inline std::uint64_t close(std::uint64_t h, const char* key, std::size_t size, std::size_t m) {
    return finish(mix(h, tail_word(key, size, m), m / 8) + (m + 1) * length_mul);
}

// Keys of 16 to 48 bytes, the common case, are read as six overlapping words in a fixed
// pattern (hashed) or three overlapping 16-byte blocks (compared): bytes [0, 16), [mid,
// mid + 16) and [m - 16, m) cover them all, with no loop whose trip count depends on the key's
// length, and so on the URL's type (such a loop's exit was mispredicted on most URLs).
constexpr std::size_t fixed_min = 16, fixed_max = 48;
inline std::size_t fixed_mid(std::size_t m) noexcept { return m >= 32 ? 16 : m - 16; }

// a[0, n) == b[0, n) (keys are a few dozen bytes: no memcmp call).
inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
#if defined(__SSE2__)
    if (n >= fixed_min && n <= fixed_max) {
        const auto equal = [&](std::size_t at) {
            return _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + at)),
                                  _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + at)));
        };
        const __m128i all =
            _mm_and_si128(_mm_and_si128(equal(0), equal(fixed_mid(n))), equal(n - 16));
        return _mm_movemask_epi8(all) == 0xFFFF;
    }
#endif
    if (n < 8) {
        for (std::size_t i = 0; i < n; ++i) {
            if (a[i] != b[i]) return false;
        }
        return true;
    }
    std::size_t i = 0;
    for (; i + 8 < n; i += 8) {
        if (load_word(a + i) != load_word(b + i)) return false;
    }
    return load_word(a + n - 8) == load_word(b + n - 8);  // the last word, overlapping
}

// The offset of the first '/' in key[from, end), or key.size(): eight bytes at a time.
inline std::size_t find_slash(std::string_view key, std::size_t from) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    const char* p = key.data();
    const std::size_t n = key.size();
    std::size_t i = from;
    if constexpr (std::endian::native == std::endian::little) {
        for (; i + 8 <= n; i += 8) {
            const std::uint64_t x = load_word(p + i) ^ (ones * '/');
            // The lowest set bit marks the first zero byte of x, the first '/' of the word.
            const std::uint64_t z = (x - ones) & ~x & (ones << 7);
            if (z != 0) return i + static_cast<std::size_t>(std::countr_zero(z)) / 8;
        }
    }
    for (; i < n; ++i) {
        if (p[i] == '/') return i;
    }
    return n;
}

// The key has an implicit end boundary: asked for, and its last segment is not empty.
inline bool has_implicit_end(std::string_view key, bool implicit_end) noexcept {
    return implicit_end && !key.empty() && key.back() != '/';
}

}  // namespace

std::uint64_t prefix_hash(scheme_family_id family,
                          const char* key,
                          std::size_t size,
                          std::size_t m) noexcept {
    std::uint64_t h = initial(family);
    if (m >= fixed_min && m <= fixed_max) {
        const std::size_t mid = fixed_mid(m);
        h += load_word(key) * word_keys[0] + load_word(key + 8) * word_keys[1] +
             load_word(key + mid) * word_keys[2] + load_word(key + mid + 8) * word_keys[3] +
             load_word(key + m - 16) * word_keys[4] + load_word(key + m - 8) * word_keys[5];
        return finish(h + (m + 1) * length_mul);
    }
    for (std::size_t i = 0; i + 8 <= m; i += 8) h = mix(h, load_word(key + i), i / 8);
    return close(h, key, size, m);
}

prefix_index::prefix_index(std::span<const prefix_entry> entries) {
    std::size_t total = 0;  // record words
    for (const prefix_entry& e : entries) {
        if (e.key.size() >= (std::size_t{1} << family_shift) || (e.owner & grouped_bit) != 0) {
            throw std::length_error("prefix_index: a prefix of 16 MiB or more, or owner >= 2^31");
        }
        total += record_header + (e.key.size() + 3) / 4;
    }
    // At most six prefixes per bucket on average (and at least two buckets): few buckets
    // overflow, and the table stays small enough to stay in the cache while URLs stream by.
    const std::size_t buckets = std::bit_ceil(std::max<std::size_t>(2, (entries.size() + 5) / 6));
    if (total + buckets * block_words >= std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("prefix_index: prefixes exceed 16 GiB");
    }
    mask_ = buckets - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(buckets));

    // Slots first: each distinct (family, key) takes a slot of its bucket (or of the next
    // bucket that is not full); a repeat adds its owner to the first one's.
    struct distinct {
        const prefix_entry* entry;
        std::vector<std::uint32_t> more_owners;
    };
    std::vector<distinct> keys;
    std::vector<std::uint32_t> checks(buckets * bucket_slots, 0), slot_key(checks.size(), 0);
    for (const prefix_entry& e : entries) {
        if (e.key.empty() || e.key.back() != '/') continue;  // not a prefix: never matches
        const std::uint64_t hash =
            prefix_hash(e.family, e.key.data(), e.key.size(), e.key.size() - 1);
        const std::uint32_t check = check_of(hash);
        std::size_t at = bucket_of(hash) * bucket_slots;
        bool repeat = false;
        for (;; at = (at + bucket_slots) & (checks.size() - 1)) {
            std::size_t j = 0;
            for (; j < bucket_slots && checks[at + j] != 0; ++j) {
                const prefix_entry& other = *keys[slot_key[at + j]].entry;
                if (checks[at + j] == check && other.family == e.family && other.key == e.key) {
                    keys[slot_key[at + j]].more_owners.push_back(e.owner);
                    repeat = true;
                    break;
                }
            }
            if (repeat || j < bucket_slots) {
                at += j;
                break;
            }
        }
        if (repeat) continue;
        checks[at] = check;
        slot_key[at] = static_cast<std::uint32_t>(keys.size());
        keys.push_back({&e, {}});
        const std::size_t f = family_index(e.family);
        const auto depth = static_cast<std::size_t>(std::count(e.key.begin(), e.key.end(), '/'));
        depth_bits_[f] |= std::uint64_t{1} << depth_bit(depth);
        max_depth_[f] = std::max(max_depth_[f], static_cast<std::uint32_t>(depth));
        const std::size_t length = std::min<std::size_t>(e.key.size(), 127);
        length_bits_[f][length / 64] |= std::uint64_t{1} << (length % 64);
    }
    count_ = keys.size();
    for (std::size_t f = 0; f < family_count; ++f) {
        // Boundary m stands for a prefix of m + 1 bytes (bit 127: 127 bytes and more).
        candidate_bits_[f][0] = length_bits_[f][0] >> 1 | length_bits_[f][1] << 63;
        candidate_bits_[f][1] = length_bits_[f][1] >> 1 | (length_bits_[f][1] & (1ull << 63));
    }

    // Then the records: in their bucket's block while there is room, else after the blocks.
    std::vector<std::size_t> offsets(checks.size(), 0);  // of each slot's record, in words
    std::size_t end = buckets * block_words;
    for (std::size_t b = 0; b < buckets; ++b) {
        std::size_t room = line_words;  // the block's next free word
        for (std::size_t j = 0; j < bucket_slots && checks[b * bucket_slots + j] != 0; ++j) {
            const std::size_t slot = b * bucket_slots + j;
            const std::size_t size =
                record_header + (keys[slot_key[slot]].entry->key.size() + 3) / 4;
            if (room + size <= block_words) {
                offsets[slot] = b * block_words + room;
                room += size;
            } else {
                offsets[slot] = end;
                end += size;
            }
        }
    }
    table_.resize((end + line_words - 1) / line_words);
    auto* w = reinterpret_cast<std::uint32_t*>(table_.data());
    for (std::size_t slot = 0; slot < checks.size(); ++slot) {
        if (checks[slot] == 0) continue;
        const distinct& k = keys[slot_key[slot]];
        const std::string_view key = k.entry->key;
        std::uint32_t* header = w + slot / bucket_slots * block_words;
        std::uint32_t* r = w + offsets[slot];
        header[slot % bucket_slots] = checks[slot];
        header[bucket_slots + slot % bucket_slots] = static_cast<std::uint32_t>(offsets[slot]);
        r[record_shape] = shape(k.entry->family, key.size());
        r[record_owner] = k.entry->owner;
        std::memcpy(r + record_header, key.data(), key.size());
        if (!k.more_owners.empty()) {
            // Several owners of one key (vmware stores told apart by datastore).
            const auto start = static_cast<std::uint32_t>(groups_.size());
            groups_.push_back(static_cast<std::uint32_t>(1 + k.more_owners.size()));
            groups_.push_back(k.entry->owner);
            groups_.insert(groups_.end(), k.more_owners.begin(), k.more_owners.end());
            r[record_owner] = start | grouped_bit;
        }
    }
    groups_.shrink_to_fit();
}

inline std::span<const std::uint32_t> prefix_index::owners_of(
    const std::uint32_t* record) const noexcept {
    const std::uint32_t owner = record[record_owner];
    if ((owner & grouped_bit) == 0) return {record + record_owner, 1};
    const std::uint32_t group = owner & ~grouped_bit;
    return {groups_.data() + group + 1, groups_[group]};
}

inline bool prefix_index::may_have(scheme_family_id family, std::size_t depth) const noexcept {
    const std::size_t f = family_index(family);
    return depth <= max_depth_[f] && ((depth_bits_[f] >> depth_bit(depth)) & 1) != 0;
}

inline std::size_t prefix_index::bucket_of(std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>(hash >> shift_);
}

inline std::uint32_t prefix_index::check_of(std::uint64_t hash) noexcept {
    return static_cast<std::uint32_t>(hash) | 1u;
}

inline unsigned prefix_index::matches(const std::uint32_t* header, std::uint32_t check) noexcept {
#if defined(__SSE2__)
    const __m128i c = _mm_set1_epi32(static_cast<int>(check));
    const auto lo = _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(header)), c);
    const auto hi =
        _mm_cmpeq_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(header + 4)), c);
    return static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(lo))) |
           static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(hi))) << 4;
#else
    unsigned bits = 0;
    for (std::size_t j = 0; j < bucket_slots; ++j) bits |= unsigned{header[j] == check} << j;
    return bits;
#endif
}

inline bool prefix_index::may_have_length(std::size_t f, std::size_t length) const noexcept {
    length = std::min<std::size_t>(length, 127);
    return ((length_bits_[f][length / 64] >> (length % 64)) & 1) != 0;
}

// The record of key[0, m) + '/' for the family, or null.
inline const std::uint32_t* prefix_index::find(std::uint64_t hash,
                                               scheme_family_id family,
                                               std::string_view key,
                                               std::size_t m) const noexcept {
    const std::uint32_t want = shape(family, m + 1);
    const std::uint32_t check = check_of(hash);
    const std::uint32_t* w = words();
    for (std::size_t i = bucket_of(hash);; i = (i + 1) & mask_) {
        const std::uint32_t* header = w + i * block_words;
        for (unsigned bits = matches(header, check); bits != 0; bits &= bits - 1) {
            const std::uint32_t* r =
                w + header[bucket_slots + static_cast<std::size_t>(std::countr_zero(bits))];
            // (every stored key ends with '/': comparing the first m bytes is enough)
            if (r[record_shape] == want &&
                same_bytes(reinterpret_cast<const char*>(r + record_header), key.data(), m)) {
                return r;
            }
        }
        if (header[bucket_slots - 1] == 0) return nullptr;  // not full: nothing further
    }
}

prefix_match prefix_index::longest(scheme_family_id family,
                                   std::string_view key,
                                   const std::uint64_t (&boundaries)[2]) const noexcept {
    const std::size_t f = family_index(family);
    if (f >= family_count) return {};
    // The candidates: boundaries where a prefix of the family could end (one of that length
    // exists). Their hashes first, each load started, then the probes, deepest first.
    std::uint64_t hashes[max_candidates];
    std::uint8_t offsets[max_candidates];
    std::size_t count = 0;
    for (std::size_t half = 0; half < 2; ++half) {
        for (std::uint64_t bits = boundaries[half] & candidate_bits_[f][half]; bits != 0;
             bits &= bits - 1) {
            const std::size_t m = 64 * half + static_cast<std::size_t>(std::countr_zero(bits));
            const std::uint64_t hash = prefix_hash(family, key.data(), key.size(), m);
            // The probes below miss the cache in large tables: start every load now, together.
            // (the header, and the line after it where the record nearly always is)
            const std::uint32_t* block = words() + bucket_of(hash) * block_words;
            __builtin_prefetch(block);
            __builtin_prefetch(block + line_words);
            hashes[count] = hash;
            offsets[count] = static_cast<std::uint8_t>(m);
            ++count;
        }
    }
    while (count > 0) {
        --count;
        const std::size_t m = offsets[count];
        if (const std::uint32_t* s = find(hashes[count], family, key, m)) {
            return {m + 1, owners_of(s)};
        }
    }
    return {};
}

prefix_match prefix_index::longest(scheme_family_id family,
                                   std::string_view key,
                                   bool implicit_end) const noexcept {
    const bool end = has_implicit_end(key, implicit_end);
    if (key.size() > canonical_url::max_bits_key) return longest_by_walk(family, key, end);
    std::uint64_t boundaries[2] = {0, 0};
    const auto add = [&](std::size_t at) { boundaries[at / 64] |= std::uint64_t{1} << (at % 64); };
    for (std::size_t i = find_slash(key, 0); i < key.size(); i = find_slash(key, i + 1)) add(i);
    if (end) add(key.size());
    return longest(family, key, boundaries);
}

// Keys too long for a bit set of boundaries: from the deepest boundary to the shallowest,
// hashing each probed prefix from scratch (O(key) per probe; such keys are rare).
prefix_match prefix_index::longest_by_walk(scheme_family_id family,
                                           std::string_view key,
                                           bool implicit_end) const noexcept {
    std::size_t depth = static_cast<std::size_t>(std::count(key.begin(), key.end(), '/'));
    if (has_implicit_end(key, implicit_end) && may_have(family, depth + 1) &&
        may_have_length(family_index(family), key.size() + 1)) {
        const std::uint64_t hash = prefix_hash(family, key.data(), key.size(), key.size());
        if (const std::uint32_t* s = find(hash, family, key, key.size())) {
            return {key.size() + 1, owners_of(s)};
        }
    }
    for (std::size_t m = key.size(); depth > 0; --depth) {
        m = key.rfind('/', m - 1);  // the depth-th '/'
        if (!may_have(family, depth) || !may_have_length(family_index(family), m + 1)) continue;
        if (const std::uint32_t* s =
                find(prefix_hash(family, key.data(), key.size(), m), family, key, m)) {
            return {m + 1, owners_of(s)};
        }
    }
    return {};
}

std::vector<prefix_probe> prefix_index::probe_all(scheme_family_id family,
                                                  std::string_view key,
                                                  bool implicit_end) const {
    std::vector<prefix_probe> out;
    const bool known = family_index(family) < family_count;
    std::size_t depth = 0;
    auto probe = [&](std::size_t m) {
        prefix_probe p{m + 1, known && may_have(family, ++depth), {}};
        if (p.probed) {
            const std::uint64_t hash = prefix_hash(family, key.data(), key.size(), m);
            if (const std::uint32_t* s = find(hash, family, key, m)) p.owners = owners_of(s);
        }
        out.push_back(p);
    };
    for (std::size_t i = find_slash(key, 0); i < key.size(); i = find_slash(key, i + 1)) probe(i);
    if (has_implicit_end(key, implicit_end)) probe(key.size());
    std::reverse(out.begin(), out.end());
    return out;
}

std::size_t prefix_index::bytes() const noexcept {
    return sizeof(*this) + table_.capacity() * sizeof(line) +
           groups_.capacity() * sizeof(std::uint32_t);
}

}  // namespace imgstore::detail
