// Which files a run reads and writes, by identity rather than by name, so that careless flags
// (`--output F < F`, `--report` naming the input, a hard link or symbolic link to another
// argument) are refused as a usage error before anything is opened for writing.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgstore::cli {

/// The files of one run, each with the flag that names it (used in the message).
///
/// Identity is the device and inode (stat(2), so symbolic links are followed and hard links
/// coincide); stdin and stdout are identified with fstat(2) when they are redirected from or to
/// a file. An output that does not exist yet is identified by its directory (resolved: `./a`,
/// `d/../a` and a link to the directory are one) and its name. Only regular files and outputs
/// still to be created are compared: devices, terminals, FIFOs and sockets (/dev/null as two
/// outputs, a terminal as stdin and stdout) never clash. An input that does not exist is left
/// out (opening it fails later, as an input error). stdout and stderr may be one file
/// (`>> log 2>&1`); stderr and any other file may not (`2>> F` would append diagnostics to an
/// input F, and `stamp` would then read its own messages forever).
///
/// Not thread-safe; a value type. Each add_*() costs one or two stat calls.
class file_set {
  public:
    /// A file the run reads; `path` "-" is stdin.
    void add_input(std::string_view flag, const std::string& path);
    /// A file the run writes; `path` "-" is stdout.
    void add_output(std::string_view flag, const std::string& path);
    /// stdin (read) and stdout (written), when the run uses them.
    void add_stdin(std::string_view flag);
    void add_stdout(std::string_view flag);
    /// stderr (written: the run's diagnostics).
    void add_stderr(std::string_view flag);

    /// "" when no two files coincide, else a message naming the first pair, e.g.
    /// "--output and --input are the same file (images.jsonl)". At least one of each pair is
    /// written (two inputs may be one file). O(n^2) in the number of files (a handful).
    [[nodiscard]] std::string clash() const;
    /// True when stderr is the same file as another of the run's files, stdout aside: a clash
    /// cannot then be reported there without writing into the file the check protects.
    [[nodiscard]] bool stderr_is_a_file_of_the_run() const;

  private:
    struct entry {
        std::string flag;
        std::string path;  // for the message; "" for stdin/stdout
        bool written = false;
        bool known = false;  // an identity was found (a regular file, or an output to create)
        dev_t dev = 0;
        ino_t ino = 0;
        std::string name;  // for an output still to be created: its name in directory dev/ino
        int fd = -1;       // STDIN_FILENO, STDOUT_FILENO or STDERR_FILENO; -1 for a path
    };
    void add(entry e, const std::string& path, bool written);
    void add_fd(std::string_view flag, int fd, bool written);
    /// Indices of the first two entries that are one file, or {0, 0}.
    std::pair<std::size_t, std::size_t> first_clash() const;
    /// `a` and `b` are one file, and not stdout and stderr (which may share one).
    static bool conflicting(const entry& a, const entry& b);

    std::vector<entry> entries_;
};

}  // namespace imgstore::cli
