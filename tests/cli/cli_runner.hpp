// What the CLI tests share: scratch directories, file helpers, and running the built tool (or
// the generator) as a child process from the repository root with chosen stdin, stdout and
// limits.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_util.hpp"

namespace imgstore::cli_test {

namespace fs = std::filesystem;
using args = std::vector<std::string>;

inline const fs::path source_dir = IMGSTORE_SOURCE_DIR;

std::string read_file(const fs::path& p);
void write_file(const fs::path& p, std::string_view text);
std::vector<std::string> lines_of(std::string_view text);
bool contains(std::string_view text, std::string_view what);
args cat(args a, const args& b);

/// A fresh directory, removed with its content: test_util's temp_dir, with paths as strings.
class scratch_dir : public test::temp_dir {
  public:
    fs::path operator/(std::string_view name) const { return path() / name; }
    /// Writes `text` to `name` (created or truncated); returns the full path.
    std::string write(std::string_view name, std::string_view text) const {
        return temp_dir::write(name, text).string();
    }
};

/// How a child's standard streams and limits are set up.
struct child_io {
    std::string stdin_path;           ///< opened read-only as stdin
    int stdin_fd = -1;                ///< or this descriptor (a pipe's read end)
    std::string stdout_path;          ///< opened for writing as stdout ...
    bool stdout_truncate = true;      ///< ... created and truncated, or as it is (`>>`, /dev/full)
    std::string stderr_path;          ///< opened (created, truncated) as stderr
    std::optional<rlim_t> file_size;  ///< RLIMIT_FSIZE, with SIGXFSZ ignored: writes past it fail
    std::optional<mode_t> umask_value;  ///< the child's umask
};

/// Starts `program args...` in the repository root; returns its pid (or -1).
pid_t spawn(const std::string& program, const args& arguments, const child_io& io);

/// Waits for `pid`: its exit status, or 128 + the signal that killed it.
int wait_status(pid_t pid);

struct run_result {
    int status = -1;
    std::string out;
    std::string err;
};

/// Runs `program args...` in the repository root with `input` on stdin.
run_result run(const std::string& program, const args& arguments, std::string_view input = {});

/// Runs the imgstore tool.
run_result tool(const args& a, std::string_view input = {});

/// Runs the tool with stdin, stdout and limits as `io` says (stderr captured in the result;
/// `out` is read from io.stdout_path when it is a regular file).
run_result tool_with(const args& a, child_io io);

inline const args example_config{"--config-file", "examples/glance-api.conf"};

}  // namespace imgstore::cli_test
