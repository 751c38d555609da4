// Byte ranges against an object's size, shared by the file and http backends.
#pragma once

#include <cstdint>
#include <string>

#include "imgstore/data/backend.hpp"

namespace imgstore::data::detail {

/// The extent `range` selects of an object of `size` bytes (RFC 9110 section 14.1.2: `last`
/// clamped, a `first` at or past the end refused). Errors: errc::bad_range.
[[nodiscard]] result<extent> resolve_range(const byte_range& range, std::uint64_t size);

/// The Range header value (`bytes=first-last`, `bytes=first-`, `bytes=-n`); empty for all().
std::string range_header(const byte_range& range);

}  // namespace imgstore::data::detail
