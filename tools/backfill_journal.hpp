// `imgstore backfill --journal F`: the old and new values of every row a backfill changed,
// appended and fsynced before each batch commits, and read back by `--undo F`.
//
// One JSON object per line: {"id": 17, "status": "active", "old_value": "...",
// "old_meta": ... or null, "new_value": "...", "new_meta": ... or null}. Values are stored as
// the database holds them (encrypted when Glance encrypts them; otherwise URLs with their
// credentials, which undo must restore): the file is created with mode 0600.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "imgstore/glance_db/database.hpp"

namespace imgstore::cli {

/// Appends journal entries to a file. Move-only; not thread-safe.
class journal_writer {
  public:
    /// Opens (creates with mode 0600, or appends to) `path`. When the file ends in the middle
    /// of a line (a run killed while writing), a newline is written first so the torn line
    /// stays apart. Returns an error message, or "" and sets `out`.
    [[nodiscard]] static std::string open(const std::string& path, journal_writer& out);

    journal_writer() = default;
    journal_writer(journal_writer&& other) noexcept;
    journal_writer& operator=(journal_writer&& other) noexcept;
    journal_writer(const journal_writer&) = delete;
    journal_writer& operator=(const journal_writer&) = delete;
    ~journal_writer();

    bool is_open() const noexcept { return fd_ >= 0; }

    /// Appends one line per applied update (`applied[i]` true), then fdatasync. Returns an
    /// error message (errno text), or "". Writes nothing and returns "" when none applied.
    [[nodiscard]] std::string append(std::span<const glance_db::row_update> updates,
                                     const std::vector<bool>& applied);

  private:
    int fd_ = -1;
    std::string path_;
    std::string line_;  // reused buffer
};

/// One journal entry, as written.
struct journal_entry {
    std::int64_t id = 0;
    std::string status;
    std::string old_value;
    std::optional<std::string> old_meta;
    std::string new_value;
    std::optional<std::string> new_meta;
};

/// Reads a journal for undo in bounded memory: the offsets of its lines first, then the
/// entries newest first, a batch at a time. Not thread-safe.
class journal_reader {
  public:
    /// Opens `path` and indexes its lines. A line that is not complete JSON (a write torn by a
    /// kill: its batch never committed) is counted in torn() and skipped; a complete JSON line
    /// of the wrong shape is an error ("F line N: ..."). Returns an error message, or "".
    [[nodiscard]] static std::string open(const std::string& path, journal_reader& out);

    journal_reader() = default;
    journal_reader(journal_reader&& other) noexcept;
    journal_reader& operator=(journal_reader&& other) noexcept;
    journal_reader(const journal_reader&) = delete;
    journal_reader& operator=(const journal_reader&) = delete;
    ~journal_reader();

    std::size_t entries() const noexcept { return lines_.size(); }
    std::size_t torn() const noexcept { return torn_; }

    /// The next at most `limit` entries, newest first (undo restores in reverse order, so a row
    /// changed twice ends with its first old value). Empty when done. Error message or "".
    [[nodiscard]] std::string next(std::size_t limit, std::vector<journal_entry>& out);

  private:
    struct line_span {
        std::uint64_t offset;
        std::uint32_t length;
        std::uint64_t number;  // 1-based, for messages
    };
    int fd_ = -1;
    std::string path_;
    std::vector<line_span> lines_;  // entries only, file order
    std::size_t remaining_ = 0;     // lines_[0, remaining_) are still to be returned
    std::size_t torn_ = 0;
};

}  // namespace imgstore::cli
