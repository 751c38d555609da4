// The canonical form's fast path, for canonicalize() (canonical_url.hpp) only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "detail/canonical_url.hpp"

namespace imgstore::detail {

/// The answer for a URL the fast path can decide (16-127 bytes, canonical or canonical once
/// its scheme and host are lower-cased and its path escapes rewritten, or with a dot segment as
/// its only flaw); nullopt sends it to the general code, which gives the same answers for all
/// URLs (tests/canonical_test.cpp). O(length), no allocation unless the form is rewritten.
std::optional<reason_code> canonical_fast(std::string_view url,
                                          std::string& scratch,
                                          canonical_url& out,
                                          std::size_t max_bytes,
                                          scheme_mask declared);

}  // namespace imgstore::detail
