// The private interface between the location layer and the drivers: one codec per store behind
// store::parse_location (some need the store's config, e.g. swift reference files), and the
// formatting behind location.hpp.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "imgstore/error.hpp"
#include "imgstore/location.hpp"

namespace imgstore::detail {

class location_codec {
  public:
    virtual ~location_codec() = default;
    /// Parses a URL of one of the store's schemes. Errors: errc::bad_uri (never echoes the URI).
    [[nodiscard]] virtual result<location> parse(std::string_view uri) const = 0;
};

/// The codec of a store type whose URLs parse without any store config.
template <class Location, result<Location> (*Parse)(std::string_view)>
class stateless_codec final : public location_codec {
  public:
    result<location> parse(std::string_view uri) const override {
        auto loc = Parse(uri);
        if (!loc) return loc.error();
        return location{std::move(*loc)};
    }
};

/// The location's URL as upstream's get_uri() writes it, through its type's driver
/// (drivers/driver.cpp); `redact` replaces credentials with "***". What location.hpp's
/// uri_with_credentials() and redacted_uri() call.
std::string format_location_uri(const location& loc, bool redact);

}  // namespace imgstore::detail
