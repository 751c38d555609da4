// The private driver interface: what each store type declares (schemes, options, location
// class) and how it turns its resolved options into URL prefixes and a location codec.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detail/location_codec.hpp"
#include "detail/store_options.hpp"
#include "imgstore/config.hpp"
#include "imgstore/location.hpp"
#include "imgstore/store.hpp"

namespace imgstore::detail {

/// What the registry hands a driver for one store.
struct store_context {
    std::string_view id;
    bool reserved = false;
    const store_options& options;   ///< resolved options; report problems through it
    const config_limits& limits;    ///< for files the driver reads (ceph.conf, swift references)
    const config_sources& sources;  ///< where the config was read: files it names are beside
};

/// Where a prefix comes from: the file, line, section and key of the option that produced it
/// (values are never kept). Unset: the store's declaration in `enabled_backends`.
struct prefix_origin {
    std::string file;
    std::uint32_t line = 0;
    std::string section;
    std::string key;
};

/// The origin of an entry, or nullopt for nullptr (a built-in default).
std::optional<prefix_origin> origin_of(const config_entry* e);

/// One raw prefix (scheme://authority/path/, ending with '/'), for the registry to canonicalise.
struct raw_prefix {
    std::string url;
    std::optional<prefix_origin> from;
};

/// What a driver makes of one store's config.
struct driver_result {
    /// Empty for http and for unresolvable stores.
    std::vector<raw_prefix> prefixes;
    store_status status = store_status::ok;
    std::string reason;              ///< why unresolvable; never holds a secret
    std::string_view reason_option;  ///< the option the reason is about (where it is located)
    std::string required_user;
    std::vector<std::string> datastores;
    std::string volume_type;
    std::vector<store_datadir> datadirs;  ///< file only
    std::shared_ptr<const location_codec> codec;
};

/// One store type.
struct driver {
    store_type type;
    std::span<const std::string_view> schemes;  ///< upstream get_schemes() order
    std::string_view location_class;            ///< e.g. "imgstore::file_location"
    std::span<const option_spec> options;       ///< glance_store's OPTIONS for the type
    /// Computes prefixes and the codec. Invalid options are reported through ctx.options
    /// (errors make the whole load fail); a valid store whose prefix cannot be known returns
    /// status unresolvable with a reason.
    driver_result (*configure)(const store_context& ctx);
};

/// The driver of a type. Static lifetime.
const driver& driver_for(store_type type) noexcept;

/// Options common to every store (store_description, weight).
std::span<const option_spec> common_options() noexcept;

/// common_options() followed by the driver's own options: what a store section may hold.
std::vector<option_spec> all_options(const driver& d);

// One definition per type, in src/drivers/<type>.cpp.
extern const driver file_driver;
extern const driver http_driver;
extern const driver rbd_driver;
extern const driver s3_driver;
extern const driver swift_driver;
extern const driver cinder_driver;
extern const driver vmware_driver;

// URL forms per location type (upstream get_uri()); `redact` replaces credentials with "***".
// Implemented next to each driver; location.cpp dispatches on the variant.
std::string format_uri(const file_location& loc, bool redact);
std::string format_uri(const http_location& loc, bool redact);
std::string format_uri(const rbd_location& loc, bool redact);
std::string format_uri(const s3_location& loc, bool redact);
std::string format_uri(const swift_location& loc, bool redact);
std::string format_uri(const cinder_location& loc, bool redact);
std::string format_uri(const vsphere_location& loc, bool redact);

// Location parsers that need no store config (swift and cinder take theirs via their codecs).
[[nodiscard]] result<file_location> parse_file_location(std::string_view uri);
[[nodiscard]] result<http_location> parse_http_location(std::string_view uri);
[[nodiscard]] result<rbd_location> parse_rbd_location(std::string_view uri);
[[nodiscard]] result<s3_location> parse_s3_location(std::string_view uri);
[[nodiscard]] result<cinder_location> parse_cinder_location(std::string_view uri);
[[nodiscard]] result<vsphere_location> parse_vsphere_location(std::string_view uri);

}  // namespace imgstore::detail
