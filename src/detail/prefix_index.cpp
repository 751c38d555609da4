#include "detail/prefix_index.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

namespace imgstore::detail {
namespace {

constexpr std::size_t ring = 64;  // boundary hashes kept per pass (on the stack)
constexpr std::size_t families = 8;

inline std::size_t family_index(scheme_family_id f) noexcept { return static_cast<std::size_t>(f); }

inline std::size_t depth_bit(std::size_t depth) noexcept {
    return std::min<std::size_t>(depth, 63);
}

// The offset of the first '/' in key[from, end), or key.size(): eight bytes at a time (no
// memchr call for segments of a few bytes).
inline std::size_t find_slash(std::string_view key, std::size_t from) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    const char* p = key.data();
    const std::size_t n = key.size();
    std::size_t i = from;
    if constexpr (std::endian::native == std::endian::little) {
        for (; i + 8 <= n; i += 8) {
            std::uint64_t v;
            std::memcpy(&v, p + i, 8);
            const std::uint64_t x = v ^ (ones * '/');
            // The lowest set bit marks the first zero byte of x, the first '/' of v.
            const std::uint64_t z = (x - ones) & ~x & (ones << 7);
            if (z != 0) return i + static_cast<std::size_t>(std::countr_zero(z)) / 8;
        }
    }
    for (; i < n; ++i) {
        if (p[i] == '/') return i;
    }
    return n;
}

}  // namespace

prefix_index::prefix_index(std::span<const prefix_entry> entries) {
    std::size_t total = 0;
    for (const prefix_entry& e : entries) total += e.key.size();
    if (total > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("prefix_index: prefixes exceed 4 GiB");
    }
    // Load factor at most 2/3 keeps linear probing short.
    const std::size_t want = std::max<std::size_t>(16, entries.size() + entries.size() / 2 + 1);
    slots_.resize(std::bit_ceil(want));
    mask_ = slots_.size() - 1;
    arena_.reserve(total);

    std::vector<std::pair<std::size_t, std::uint32_t>> extra;  // (slot, owner) of repeats
    for (const prefix_entry& e : entries) {
        if (e.key.empty() || e.key.back() != '/') continue;  // not a prefix: never matches
        key_hash h(e.family);
        std::size_t depth = 0;
        for (std::size_t pos = 0; pos < e.key.size();) {
            std::size_t slash = e.key.find('/', pos);
            h.add_segment(e.key.substr(pos, slash - pos));
            pos = slash + 1;
            ++depth;
        }
        const std::uint64_t hash = h.value();
        const auto fam = static_cast<std::uint8_t>(e.family);
        std::size_t i = hash & mask_;
        bool repeat = false;
        while (slots_[i].key_length != 0) {
            const slot& s = slots_[i];
            if (s.hash == hash && s.family == fam && s.key_length == e.key.size() &&
                std::memcmp(arena_.data() + s.key_offset, e.key.data(), e.key.size()) == 0) {
                extra.emplace_back(i, e.owner);
                repeat = true;
                break;
            }
            i = (i + 1) & mask_;
        }
        if (repeat) continue;
        slot& s = slots_[i];
        s.hash = hash;
        s.key_offset = static_cast<std::uint32_t>(arena_.size());
        s.key_length = static_cast<std::uint32_t>(e.key.size());
        s.owner = e.owner;
        s.family = fam;
        arena_.append(e.key);
        ++count_;
        const std::size_t f = family_index(e.family);
        depth_bits_[f] |= std::uint64_t{1} << depth_bit(depth);
        max_depth_[f] = std::max(max_depth_[f], static_cast<std::uint32_t>(depth));
    }
    // Several owners of one key (vmware stores told apart by datastore): one group each.
    std::stable_sort(extra.begin(), extra.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t k = 0; k < extra.size();) {
        slot& s = slots_[extra[k].first];
        const auto start = static_cast<std::uint32_t>(groups_.size());
        groups_.push_back(0);
        groups_.push_back(s.owner);
        for (; k < extra.size() && &slots_[extra[k].first] == &s; ++k) {
            groups_.push_back(extra[k].second);
        }
        groups_[start] = static_cast<std::uint32_t>(groups_.size() - start - 1);
        s.owner = start;
        s.grouped = true;
    }
    groups_.shrink_to_fit();
}

