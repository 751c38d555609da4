// Embedding imgstore in a service: load the operator's config, resolve a legacy location,
// stamp an image's locations, and reload the config without stopping readers.
// Built and run by ctest (example_embed), so this README example cannot rot.
#include <cstdio>
#include <imgstore/imgstore.hpp>
#include <string>
#include <vector>

int main() {
    // 1. Config: from files (store_registry::load / live_registry::create with config_sources)
    //    or, as here, built in code.
    imgstore::glance_config config;
    config.add("DEFAULT", "enabled_backends", "fast:file, slow:file, block:cinder");
    config.add("glance_store", "default_backend", "fast");
    config.add("fast", "filesystem_store_datadir", "/srv/glance/images");
    config.add("slow", "filesystem_store_datadir", "/srv/glance/images2");
    config.add("block", "cinder_volume_type", "ssd");

    auto live = imgstore::live_registry::create(config);
    if (!live.ok()) {
        for (const auto& d : live.diagnostics) std::fprintf(stderr, "%s\n", to_string(d).c_str());
        return 1;
    }

    // 2. Resolve: readers take a snapshot and use it; it stays valid across reloads.
    auto snap = live.handle->current();
    std::string scratch;  // reused: resolving is allocation-free once it has grown
    auto r = snap->resolver->resolve("FILE:///srv/glance/images2/0b5e", scratch);
    if (r.status != imgstore::resolve_status::matched) return 1;
    std::printf("%.*s -> %.*s\n", static_cast<int>(r.canonical_url.size()), r.canonical_url.data(),
                static_cast<int>(r.owner->id().size()), r.owner->id().data());

    // 3. Stamp an image's locations; the caller saves the image once if anything changed.
    std::vector<imgstore::location_ref> locations{
        {"file:///srv/glance/images/0b5e", std::nullopt},       // legacy: no store
        {"file:///srv/glance/images2/0b5e", "gone"},            // stale store id
        {"cinder://6f1c2a39-3f0e-4c55-9d0a-2b8f0c6f1a11", {}},  // legacy cinder volume
    };
    imgstore::stamp_options options;
    options.volume_type_of = [](std::string_view) { return std::optional<std::string>("ssd"); };
    auto stamped = imgstore::stamp_locations(*snap->resolver, locations, options);
    for (const auto& c : stamped.changes) {
        std::printf("location %zu: store %s%s%s\n", c.index, c.new_store.c_str(),
                    c.new_url ? ", url " : "", c.new_url ? c.new_url->c_str() : "");
    }
    if (stamped.changes.size() != 3) return 1;

    // 4. Reload: the new config is built beside the live one and swapped in atomically.
    imgstore::glance_config next = config;
    next.add("slow", "filesystem_store_datadir", "/srv/glance/archive");
    auto reloaded = live.handle->reload(next);
    if (!reloaded.ok) return 1;
    for (const auto& a : reloaded.diff.added) {
        std::printf("added %s %s\n", a.store_id.c_str(), a.prefix.c_str());
    }
    // The old snapshot still answers as before for readers that hold it.
    return snap->resolver->resolve("file:///srv/glance/images2/0b5e").owner->id() == "slow" ? 0 : 1;
}
