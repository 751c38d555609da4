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
/// metadata object is created when missing) and `url` replaced when a change has new_url.
/// Everything else is copied byte for byte. `record` must be the parse of `text` and have passed
/// collect_locations(); it is used, and modified, only in the rare case the text cannot be edited
/// in place (a key written with escapes): the record is then re-serialised compactly.
void apply_changes(std::string_view text,
                   boost::json::value& record,
                   std::span<const location_change> changes,
                   std::string& out);

}  // namespace imgstore::cli
