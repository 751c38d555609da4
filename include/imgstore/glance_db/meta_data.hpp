// image_locations.meta_data as Glance writes it (json.dumps text of a dict): whether a row
// needs a store, and the edit that adds one. The text is classified with a real JSON parser but
// edited by splicing, so every byte outside the edit is kept (doc/glance-db.md, "Splicing").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "imgstore/glance_db/error.hpp"

namespace imgstore::glance_db {

/// What a row's meta_data says about its store.
enum class meta_kind {
    needs_store,  ///< NULL, an empty object, no top-level "store", or "store" is "" or null
    has_store,    ///< a top-level "store" that is a non-empty string
    malformed,    ///< not a JSON object, invalid JSON, or a "store" we must not guess about
};

struct meta_info {
    meta_kind kind = meta_kind::needs_store;
    std::string store;   ///< has_store: the decoded id
    std::string reason;  ///< malformed: why, e.g. "not a JSON object", "duplicate top-level
                         ///< \"store\" keys", "\"store\" is a number" (never echoes the text)
};

/// Classifies meta_data (nullopt is SQL NULL). Only top-level keys count; keys are compared
/// after JSON unescaping ("\u0073tore" is "store"), case-sensitively. Malformed: invalid JSON or
/// UTF-8, NaN/Infinity, anything but an object at the top, a "store" that is not a string or
/// null, or "store" given twice at the top level (Python keeps the last, other readers the
/// first: ambiguous, so left alone). Total, never throws except std::bad_alloc; thread-safe.
meta_info inspect_meta(std::optional<std::string_view> meta);

/// The meta_data text with the store set, as Glance would save it:
/// - NULL or an empty object (whatever whitespace it holds) -> `{"store": "<id>"}`;
/// - a present "store": "" or null -> that value replaced in place by "<id>", all else kept;
/// - otherwise `, "store": "<id>"` inserted after the last member (before any whitespace that
///   precedes the closing brace), all else kept, whitespace around the object included.
/// The id is escaped as Python's json.dumps escapes it (ensure_ascii: \" \\ \n \r \t \b \f,
/// other controls, DEL and non-ASCII as lower-case \uXXXX, surrogate pairs above U+FFFF).
/// Errors: db_errc::malformed_meta_data, db_errc::has_store (inspect_meta says why),
/// db_errc::bad_store_id (not UTF-8). Thread-safe; O(length).
[[nodiscard]] db_result<std::string> splice_store(std::optional<std::string_view> meta,
                                                  std::string_view store_id);

/// A string as Python's json.dumps writes it, quotes included. Errors: db_errc::bad_store_id
/// when `s` is not UTF-8.
[[nodiscard]] db_result<std::string> python_json_string(std::string_view s);

}  // namespace imgstore::glance_db
