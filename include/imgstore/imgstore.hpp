// imgstore: the multi-store core of a C++ image service (what glance_store gives Glance).
//
// OVERVIEW FOR AN EMBEDDER
//
// Include this header and link imgstore::imgstore. For the stores' data (get, add, delete)
// also link imgstore::data and include "imgstore/data/data.hpp"; for Glance's own database,
// imgstore::glance_db and "imgstore/glance_db/glance_db.hpp". service/ in the source tree is a
// complete image service built on all three (README, "Using imgstore in an image service").
//
// The objects, from the operator's files to one request:
//   glance_config        the parsed glance-api.conf (read_config, or built in code). A value.
//   store_registry       the stores it declares, immutable once built (store_registry::load).
//   location_resolver    which store owns a location URL: O(URL length), any number of stores.
//   live_registry        the service's handle: current() gives a snapshot (registry + resolver);
//                        reload() rereads the files it was created from (call it on SIGHUP)
//                        and swaps the new snapshot in only if the new config loads.
//   stamp_image()        one call per image GET: the locations as the response shows them
//                        (metadata['store'] stamped) and the changes to save once. It never
//                        blocks: legacy cinder volumes whose type it needs are listed in
//                        volume_lookups; ask Cinder, then call again with the answers.
//
// Lifetimes: a snapshot (shared_ptr) keeps its registry and resolver alive; hold one for the
// whole request, so a reload never changes a request's answers half-way. Views a resolution
// returns live as long as the snapshot and the URL (or the scratch buffer) they point into.
//
// Thread safety: everything immutable (glance_config when not modified, store_registry,
// location_resolver, snapshot) is safe to share between any number of threads; live_registry's
// current(), reload() and sources() may be called concurrently (reloads are serialised);
// stamp_image() and stamp_locations() are safe concurrently on one resolver. Errors are values
// (result<T>, diagnostics with file, line, section and key), never exceptions, and no message
// holds a secret or a URL's userinfo.
//
// Example: the library's part of GET /v2/images/{id} (compiled by ctest: examples/get_image.cpp).
//
//   auto live = imgstore::live_registry::create({.files = {"/etc/glance/glance-api.conf"}});
//   if (!live.ok()) return fail(live.diagnostics);       // every problem, file:line: [section] key
//   std::signal(SIGHUP, on_hup);                         // on_hup sets a flag; the main loop
//   if (hup) (void)live.handle->reload();                // then rereads the same files
//
//   // Per request: one snapshot, one call, one save.
//   auto snap = live.handle->current();
//   std::vector<imgstore::location_ref> refs;            // from the image's location rows
//   for (const auto& row : rows) refs.push_back({row.url, row.store});
//   imgstore::stamp_view view = imgstore::stamp_image(*snap->resolver, refs);
//   if (!view.complete()) {                              // legacy cinder://<volume> locations
//       auto answers = ask_cinder(view.volume_lookups);  // the caller's own, async, client
//       view = imgstore::stamp_image(*snap->resolver, refs, answers);
//   }
//   for (const imgstore::location_change& c : view.stamp.changes)
//       save_store(rows[c.index], c.new_store, c.new_url);  // compare-and-swap, once
//   return respond(view.locations);                      // url + metadata['store'] each
#pragma once

#include "imgstore/config.hpp"
#include "imgstore/diagnostic.hpp"
#include "imgstore/error.hpp"
#include "imgstore/location.hpp"
#include "imgstore/reason.hpp"
#include "imgstore/registry.hpp"
#include "imgstore/reload.hpp"
#include "imgstore/resolver.hpp"
#include "imgstore/secret.hpp"
#include "imgstore/stamp.hpp"
#include "imgstore/store.hpp"
#include "imgstore/store_option.hpp"