inline std::span<const std::uint32_t> prefix_index::owners_of(const slot& s) const noexcept {
    if (!s.grouped) return {&s.owner, 1};
    return {groups_.data() + s.owner + 1, groups_[s.owner]};
}

inline bool prefix_index::may_have(scheme_family_id family, std::size_t depth) const noexcept {
    const std::size_t f = family_index(family);
    return depth <= max_depth_[f] && ((depth_bits_[f] >> depth_bit(depth)) & 1) != 0;
}

inline const prefix_index::slot* prefix_index::find(std::uint64_t hash,
                                                    scheme_family_id family,
                                                    std::string_view key,
                                                    std::size_t length) const noexcept {
    if (slots_.empty()) return nullptr;
    const auto fam = static_cast<std::uint8_t>(family);
    // `length` may be key.size() + 1: the key with an implied trailing '/'.
    const std::size_t compare = std::min(length, key.size());
    for (std::size_t i = hash & mask_; slots_[i].key_length != 0; i = (i + 1) & mask_) {
        const slot& s = slots_[i];
        if (s.hash != hash || s.family != fam || s.key_length != length) continue;
        const char* stored = arena_.data() + s.key_offset;
        if (std::memcmp(stored, key.data(), compare) != 0) continue;
        if (length > key.size() && stored[key.size()] != '/') continue;
        return &s;
    }
    return nullptr;
}

prefix_match prefix_index::longest(scheme_family_id family,
                                   std::string_view key,
                                   bool implicit_end) const noexcept {
    const std::size_t f = family_index(family);
    if (f >= families || depth_bits_[f] == 0) return {};
    // Each pass hashes boundaries 1..limit and keeps the deepest `ring` of them; a key deeper
    // than that (rare) takes further passes for the shallower boundaries.
    std::size_t limit = max_depth_[f];
    for (;;) {
        std::uint64_t states[ring];  // hash states; finished only at the depths probed
        std::size_t lengths[ring];
        key_hash h(family);
        std::size_t depth = 0;
        std::size_t pos = 0;
        while (depth < limit) {
            const std::size_t slash = find_slash(key, pos);
            std::size_t length;
            if (slash == key.size()) {
                if (!implicit_end || pos == key.size()) break;
                length = key.size() + 1;
            } else {
                length = slash + 1;
            }
            h.add_segment_of(key, pos, slash);
            ++depth;
            states[depth % ring] = h.state();
            lengths[depth % ring] = length;
            if (length > key.size()) break;
            pos = length;
        }
        const std::size_t lowest = depth > ring ? depth - ring + 1 : 1;
        for (std::size_t d = depth; d >= lowest && d > 0; --d) {
            if (!may_have(family, d)) continue;
            const std::size_t length = lengths[d % ring];
            if (const slot* s = find(key_hash::finish(states[d % ring]), family, key, length)) {
                return {length, owners_of(*s)};
            }
        }
        if (lowest <= 1) return {};
        limit = lowest - 1;
    }
}

std::vector<prefix_probe> prefix_index::probe_all(scheme_family_id family,
                                                  std::string_view key,
                                                  bool implicit_end) const {
    std::vector<prefix_probe> out;
    std::vector<std::uint64_t> hashes;
    key_hash h(family);
    for (std::size_t pos = 0;;) {
        std::size_t slash = key.find('/', pos);
        if (slash == std::string_view::npos) {
            if (implicit_end && pos < key.size()) {
                h.add_segment(key.substr(pos));
                hashes.push_back(h.value());
                out.push_back({key.size() + 1, false, {}});
            }
            break;
        }
        h.add_segment(key.substr(pos, slash - pos));
        hashes.push_back(h.value());
        out.push_back({slash + 1, false, {}});
        pos = slash + 1;
    }
    for (std::size_t d = 1; d <= out.size(); ++d) {
        prefix_probe& p = out[d - 1];
        p.probed = family_index(family) < families && may_have(family, d);
        if (!p.probed) continue;
        if (const slot* s = find(hashes[d - 1], family, key, p.length)) p.owners = owners_of(*s);
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::size_t prefix_index::bytes() const noexcept {
    return sizeof(*this) + slots_.capacity() * sizeof(slot) + arena_.capacity() +
           groups_.capacity() * sizeof(std::uint32_t);
}

}  // namespace imgstore::detail
