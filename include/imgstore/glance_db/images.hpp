// Glance's `images` rows as an image service reads and uploads them: one image with its live
// locations and properties (GET /v2/images/{id}), and the status transitions of an upload
// (PUT /v2/images/{id}/file: queued -> saving -> active, with the new location in the same
// transaction). Built on database.hpp's connection; every call is one short transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "imgstore/glance_db/database.hpp"

namespace imgstore::glance_db {

/// One live (deleted = false) images row. Timestamps are ISO 8601 UTC as Glance's API prints
/// them ("2020-01-01T00:00:00Z"); nullopt columns are SQL NULL.
struct image_row {
    std::string id;
    std::optional<std::string> name;
    std::string status;
    std::optional<std::int64_t> size;
    std::optional<std::int64_t> virtual_size;
    std::optional<std::string> checksum;
    std::optional<std::string> os_hash_algo;
    std::optional<std::string> os_hash_value;
    std::optional<std::string> disk_format;
    std::optional<std::string> container_format;
    std::optional<std::string> owner;
    std::string visibility;
    bool is_protected = false;
    bool os_hidden = false;
    std::int64_t min_disk = 0;
    std::int64_t min_ram = 0;
    std::string created_at;
    std::optional<std::string> updated_at;
    /// Live image_properties (name, value), by name. A NULL value is an empty string.
    std::vector<std::pair<std::string, std::string>> properties;
    /// Live image_tags values, in the order they were added (by row id), each value once:
    /// Glance holds an image's tags as a set, so a value with two live rows is one tag.
    std::vector<std::string> tags;
    /// Live image_locations with status 'active', by id (value possibly encrypted).
    std::vector<location_row> locations;
};

/// The image `id` with its live properties, tags and active locations, or nullopt when there is
/// no live image of that id. Errors: db_errc::query_failed. Cost: four indexed lookups.
[[nodiscard]] db_result<std::optional<image_row>> read_image(database& db, const std::string& id);

/// Why an upload transition did not apply.
enum class upload_state {
    applied,      ///< the row changed
    no_image,     ///< no live image of that id (HTTP 404)
    wrong_status  ///< the image is not in the status the transition starts from (HTTP 409)
};

/// Glance's upload start: `queued` -> `saving` as a compare-and-swap on the status (Glance's
/// `image_repo.save(image, from_state='queued')`), so two concurrent uploads of one image
/// cannot both start. Errors: query_failed, retries_exhausted.
[[nodiscard]] db_result<upload_state> begin_upload(database& db, const std::string& id);

/// A failed upload: `saving` -> `queued` again, so the client may retry (Glance does the same
/// when the store write fails).
[[nodiscard]] db_result<upload_state> abort_upload(database& db, const std::string& id);

/// What a finished upload records (glance_store add()'s result).
struct upload_record {
    std::string location_value;  ///< as stored (encrypted when Glance encrypts locations)
    std::string meta_data;       ///< json.dumps text, e.g. {"store": "fast"}
    std::int64_t size = 0;
    std::string checksum;
    std::string os_hash_algo;
    std::string os_hash_value;
};

/// The upload's end, in one transaction: `saving` -> `active` with size, checksum and
/// multihash (compare-and-swap on status `saving`), and the new active location row. When the
/// image left `saving` meanwhile (deleted: no_image; otherwise wrong_status) nothing is
/// written and the caller removes the data it stored. Errors: query_failed, retries_exhausted.
[[nodiscard]] db_result<upload_state> finish_upload(database& db,
                                                    const std::string& id,
                                                    const upload_record& record);

}  // namespace imgstore::glance_db
