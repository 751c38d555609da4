// Our own canonical form of location URLs (semantics.md section 3). Boost.URL 1.81 parses;
// this code canonicalises, because 1.81's normalize() decodes %2F and can invent an authority.
#pragma once

#include <string>
#include <string_view>

#include "imgstore/error.hpp"

namespace imgstore::detail {

/// The matching family of a lower-case scheme: "file" for file/filesystem, "s3" for
/// s3/s3+http/s3+https, "swift" for swift/swift+http/swift+https, "http" for http/https,
/// otherwise the scheme itself (swift+config, rbd, cinder, vsphere).
std::string_view scheme_family(std::string_view lower_scheme) noexcept;

/// Canonicalises a driver-built prefix (`scheme://authority/path/`, ending with '/').
/// Errors: errc::bad_uri when the prefix is not a valid canonical-able URL prefix.
result<std::string> canonicalize_prefix(std::string_view raw_prefix);

}  // namespace imgstore::detail
