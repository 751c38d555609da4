// Compiled by tests/api/nodiscard.cmake twice: with IMGSTORE_DISCARD=0 every result is used
// and the file must compile without a warning; with IMGSTORE_DISCARD=1 every result is
// discarded and the compiler must warn about each IMGSTORE_CASE line (-Wunused-result): each
// call whose result reports failure is [[nodiscard]] (issue 15, item 9).
#include <imgstore/imgstore.hpp>
#include <span>
#include <string>
#include <string_view>

#ifndef IMGSTORE_DISCARD
#define IMGSTORE_DISCARD 0
#endif

// One call per line, so that a warning's line names its call.
#if IMGSTORE_DISCARD
#define IMGSTORE_CASE(call) call
#else
#define IMGSTORE_CASE(call) (void)call
#endif

void use_the_api(const imgstore::location_resolver& resolver,
                 imgstore::live_registry& live,
                 const imgstore::store_registry& registry,
                 const imgstore::store& store,
                 const imgstore::glance_config& config,
                 const imgstore::config_sources& sources,
                 const imgstore::location& location,
                 std::span<const imgstore::location_ref> locations,
                 std::string_view url,
                 std::string& scratch) {
    IMGSTORE_CASE(resolver.resolve(url, scratch));
    IMGSTORE_CASE(resolver.resolve(url));
    IMGSTORE_CASE(resolver.explain(url));
    IMGSTORE_CASE(imgstore::stamp_locations(resolver, locations));
    IMGSTORE_CASE(live.reload(config));
    IMGSTORE_CASE(live.reload(sources));
    IMGSTORE_CASE(live.current());
    IMGSTORE_CASE(imgstore::live_registry::create(config));
    IMGSTORE_CASE(imgstore::live_registry::create(sources));
    IMGSTORE_CASE(imgstore::store_registry::build(config));
    IMGSTORE_CASE(imgstore::store_registry::load(sources));
    IMGSTORE_CASE(imgstore::read_config(sources));
    IMGSTORE_CASE(imgstore::parse_config(url));
    IMGSTORE_CASE(store.parse_location(url));
    IMGSTORE_CASE(store.format_location(location));
    IMGSTORE_CASE(registry.find(url));
    IMGSTORE_CASE(imgstore::parse_store_type(url));
}
