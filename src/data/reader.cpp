#include <algorithm>

#include "imgstore/data/backend.hpp"

namespace imgstore::data {

result<std::size_t> reader::read(std::span<std::byte> out) {
    if (failed_) return make_error_code(errc::io_error);
    if (out.empty() || remaining() == 0) return std::size_t{0};
    // Never ask the implementation for more than the extent holds, so no backend can yield
    // bytes past it.
    out = out.first(static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), remaining())));
    result<std::size_t> n = read_some(out);
    if (!n) {
        failed_ = true;
        return n.error();
    }
    if (*n == 0) {
        failed_ = true;
        return make_error_code(errc::truncated);
    }
    consumed_ += std::min<std::uint64_t>(*n, out.size());
    return std::min(*n, out.size());
}

}  // namespace imgstore::data
