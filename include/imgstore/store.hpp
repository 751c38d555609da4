// One configured store: its id, type, schemes, canonical URL prefixes, location class and status.
// Stores are built only by store_registry and live as long as the registry that owns them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imgstore/error.hpp"
#include "imgstore/location.hpp"
#include "imgstore/secret.hpp"
#include "imgstore/store_option.hpp"

namespace imgstore {

namespace detail {
class location_codec;
}
class store_registry;

/// The store types of glance_store's `enabled_backends` (`id:type`).
enum class store_type { file, http, rbd, s3, swift, cinder, vmware };

/// The type's name as written in `enabled_backends` ("file", "vmware", ...).
[[nodiscard]] std::string_view to_string(store_type t) noexcept;

/// Parses a type name (exact, lower-case); nullopt for an unknown name.
[[nodiscard]] std::optional<store_type> parse_store_type(std::string_view name) noexcept;

/// All types, in the order above.
std::span<const store_type> all_store_types() noexcept;

/// Whether the store's URL prefixes are known. An `unresolvable` store is loaded (it is valid
/// config) but never matched; `reason` says why (e.g. rbd without an fsid).
enum class store_status { ok, unresolvable };

std::string_view to_string(store_status s) noexcept;

/// file: one data directory (`filesystem_store_datadir`, or one `filesystem_store_datadirs`
/// entry `path[:priority]`), path as configured without a trailing '/'.
struct store_datadir {
    std::string path;
    std::int64_t priority = 0;  ///< 0 for filesystem_store_datadir and entries without one
    friend bool operator==(const store_datadir&, const store_datadir&) = default;
};

/// A configured store. Immutable; every view returned lives as long as the owning registry.
/// Thread-safe for concurrent const use. Only store_registry::build() makes stores (validated
/// config), so there is no public constructor.
class store {
  public:
    std::string_view id() const noexcept { return id_; }
    store_type type() const noexcept { return type_; }
    /// The schemes the store's location class accepts, in upstream get_schemes() order.
    std::span<const std::string> schemes() const noexcept { return schemes_; }
    /// Canonical URL prefixes (see resolver.hpp for the canonical form); each ends with '/'.
    /// Empty for an http store (it claims its schemes as a whole) and for unresolvable stores.
    std::span<const std::string> url_prefixes() const noexcept { return prefixes_; }
    /// Name of the location class (e.g. "imgstore::file_location").
    std::string_view location_class() const noexcept { return location_class_; }
    bool is_default() const noexcept { return is_default_; }
    bool is_reserved() const noexcept { return is_reserved_; }
    std::string_view description() const noexcept { return description_; }
    std::int64_t weight() const noexcept { return weight_; }
    store_status status() const noexcept { return status_; }
    /// Why the store is unresolvable; empty when ok. Never holds a secret.
    std::string_view reason() const noexcept { return reason_; }
    /// Effective options (store section, then [backend_defaults], then built-in default), with
    /// secrets shown as "***".
    std::span<const store_option> options() const noexcept { return options_; }

    /// swift: the user a URL's userinfo must name (see semantics 2); empty when none.
    std::string_view required_user() const noexcept { return required_user_; }
    /// vmware: datastore names from `vmware_datastores` (dsName values); empty otherwise.
    std::span<const std::string> datastores() const noexcept { return datastores_; }
    /// cinder: `cinder_volume_type`, empty when unset.
    std::string_view volume_type() const noexcept { return volume_type_; }
    /// file: the data directories, in config order (the url_prefixes() are made from them);
    /// empty for other types.
    std::span<const store_datadir> datadirs() const noexcept { return datadirs_; }

    /// The effective raw value of option `name` (store section, then [backend_defaults], then
    /// the built-in default), for code that talks to the backend (the data plane, an
    /// embedder's own S3 or RBD client): one element per occurrence for a multi-valued option,
    /// else at most one; empty when unset without default or not an option of this type. Any
    /// value may be a credential (keys, proxy URLs with userinfo), so each is a `secret` that
    /// prints as "***". O(number of options).
    std::span<const secret> raw_option(std::string_view name) const noexcept;

    /// Parses `uri` with this store's location class. Errors: errc::unknown_scheme when the
    /// scheme is not one of schemes(); errc::bad_uri when malformed, which includes every URL
    /// that location_resolver::resolve() (default resolver_options) calls invalid: the
    /// resolver's canonical checks run first (doc/canonical-form.md), then the location class's
    /// own, stricter, upstream rules (e.g. the scheme as written, a cinder volume UUID). Never
    /// echoes the URI. Allocates; thread-safe. O(URI length) (swift+config: plus a scan of the
    /// store's account references).
    [[nodiscard]] result<location> parse_location(std::string_view uri) const;

    /// Formats a location of this store's type back to its URL (credentials included).
    /// Errors: errc::bad_uri for a location of another type. O(URL length).
    [[nodiscard]] result<std::string> format_location(const location& loc) const;

    store(store&&) noexcept;
    store& operator=(store&&) noexcept;
    ~store();

  private:
    friend class store_registry;
    /// Everything a store is made of; filled by the registry from a driver's output.
    struct init;
    explicit store(init&& i);

    const store_registry* registry_ = nullptr;  ///< the owner, set by its constructor
    std::string id_;
    store_type type_ = store_type::file;
    std::vector<std::string> schemes_;
    std::vector<std::string> prefixes_;
    std::string location_class_;
    bool is_default_ = false;
    bool is_reserved_ = false;
    std::string description_;
    std::int64_t weight_ = 0;
    store_status status_ = store_status::ok;
    std::string reason_;
    std::vector<store_option> options_;
    std::string required_user_;
    std::vector<std::string> datastores_;
    std::string volume_type_;
    std::vector<store_datadir> datadirs_;
    // Only options with a value; names view the drivers' static option tables.
    std::vector<std::pair<std::string_view, std::vector<secret>>> raw_options_;
    std::shared_ptr<const detail::location_codec> codec_;
};

struct store::init {
    std::string id;
    store_type type = store_type::file;
    std::vector<std::string> schemes;
    std::vector<std::string> prefixes;
    std::string location_class;
    bool is_default = false;
    bool is_reserved = false;
    std::string description;
    std::int64_t weight = 0;
    store_status status = store_status::ok;
    std::string reason;
    std::vector<store_option> options;
    std::string required_user;
    std::vector<std::string> datastores;
    std::string volume_type;
    std::vector<store_datadir> datadirs;
    std::vector<std::pair<std::string_view, std::vector<secret>>> raw_options;
    std::shared_ptr<const detail::location_codec> codec;
};

}  // namespace imgstore
