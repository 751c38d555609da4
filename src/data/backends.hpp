// The built-in backend factories (one file each) that backend_registry starts with.
#pragma once

#include <memory>

#include "imgstore/data/data_plane.hpp"

namespace imgstore::data::detail {

/// file stores: file_backend.cpp.
std::unique_ptr<backend> make_file_backend(const backend_context& context);
/// http stores (read-only): http_backend.cpp.
std::unique_ptr<backend> make_http_backend(const backend_context& context);
/// Every other type until an embedder registers its own: data_plane.cpp.
std::unique_ptr<backend> make_unsupported_backend(const backend_context& context);

}  // namespace imgstore::data::detail
