// One effective option of a store as store::options() shows it: a value type below the store,
// so that the option layer (src/detail/store_options) need not see the store.
#pragma once

#include <string>
#include <string_view>

namespace imgstore {

/// One effective option of a store, for display: secrets are already "***".
struct store_option {
    /// Views the driver's static option table: valid for the life of the program.
    std::string_view name;
    std::string value;  ///< multi-valued options are joined with ", "
    enum class origin { store_section, backend_defaults, builtin_default } from;
};

}  // namespace imgstore
