#include "detail/scheme_table.hpp"

namespace imgstore::detail {

std::string_view scheme_family(std::string_view lower_scheme) noexcept {
    known_scheme s;
    return find_scheme(lower_scheme, s) ? family_name(family_of(s)) : lower_scheme;
}

}  // namespace imgstore::detail
