// Outputs that appear whole or not at all: a file written to a temporary beside its target and
// renamed into place only after a successful flush and fsync. A run that fails, is interrupted
// (SIGINT, SIGTERM, SIGHUP, SIGPIPE) or fills the disk leaves the previous file untouched and no
// temporary behind.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "imgstore/error.hpp"

namespace imgstore::cli {

/// One output file of a run.
///
/// A regular file (or a name that does not exist yet) is written to a temporary in the same
/// directory (`.<name>.<pid>.<n>.imgstore-tmp`, created with O_EXCL, mode copied from the
/// target or 0666 & ~umask for a new file) and committed by fflush + fsync(file) + rename +
/// fsync(directory). A symbolic link is followed: its target is replaced and the link stays. An
/// existing non-regular file (a character device such as /dev/null or /dev/stdout, a FIFO) is
/// written directly: there is nothing to rename over, and commit() only flushes it.
///
/// Destroying an uncommitted output_file (an error, an exception, an early return) unlinks the
/// temporary. While it lives its path is in a process-wide, async-signal-safe registry, and the
/// first create() installs handlers for SIGINT, SIGTERM, SIGHUP and SIGPIPE (unless ignored)
/// that unlink every registered temporary and then die by the same signal's default action.
/// At most 16 temporaries live at once.
///
/// Not thread-safe (one object, one thread); distinct objects may be used from distinct threads.
class output_file {
  public:
    /// Opens the temporary for `path` (or the non-regular file itself). Errors: the errno of
    /// the failed call as a system error_code (EISDIR for a directory, ENOENT for a missing
    /// directory, EMFILE beyond 16 live temporaries, ...). `path` must not be empty.
    [[nodiscard]] static result<output_file> create(const std::string& path);

    output_file(output_file&& other) noexcept;
    output_file& operator=(output_file&& other) noexcept;
    output_file(const output_file&) = delete;
    output_file& operator=(const output_file&) = delete;
    /// Abandons the output unless committed: the temporary is unlinked, the target untouched.
    ~output_file();

    /// The stream to write to; valid until commit() or abandon(). Write errors are reported by
    /// commit() (ferror), so callers may write without checking each call.
    [[nodiscard]] std::FILE* stream() const noexcept { return stream_; }

    /// The path as given to create().
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    /// Flushes and fsyncs the temporary, renames it over the target and fsyncs the directory.
    /// On any error (including an earlier write error on stream()) the temporary is unlinked,
    /// the target is left as it was, and the errno of the failed call is returned. Called once.
    [[nodiscard]] result<void> commit();

    /// Closes and unlinks the temporary now (the destructor does it otherwise). Idempotent.
    void abandon() noexcept;

  private:
    output_file() = default;
    void release() noexcept;

    std::string path_;    // as given
    std::string target_;  // what rename() replaces (a symbolic link followed)
    std::string temp_;    // empty when written directly
    std::FILE* stream_ = nullptr;
    int slot_ = -1;  // index in the signal registry
};

}  // namespace imgstore::cli
