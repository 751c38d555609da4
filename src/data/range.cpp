#include "data/range.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace imgstore::data::detail {

result<extent> resolve_range(const byte_range& range, std::uint64_t size) {
    if (range.suffix_length) {
        if (*range.suffix_length == 0) return make_error_code(errc::bad_range);
        std::uint64_t length = std::min(*range.suffix_length, size);
        return extent{size - length, length, size};
    }
    if (range.last && *range.last < range.first) return make_error_code(errc::bad_range);
    if (range.is_all()) return extent{0, size, size};
    if (range.first >= size) return make_error_code(errc::bad_range);
    std::uint64_t last = range.last ? std::min(*range.last, size - 1) : size - 1;
    return extent{range.first, last - range.first + 1, size};
}

std::string range_header(const byte_range& range) {
    if (range.suffix_length) return fmt::format("bytes=-{}", *range.suffix_length);
    if (range.is_all()) return {};
    if (range.last) return fmt::format("bytes={}-{}", range.first, *range.last);
    return fmt::format("bytes={}-", range.first);
}

}  // namespace imgstore::data::detail
