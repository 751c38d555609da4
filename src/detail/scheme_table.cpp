#include "detail/scheme_table.hpp"

namespace imgstore::detail {

bool find_scheme(std::string_view lower_scheme, known_scheme& out) noexcept {
    if (lower_scheme.empty() || lower_scheme.size() > max_scheme) return false;
    char padded[16] = {};
    std::memcpy(padded, lower_scheme.data(), lower_scheme.size());
    return lookup_scheme_at(padded, lower_scheme.size(), out);
}

std::string_view scheme_family(std::string_view lower_scheme) noexcept {
    known_scheme s;
    return find_scheme(lower_scheme, s) ? family_name(family_of(s)) : lower_scheme;
}

}  // namespace imgstore::detail
