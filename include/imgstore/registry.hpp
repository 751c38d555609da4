// store_registry: the seed's in-memory map store id -> {store, store_entry, schemes, location
// class}, built once from the operator's glance-api.conf, plus the by-scheme view and the default.
#pragma once

#include <spdlog/fwd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "imgstore/config.hpp"
#include "imgstore/diagnostic.hpp"
#include "imgstore/store.hpp"

namespace imgstore {

class store_registry;

/// How to build a registry.
struct registry_options {
    /// Append glance's reserved stores `os_glance_staging_store` and `os_glance_tasks_store`
    /// (type file, datadir `/var/lib/glance/<id>` unless configured) after the operator's stores.
    bool reserved_stores = true;
    /// Unknown keys in a store section are errors instead of warnings.
    bool strict = false;
    /// Where debug/trace records go. Null means quiet. Never the spdlog global logger; records
    /// never contain secrets. Only <spdlog/fwd.h> is included here: a consumer that passes no
    /// logger needs spdlog's headers on its include path (the package config provides them)
    /// and nothing else of spdlog.
    std::shared_ptr<spdlog::logger> logger;
    /// Limits applied to every file read (config, ceph.conf, swift reference files).
    config_limits limits;
    /// Most stores one config may declare (reserved stores included).
    std::size_t max_stores = 100'000;
};

/// Outcome of building a registry: all or nothing. `registry` is null iff `diagnostics` holds at
/// least one error; warnings are returned in both cases.
struct load_result {
    std::shared_ptr<const store_registry> registry;
    std::vector<diagnostic> diagnostics;
    /// The files the config names that were read or tried (swift reference files as
    /// find_config_file found them, ceph.conf as rbd_store_ceph_conf or its default names
    /// them), each once, in first-read order; filled whether or not the build succeeded. The
    /// config files themselves are not listed (the caller named them). A caller that also writes
    /// files checks against these that it overwrites none (the imgstore tool does).
    std::vector<std::filesystem::path> referenced_files;
    bool ok() const noexcept { return registry != nullptr; }
};

/// The registry. Immutable after build and safe to share between threads; no global state.
/// Views and references it returns live as long as the registry object.
class store_registry {
  public:
    /// Builds from already-read config. Never throws on bad config (only std::bad_alloc);
    /// reads ceph.conf / swift reference files named by the config, never the network.
    /// O(config entries + stores x options per type + prefixes), plus the files it reads.
    [[nodiscard]] static load_result build(const glance_config& config,
                                           const registry_options& options = {});

    /// read_config(sources) then build(); read problems are returned like build problems.
    [[nodiscard]] static load_result load(const config_sources& sources,
                                          const registry_options& options = {});

    /// Every store in registration order: `enabled_backends` order, then reserved stores.
    std::span<const store> stores() const noexcept { return stores_; }

    /// The store with this id (exact, case-sensitive, as glance's dict), or nullptr. O(1) avg.
    [[nodiscard]] const store* find(std::string_view id) const noexcept;

    /// `[glance_store] default_backend`.
    const store& default_store() const noexcept { return stores_[default_index_]; }

    /// Every scheme any store declares, in first-registration order.
    std::span<const std::string> schemes() const noexcept { return schemes_; }

    /// Stores registered under `scheme` (lower-case), in registration order: upstream's
    /// SCHEME_TO_CLS_BACKEND_MAP[scheme]. Empty for an unknown scheme. O(schemes + result).
    [[nodiscard]] std::vector<const store*> stores_for_scheme(std::string_view scheme) const;

    /// Warnings found while building (also in load_result::diagnostics).
    std::span<const diagnostic> warnings() const noexcept { return warnings_; }

    // Views into stores_ are handed out: the registry never moves or copies.
    store_registry(const store_registry&) = delete;
    store_registry& operator=(const store_registry&) = delete;

  private:
    friend class store;
    // Only build() makes a registry, from validated config: no public constructor.
    struct init;
    explicit store_registry(init&& i);

    /// True if `key_tail + '/'` is a URL prefix of some store of scheme family `family`
    /// (detail::scheme_family_id): the URL names that store's root (reason_code::store_root).
    /// `key_tail` is a canonical match key without its scheme, "://" and query. O(1) avg.
    bool is_store_root(unsigned family, std::string_view key_tail) const noexcept;

    std::vector<store> stores_;
    std::unordered_map<std::string_view, std::size_t> by_id_;
    std::size_t default_index_ = 0;
    std::vector<std::string> schemes_;
    std::vector<std::vector<std::size_t>> by_scheme_;  // parallel to schemes_
    std::vector<diagnostic> warnings_;
    // Every prefix without its scheme and final '/' -> the bit set of its scheme families.
    std::unordered_map<std::string_view, std::uint32_t> roots_;
};

struct store_registry::init {
    std::vector<store> stores;
    std::size_t default_index = 0;
    std::vector<diagnostic> warnings;
};

/// The registry as text, what `imgstore stores` prints: one block per store in stores() order,
/// a header line `id (type)[ default][ reserved]`, then one indented line per field (schemes,
/// url prefixes, location class, status, description when set, weight) and per option set in
/// the config (`name = value`; secrets as "***"). Every value is escaped as for a terminal
/// (`\\`, `\n`, `\r`, `\t`, `\xHH` for other control bytes, C1 controls and bytes that are not
/// UTF-8), so the text can be printed or logged as it is: no value can forge a line or send an
/// escape sequence. Thread-safe (reads only). O(output).
[[nodiscard]] std::string to_string(const store_registry& registry);

}  // namespace imgstore
