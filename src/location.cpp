#include "imgstore/location.hpp"

#include <variant>

#include "drivers/driver.hpp"

namespace imgstore {

std::string uri_with_credentials(const location& loc) {
    return std::visit([](const auto& l) { return detail::format_uri(l, false); }, loc);
}

std::string redacted_uri(const location& loc) {
    return std::visit([](const auto& l) { return detail::format_uri(l, true); }, loc);
}

}  // namespace imgstore
