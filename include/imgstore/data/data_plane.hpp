// The data plane of a whole registry: a backend per store, made by per-type factories (file and
// http built in; an embedder registers its own for s3, rbd, ...), and the settings they share.
#pragma once

#include <spdlog/fwd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "imgstore/config.hpp"
#include "imgstore/data/backend.hpp"
#include "imgstore/diagnostic.hpp"
#include "imgstore/registry.hpp"
#include "imgstore/resolver.hpp"

namespace imgstore::data {

/// Settings every backend shares (not per store).
struct data_options {
    /// Glance's `[DEFAULT] hashing_algorithm` (hashlib name) for os_hash_value.
    std::string hashing_algorithm = "sha512";
    /// http: connecting (name lookup included) to the server or proxy.
    std::chrono::milliseconds connect_timeout{10'000};
    /// http: the longest wait for the next bytes of a response (headers or body).
    std::chrono::milliseconds read_timeout{60'000};
    /// Where debug records go; null means quiet. Records never hold a URL's userinfo.
    std::shared_ptr<spdlog::logger> logger;
};

/// data_options from the config: `[DEFAULT] hashing_algorithm` (default sha512). An algorithm
/// image_hasher does not support is an error diagnostic with file, line, section and key.
/// Timeouts and logger keep their defaults.
[[nodiscard]] data_options read_data_options(const glance_config& config,
                                             std::vector<diagnostic>& diagnostics);

/// What a factory gets to make one store's backend. References live as long as the plane.
struct backend_context {
    const store& config;                ///< the store (raw_option() for its settings)
    const location_resolver& resolver;  ///< the plane's resolver over the whole registry
    const data_options& options;
    /// Where a factory reports a store's invalid settings: error diagnostics with the store
    /// id as section and the option as key; never a secret value.
    std::vector<diagnostic>& diagnostics;
};

/// Makes the backend of one store; returns null after adding at least one error diagnostic.
/// Called by backend_registry::make() only, on the calling thread.
using backend_factory = std::function<std::unique_ptr<backend>(const backend_context& context)>;

class data_plane;

/// Outcome of backend_registry::make(): all or nothing, like load_result.
struct data_plane_load {
    std::shared_ptr<const data_plane> plane;  ///< null iff diagnostics hold an error
    std::vector<diagnostic> diagnostics;
    bool ok() const noexcept { return plane != nullptr; }
};

/// Which factory makes the backend of each store type. Built-in: file and http; every other
/// type gets a backend whose calls return errc::not_supported until a factory is set. Set up
/// once, then read-only: set_factory() is not thread-safe, make() is (concurrent calls on a
/// registry no one modifies are safe). No global instance.
class backend_registry {
  public:
    backend_registry();

    /// Uses `factory` for every store of `type` from now on, replacing the built-in one.
    void set_factory(store_type type, backend_factory factory);

    /// Makes a backend for every store of `registry` (reserved stores included). Errors (a
    /// store's invalid data settings, e.g. `filesystem_store_file_perm`, an unreadable
    /// `https_ca_certificates_file`) are collected for every store; then no plane is made.
    /// Cost: one factory call per store; no I/O but what the factories do (the built-in ones
    /// only read an http store's CA file, or OpenSSL's default CA store, when it verifies).
    [[nodiscard]] data_plane_load make(std::shared_ptr<const store_registry> registry,
                                       const data_options& options = {}) const;

  private:
    std::unordered_map<store_type, backend_factory> factories_;
};

/// The backends of one registry snapshot. Immutable and thread-safe; keeps the registry alive.
/// On a configuration reload, make a new plane beside the old one: readers already handed out
/// keep working after the old plane is destroyed.
class data_plane {
  public:
    /// The backend of store `store_id` (exact), or nullptr. O(1) average.
    const backend* find(std::string_view store_id) const noexcept;

    /// The backend of the default store (Glance's target when no store is named).
    const backend& default_backend() const noexcept;

    /// The registry the plane was made from.
    const store_registry& registry() const noexcept { return resolver_.registry(); }

    /// The resolver over that registry, shared with the backends.
    const location_resolver& resolver() const noexcept { return resolver_; }

    data_plane(const data_plane&) = delete;
    data_plane& operator=(const data_plane&) = delete;
    ~data_plane();

  private:
    friend class backend_registry;
    data_plane(std::shared_ptr<const store_registry> registry, const data_options& options);
    location_resolver resolver_;
    data_options options_;
    std::unordered_map<std::string_view, std::unique_ptr<backend>> backends_;
};

}  // namespace imgstore::data
