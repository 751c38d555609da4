// What the CLI tests share: scratch directories, file helpers, and running the built tool (or
// the generator) as a child process from the repository root with chosen stdin, stdout and
// limits.
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

/// Every entry under `dir`: its kind and content (a link's target), to prove that a refused or
/// failed run changed nothing and left no temporary.
std::map<std::string, std::string> snapshot_of(const fs::path& dir);

/// Spellings of the existing `file` for aliasing tests, as {how, path}: as given, through `./`
/// and `..` segments, a symbolic link to it, a link to its directory, and a hard link. The links
/// are made in `links` (named after the file: one call per file name).
std::vector<std::pair<std::string, std::string>> spellings_of(const fs::path& file,
                                                              const fs::path& links);

/// examples/glance-api.conf written into `d` with the files it names beside it: the swift
/// reference file (found beside the config, as glance finds it) and one ceph.conf (named by
/// its full path), so that every file a config run reads is in `d`.
struct example_config_copy {
    std::string config;
    std::string swift;
    std::string ceph;
};
example_config_copy write_example_config(const scratch_dir& d);

/// How a child's standard streams and limits are set up.
struct child_io {
    std::string stdin_path;           ///< opened read-only as stdin
    int stdin_fd = -1;                ///< or this descriptor (a pipe's read end)
    std::string stdout_path;          ///< opened for writing as stdout ...
    bool stdout_truncate = true;      ///< ... created and truncated, or as it is (`>>`, /dev/full)
    std::string stderr_path;          ///< opened for writing as stderr ...
    bool stderr_truncate = true;      ///< ... created and truncated, or appended to (`2>>`)
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

/// Runs the tool with stdin, stdout, stderr and limits as `io` says (stderr captured unless
/// io.stderr_path is set; `out` and `err` are read from the paths when regular files).
run_result tool_with(const args& a, child_io io);

inline const args example_config{"--config-file", "examples/glance-api.conf"};

/// One file a run writes, for aliasing tests: stdout or stderr (redirected and appended to, as
/// `>>` and `2>>` do), or the file an option names (`arguments`, then the path).
struct written_file {
    std::string flag;  ///< as the tool's message names it: "stdout", "stderr", "--report"
    args arguments;    ///< e.g. {"--apply", "--journal"}; empty for stdout and stderr
    /// Makes the run `a` with streams `io` write `path` here.
    void aim_at(const std::string& path, args& a, child_io& io) const;
};

/// One file a run reads, for aliasing tests: the flag the message names it by, the file, and
/// the arguments that make the run read it (or stdin redirected from it).
struct read_file_of_run {
    std::string flag;
    std::string path;
    args arguments;
    bool is_stdin = false;
};

/// The aliasing harness: the runs `arguments_of(input)`, each with every output aimed at each
/// spelling of that input's file, except the pairs `compatible` refuses (when given).
struct aliasing_runs {
    std::string what;  ///< names the runs in failure messages
    std::vector<read_file_of_run> inputs;
    std::vector<written_file> outputs;
    std::function<args(const read_file_of_run&)> arguments_of;
    std::function<bool(const read_file_of_run&, const written_file&)> compatible;
};

using spellings_map = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

/// spellings_of every distinct input file of `runs`, the links made in `links`.
spellings_map spellings_of_inputs(const std::vector<aliasing_runs>& runs, const fs::path& links);

/// The control: each input's run, its outputs named by arguments aimed at a scratch directory
/// of its own (stdout and stderr captured), exits 0, so that the refusals come from the clash.
void expect_each_run_succeeds_with_its_outputs_elsewhere(const aliasing_runs& runs);

/// Each output aimed at each spelling of each input is refused as one file
/// (refused_as_one_file); `unchanged(what)` then checks that nothing was written. Returns how
/// many runs there were.
int expect_every_output_refused_as_any_input(
    const aliasing_runs& runs,
    const spellings_map& spellings,
    const std::function<void(const std::string& what)>& unchanged);

/// Whether `r` is a run refused because two of its files are one: exit status 2 and a message
/// naming both flags, or no message at all when one of them is stderr (it would be written into
/// the file).
::testing::AssertionResult refused_as_one_file(const run_result& r,
                                               const std::string& read_flag,
                                               const std::string& written_flag);

}  // namespace imgstore::cli_test
