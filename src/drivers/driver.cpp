#include "drivers/driver.hpp"

#include <array>

namespace imgstore::detail {

const driver& driver_for(store_type type) noexcept {
    switch (type) {
        case store_type::file:
            return file_driver;
        case store_type::http:
            return http_driver;
        case store_type::rbd:
            return rbd_driver;
        case store_type::s3:
            return s3_driver;
        case store_type::swift:
            return swift_driver;
        case store_type::cinder:
            return cinder_driver;
        case store_type::vmware:
            return vmware_driver;
    }
    return file_driver;
}

std::optional<prefix_origin> origin_of(const config_entry* e) {
    if (!e) return std::nullopt;
    return prefix_origin{e->file, e->line, e->section, e->key};
}

std::span<const option_spec> common_options() noexcept {
    static constexpr std::array<option_spec, 2> specs{{
        {.name = "store_description", .kind = option_kind::string},
        {.name = "weight", .kind = option_kind::integer, .default_value = "0"},
    }};
    return specs;
}

std::vector<option_spec> all_options(const driver& d) {
    std::vector<option_spec> specs(common_options().begin(), common_options().end());
    specs.insert(specs.end(), d.options.begin(), d.options.end());
    return specs;
}

}  // namespace imgstore::detail
