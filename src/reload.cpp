#include "imgstore/reload.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <mutex>
#include <tuple>
#include <utility>

namespace imgstore {
namespace {

std::shared_ptr<const snapshot> make_snapshot(std::shared_ptr<const store_registry> registry,
                                              const resolver_options& options) {
    auto resolver = std::make_shared<const location_resolver>(registry, options);
    return std::make_shared<const snapshot>(snapshot{std::move(registry), std::move(resolver)});
}

std::vector<prefix_change> prefixes_of(const store_registry& r) {
    std::vector<prefix_change> out;
    for (const store& s : r.stores()) {
        for (const std::string& p : s.url_prefixes()) out.push_back({std::string(s.id()), p});
    }
    auto key = [](const prefix_change& c) { return std::tie(c.store_id, c.prefix); };
    std::sort(out.begin(), out.end(),
              [&](const auto& a, const auto& b) { return key(a) < key(b); });
    return out;
}

// Elements of sorted `a` that are not in sorted `b`.
template <class T, class Less>
std::vector<T> minus(const std::vector<T>& a, const std::vector<T>& b, Less less) {
    std::vector<T> out;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out), less);
    return out;
}

std::vector<std::string> sorted_ids(const store_registry& r) {
    std::vector<std::string> ids;
    for (const store& s : r.stores()) ids.emplace_back(s.id());
    std::sort(ids.begin(), ids.end());
    return ids;
}

}  // namespace

reload_diff diff_registries(const store_registry& before, const store_registry& after) {
    reload_diff d;
    auto by_id_prefix = [](const prefix_change& a, const prefix_change& b) {
        return std::tie(a.store_id, a.prefix) < std::tie(b.store_id, b.prefix);
    };
    const auto old_prefixes = prefixes_of(before);
    const auto new_prefixes = prefixes_of(after);
    d.added = minus(new_prefixes, old_prefixes, by_id_prefix);
    d.removed = minus(old_prefixes, new_prefixes, by_id_prefix);
    const auto old_ids = sorted_ids(before);
    const auto new_ids = sorted_ids(after);
    d.added_stores = minus(new_ids, old_ids, std::less<>());
    d.removed_stores = minus(old_ids, new_ids, std::less<>());
    for (const std::string& id : new_ids) {
        const store* was = before.find(id);
        const store* now = after.find(id);
        if (was && (was->type() != now->type() || was->status() != now->status() ||
                    was->is_default() != now->is_default())) {
            d.changed.push_back(id);
        }
    }
    return d;
}

struct live_registry::impl {
    // One pointer publishes registry and index together. A mutex rather than
    // std::atomic<std::shared_ptr>: libstdc++ 12 implements that with an unannotated lock bit
    // that ThreadSanitizer reports as a race, and a reader holds this lock only to copy one
    // shared_ptr (no allocation, no resolve work).
    mutable std::mutex guard;
    std::shared_ptr<const snapshot> live;
    mutable std::mutex reloading;  // serialises reload() and guards sources; not readers

    std::shared_ptr<const snapshot> load() const {
        std::lock_guard lock(guard);
        return live;
    }
    void publish(std::shared_ptr<const snapshot> next) {
        std::lock_guard lock(guard);
        live.swap(next);  // the old snapshot is released outside the lock, by `next`
    }
    registry_options options;
    resolver_options resolver;
    config_sources sources;  // guarded by `reloading`

    // Called with `reloading` held; `from` becomes the kept sources if the config loads.
    reload_result install(load_result loaded, const config_sources& from) {
        reload_result out;
        out.diagnostics = std::move(loaded.diagnostics);
        if (!loaded.ok()) return out;  // the old snapshot stays live
        auto next = make_snapshot(std::move(loaded.registry), resolver);
        out.diff = diff_registries(*load()->registry, *next->registry);
        publish(std::move(next));
        sources = from;
        out.ok = true;
        return out;
    }
};

live_registry::live_registry(std::shared_ptr<const snapshot> first,
                             registry_options options,
                             resolver_options resolver)
    : impl_(std::make_unique<impl>()) {
    impl_->live = std::move(first);
    impl_->options = std::move(options);
    impl_->resolver = resolver;
}

live_registry::~live_registry() = default;

live_registry::created live_registry::create_from(load_result loaded,
                                                  const config_sources& sources,
                                                  const registry_options& options,
                                                  const resolver_options& resolver) {
    live_registry::created out;
    out.diagnostics = std::move(loaded.diagnostics);
    if (!loaded.ok()) return out;
    out.handle.reset(
        new live_registry(make_snapshot(std::move(loaded.registry), resolver), options, resolver));
    out.handle->impl_->sources = sources;
    return out;
}

live_registry::created live_registry::create(const config_sources& sources,
                                             const registry_options& options,
                                             const resolver_options& resolver) {
    return create_from(store_registry::load(sources, options), sources, options, resolver);
}

live_registry::created live_registry::create(const glance_config& config,
                                             const registry_options& options,
                                             const resolver_options& resolver) {
    return create_from(store_registry::build(config, options), config.sources(), options, resolver);
}

std::shared_ptr<const snapshot> live_registry::current() const { return impl_->load(); }

reload_result live_registry::reload(const config_sources& sources) {
    std::lock_guard lock(impl_->reloading);
    return impl_->install(store_registry::load(sources, impl_->options), sources);
}

reload_result live_registry::reload(const glance_config& config) {
    std::lock_guard lock(impl_->reloading);
    return impl_->install(store_registry::build(config, impl_->options), config.sources());
}

reload_result live_registry::reload() {
    std::lock_guard lock(impl_->reloading);
    if (impl_->sources.files.empty() && !impl_->sources.directory) {
        reload_result out;
        diagnostic none;
        none.message =
            "config built in code has no files to read again: reload it with "
            "reload(config)";
        out.diagnostics.push_back(std::move(none));
        return out;
    }
    const config_sources from = impl_->sources;
    return impl_->install(store_registry::load(from, impl_->options), from);
}

config_sources live_registry::sources() const {
    std::lock_guard lock(impl_->reloading);
    return impl_->sources;
}

}  // namespace imgstore
