// `imgstore backfill --resume F`: where an interrupted run stops and the next one starts. The
// file is replaced atomically (output_file) after every committed batch, so it always names a
// batch that committed: rows after it are decided again, which is harmless because a stamped
// row is already_set the second time.
#pragma once

#include <cstdint>
#include <string>

#include "backfill_summary.hpp"

namespace imgstore::cli {

/// One checkpoint: `{"imgstore_backfill_checkpoint": 1, "fingerprint": "...", "last_id": N,
/// "counters": {...}}`.
struct backfill_checkpoint {
    std::string fingerprint;   ///< of everything a decision depends on (backfill_fingerprint)
    std::int64_t last_id = 0;  ///< the last row id of the last committed batch
    backfill_counters counters;
};

/// Reads `path`. `found` is false (and "" returned) when it does not exist yet; otherwise an
/// error message ("F: not a checkpoint of imgstore backfill", an errno text) or "".
[[nodiscard]] std::string load_checkpoint(const std::string& path,
                                          bool& found,
                                          backfill_checkpoint& out);

/// Replaces `path` with `c`, whole or not at all (temp file, fsync, rename). Error or "".
[[nodiscard]] std::string save_checkpoint(const std::string& path, const backfill_checkpoint& c);

/// A hex SHA-256 of `description`: what the caller puts there (the registry's effective
/// options, volume types, flags, database, key) decides whether a checkpoint may be resumed.
std::string backfill_fingerprint(std::string_view description);

}  // namespace imgstore::cli
