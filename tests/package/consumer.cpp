// Proves that an installed imgstore is usable: headers, library and dependencies resolve.
#include <imgstore/imgstore.hpp>
#include <iostream>
#ifdef IMGSTORE_CONSUMER_DATA
#include <imgstore/data/data.hpp>
#endif

int main() {
    imgstore::glance_config config;
    config.add("DEFAULT", "enabled_backends", "fast:file, web:http");
    config.add("glance_store", "default_backend", "fast");
    config.add("fast", "filesystem_store_datadir", "/srv/glance/images");
    auto loaded = imgstore::store_registry::build(config);
    if (!loaded.ok()) {
        for (const auto& d : loaded.diagnostics) std::cerr << imgstore::to_string(d) << '\n';
        return 1;
    }
    imgstore::location_resolver resolver(loaded.registry);
    auto r = resolver.resolve("file:///srv/glance/images/abc");
    if (r.status != imgstore::resolve_status::matched || r.owner->id() != "fast") return 1;
#ifdef IMGSTORE_CONSUMER_DATA
    auto plane = imgstore::data::backend_registry().make(loaded.registry);
    if (!plane.ok() || plane.plane->find("web") == nullptr) return 1;
    if (!imgstore::data::image_hasher::supports("sha512")) return 1;
#endif
    std::cout << "consumer: " << r.canonical_url << " -> " << r.owner->id() << '\n';
    return 0;
}
