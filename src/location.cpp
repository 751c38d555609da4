#include "imgstore/location.hpp"

#include "detail/location_codec.hpp"

namespace imgstore {

std::string uri_with_credentials(const location& loc) {
    return detail::format_location_uri(loc, false);
}

std::string redacted_uri(const location& loc) { return detail::format_location_uri(loc, true); }

}  // namespace imgstore
