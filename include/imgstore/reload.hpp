// Reload: a handle to the live registry + resolver that a new config can replace atomically.
// Readers take a snapshot and keep using it; a reload never mixes old and new state.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "imgstore/registry.hpp"
#include "imgstore/resolver.hpp"

namespace imgstore {

/// One consistent registry + resolver pair. Immutable; shared between threads.
struct snapshot {
    std::shared_ptr<const store_registry> registry;
    std::shared_ptr<const location_resolver> resolver;
};

/// What a reload changed, by store id.
struct prefix_change {
    std::string store_id;
    std::string prefix;
};
/// Sorted by store id, then prefix, so that a diff reads the same whatever the config order.
struct reload_diff {
    std::vector<prefix_change> added;         ///< prefixes new in the new config
    std::vector<prefix_change> removed;       ///< prefixes gone
    std::vector<std::string> added_stores;    ///< store ids new in the new config
    std::vector<std::string> removed_stores;  ///< store ids gone
    std::vector<std::string> changed;  ///< stores kept whose type, status or default flag changed
    bool empty() const noexcept {
        return added.empty() && removed.empty() && added_stores.empty() && removed_stores.empty() &&
               changed.empty();
    }
};

/// What changed from `before` to `after`. Thread-safe (both are immutable). O(p log p) in the
/// prefixes of both.
[[nodiscard]] reload_diff diff_registries(const store_registry& before,
                                          const store_registry& after);

struct reload_result {
    bool ok = false;                      ///< false: the old snapshot is still live
    std::vector<diagnostic> diagnostics;  ///< all problems (errors and warnings)
    reload_diff diff;                     ///< empty on failure
};

/// The live handle. current() copies one shared_ptr under a short lock that reload() takes only
/// to swap the pointer; reload() builds the new registry and index beside the live one, outside
/// that lock, and publishes both in one swap. Concurrent reload() calls are serialised.
/// Snapshots stay valid as long as a reader holds them, whatever reloads happen meanwhile.
/// Made only by create(), from a config that loaded: there is no public constructor.
/// It keeps the config sources it was last loaded from (those given to create() or to the last
/// reload() that succeeded; for a glance_config, its sources()), so that a SIGHUP handler calls
/// reload() with no arguments and reads the operator's files again.
class live_registry {
  public:
    /// Builds the first snapshot; on failure `ok()` is false and `diagnostics` says why.
    struct created;
    [[nodiscard]] static created create(const config_sources& sources,
                                        const registry_options& options = {},
                                        const resolver_options& resolver = {});
    [[nodiscard]] static created create(const glance_config& config,
                                        const registry_options& options = {},
                                        const resolver_options& resolver = {});

    /// The snapshot now live (never null). Thread-safe; O(1) (one shared_ptr copy under a lock).
    [[nodiscard]] std::shared_ptr<const snapshot> current() const;

    /// Reads and builds the new config; swaps it in only if it loads without error. The result
    /// says which (`ok`) and why not (`diagnostics`): a reload that failed keeps the old
    /// snapshot live, so ignoring it would hide that the new config is not in use.
    /// A reload that succeeds makes its sources (a glance_config's sources()) the kept ones.
    [[nodiscard]] reload_result reload(const config_sources& sources);
    [[nodiscard]] reload_result reload(const glance_config& config);
    /// Reads the kept sources again (what a SIGHUP handler calls). A registry whose config was
    /// built in code without sources has nothing to read: the result is not ok, with one error
    /// diagnostic saying so, and the old snapshot stays live.
    [[nodiscard]] reload_result reload();

    /// The sources reload() reads (empty files and no directory: none). Thread-safe (a copy).
    [[nodiscard]] config_sources sources() const;

    ~live_registry();
    live_registry(const live_registry&) = delete;
    live_registry& operator=(const live_registry&) = delete;

  private:
    live_registry(std::shared_ptr<const snapshot> first,
                  registry_options options,
                  resolver_options resolver);
    static created create_from(load_result loaded,
                               const config_sources& sources,
                               const registry_options& options,
                               const resolver_options& resolver);
    struct impl;
    std::unique_ptr<impl> impl_;
};

struct live_registry::created {
    std::unique_ptr<live_registry> handle;  ///< null on failure
    std::vector<diagnostic> diagnostics;
    bool ok() const noexcept { return handle != nullptr; }
};

}  // namespace imgstore
