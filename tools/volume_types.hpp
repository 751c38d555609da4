// The `--volume-types F` file: the volume type of each legacy cinder://<volume> location, which
// the image service would ask Cinder for. Shared by `imgstore stamp` and `imgstore backfill`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace imgstore::cli {

/// Volume id -> volume type, read from a file of `volume-id<TAB>volume-type` lines.
///
/// The file is UTF-8: a byte order mark at its start is dropped; a NUL byte or a byte that is
/// not well-formed UTF-8 is an error. Blanks (spaces, tabs) around each line and around both
/// fields are dropped, a CRLF line end is a line end; lines that are empty after that, or whose
/// first non-blank character is '#', are ignored. The id and the type must both be non-empty;
/// the id is printable ASCII without blanks (a UUID), the type holds no tab or other control
/// character (it may hold spaces and any UTF-8, as Cinder's names may). Ids
/// are compared case-insensitively (ASCII); one id listed twice must name one type.
///
/// Immutable after read(); safe for concurrent lookups.
class volume_types {
  public:
    /// Reads `path`. Returns "" or the first problem as `path:line: message` (or
    /// `path: message` when the file cannot be opened or read).
    [[nodiscard]] std::string read(const std::string& path);

    /// The type of a volume, or nullopt when the file does not list it. O(length of the id).
    [[nodiscard]] std::optional<std::string> type_of(std::string_view volume_id) const;

  private:
    std::unordered_map<std::string, std::string> types_;  // lower-cased id -> type
};

}  // namespace imgstore::cli
