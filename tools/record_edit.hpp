// The JSON side of `imgstore stamp`: reads an image record's locations (Glance's image shape,
// `{"id": ..., "locations": [{"url": ..., "metadata": {...}}, ...], ...}`) and writes the record
// back with the library's stamp changes applied, editing only the values that change.
// The stamping decisions themselves are the library's (imgstore::stamp_locations).
#pragma once

#include <boost/json/value.hpp>
#include <span>
#include <string>
#include <vector>

#include "imgstore/stamp.hpp"

namespace imgstore::cli {

/// Checks the shape of a parsed record and appends its locations to `out` (views into
/// `record`, valid while it lives). A record without "locations" has none. Returns false, with
/// `why` saying what is malformed (never any content of the record), when the record is not an
/// object, "locations" is not an array, a location is not an object, its "url" is not a string,
/// its "metadata" is present but not an object, or "metadata.store" is neither a string nor
/// null (null and "" count as missing).
bool collect_locations(const boost::json::value& record,
                       std::vector<location_ref>& out,
                       std::string& why);

/// Appends to `out` the record `text` with `changes` applied: `metadata.store` set (the
/// metadata object is created when missing) and `url` replaced when a change has new_url, in the
/// record's own spacing. Every other byte is copied as it is: numbers (`1e999`, `-0`, integers
/// of any length), escapes (`\u00e9`, `\/`), whitespace, key order and duplicate keys. Keys are
/// found by their decoded name (`"loc\u0061tions"` is `locations`); of duplicate keys the last
/// is edited, the one a JSON parser keeps. `changes` must come from the locations that
/// collect_locations() found in the parse of `text`; false (nothing appended) only when the
/// text does not have that shape.
[[nodiscard]] bool apply_changes(std::string_view text,
                                 std::span<const location_change> changes,
                                 std::string& out);

}  // namespace imgstore::cli
