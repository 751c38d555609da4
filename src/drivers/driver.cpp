#include "drivers/driver.hpp"

#include <algorithm>
#include <array>
#include <type_traits>
#include <variant>

#include "detail/text.hpp"
#include "detail/utf8.hpp"

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

namespace {

// location's alternatives are in store_type order: location_type() is its index.
template <store_type T, class Location>
constexpr bool alternative_is =
    std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(T), location>, Location>;
static_assert(alternative_is<store_type::file, file_location> &&
              alternative_is<store_type::http, http_location> &&
              alternative_is<store_type::rbd, rbd_location> &&
              alternative_is<store_type::s3, s3_location> &&
              alternative_is<store_type::swift, swift_location> &&
              alternative_is<store_type::cinder, cinder_location> &&
              alternative_is<store_type::vmware, vsphere_location> &&
              std::variant_size_v<location> == 7);

}  // namespace

const driver& driver_for(scheme_family_id family) noexcept {
    static const std::array<const driver*, scheme_family_count> by_family = [] {
        std::array<const driver*, scheme_family_count> t{};
        for (store_type type : all_store_types()) {
            const driver& d = driver_for(type);
            for (const scheme_row& row : scheme_rows) {
                if (d.schemes.mask() & bit(row.id)) t[static_cast<std::size_t>(row.family)] = &d;
            }
        }
        return t;
    }();
    const driver* d = by_family[static_cast<std::size_t>(family)];
    return d != nullptr ? *d : file_driver;  // (every family has a driver: driver_test)
}

const driver* driver_for_url(std::string_view canonical_url) noexcept {
    auto split = split_canonical(canonical_url);
    return split ? &driver_for(family_of(split->scheme)) : nullptr;
}

store_type location_type(const location& loc) noexcept {
    return static_cast<store_type>(loc.index());
}

// The location layer's formatting (detail/location_codec.hpp), through the driver table.
std::string format_location_uri(const location& loc, bool redact) {
    return driver_for(location_type(loc)).format(loc, redact);
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

namespace {

// Each name once, in driver order, of what `pick` gives for each driver.
template <class Pick>
std::vector<std::string_view> collect_names(Pick pick) {
    std::vector<std::string_view> out;
    for (store_type t : all_store_types()) {
        pick(driver_for(t), [&](std::string_view name) {
            if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
        });
    }
    return out;
}

bool option_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::span<const std::string_view> secret_options() noexcept {
    static const std::vector<std::string_view> names =
        collect_names([](const driver& d, const auto& add) {
            for (const option_spec& s : d.options) {
                if (s.secret) add(s.name);
            }
        });
    return names;
}

bool is_secret_option(std::string_view name) noexcept {
    const auto names = secret_options();
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::span<const std::string_view> secret_reference_keys() noexcept {
    static const std::vector<std::string_view> keys =
        collect_names([](const driver& d, const auto& add) {
            for (std::string_view k : d.secret_reference_keys) add(k);
        });
    return keys;
}

bool is_multi_valued_option(std::string_view name) noexcept {
    static const std::vector<std::string_view> names =
        collect_names([](const driver& d, const auto& add) {
            for (const option_spec& s : d.options) {
                if (s.kind == option_kind::multi_string) add(s.name);
            }
        });
    return std::find(names.begin(), names.end(), name) != names.end();
}

namespace {

bool is_secret_reference_key(std::string_view lower_key) noexcept {
    const auto keys = secret_reference_keys();
    return std::find(keys.begin(), keys.end(), lower_key) != keys.end();
}

}  // namespace

std::string printable_key(std::string_view key) {
    std::size_t n = 0;  // as many characters as a quoted value (cut_text)
    while (n < key.size() && n < max_quoted_chars && option_name_char(key[n])) ++n;
    for (auto list : {secret_options(), secret_reference_keys()}) {
        for (std::string_view name : list) {
            if (n > name.size() && starts_with_nocase(key, name)) n = name.size();
        }
    }
    std::string out(key.substr(0, n));
    if (n < key.size()) out += "...";
    return out;
}

const ini_key_rules& option_name_rules() noexcept {
    static constexpr ini_key_rules rules{
        .multi_valued = is_multi_valued_option,
        .secret = is_secret_option,
        .printable_key = printable_key,
    };
    return rules;
}

const ini_key_rules& reference_file_rules() noexcept {
    static constexpr ini_key_rules rules{
        .secret = is_secret_reference_key,
        .printable_key = printable_key,
        .strict_repeats = true,
    };
    return rules;
}

}  // namespace imgstore::detail
