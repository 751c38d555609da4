// A driver's scheme list naming a scheme without its row in the scheme table must not compile
// (ctest driver_scheme_table, tests/api/compile_fails.cmake): IMGSTORE_SCHEME is a scheme of
// the table in the run that must compile, and one that is not in the run that must fail.
#include <array>
#include <string_view>

#include "drivers/driver.hpp"

namespace {
constexpr std::array<std::string_view, 2> schemes{"file", IMGSTORE_SCHEME};
const auto declared = imgstore::detail::scheme_list::of<schemes>();
}  // namespace

int main() { return declared.names().size() == 2 ? 0 : 1; }
