#include "file_identity.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace imgstore::cli {

void file_set::add(entry e, const std::string& path, bool written) {
    e.path = path;
    e.written = written;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        e.known = S_ISREG(st.st_mode);
        e.dev = st.st_dev;
        e.ino = st.st_ino;
    } else if (written && errno == ENOENT) {
        // To be created: its directory (symbolic links and dot segments resolved) and name.
        // A dangling symbolic link is created where it points.
        namespace fs = std::filesystem;
        std::error_code ec;
        const fs::path full = fs::weakly_canonical(fs::absolute(path, ec), ec);
        struct stat dir {};
        if (!ec && !full.filename().empty() && ::stat(full.parent_path().c_str(), &dir) == 0) {
            e.known = true;
            e.dev = dir.st_dev;
            e.ino = dir.st_ino;
            e.name = full.filename().string();
        }
    }
    entries_.push_back(std::move(e));
}

void file_set::add_fd(std::string_view flag, int fd, bool written) {
    entry e;
    e.flag = flag;
    e.written = written;
    e.fd = fd;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        e.known = true;
        e.dev = st.st_dev;
        e.ino = st.st_ino;
    }
    entries_.push_back(std::move(e));
}

void file_set::add_input(std::string_view flag, const std::string& path) {
    if (path == "-") return add_stdin(flag);
    entry e;
    e.flag = flag;
    add(std::move(e), path, false);
}

void file_set::add_output(std::string_view flag, const std::string& path) {
    if (path == "-") return add_stdout(flag);
    entry e;
    e.flag = flag;
    add(std::move(e), path, true);
}

void file_set::add_stdin(std::string_view flag) { add_fd(flag, STDIN_FILENO, false); }

void file_set::add_stdout(std::string_view flag) { add_fd(flag, STDOUT_FILENO, true); }

void file_set::add_stderr(std::string_view flag) { add_fd(flag, STDERR_FILENO, true); }

bool file_set::conflicting(const entry& a, const entry& b) {
    const auto std_streams = [](const entry& x, const entry& y) {
        return x.fd == STDOUT_FILENO && y.fd == STDERR_FILENO;
    };
    return a.known && b.known && a.dev == b.dev && a.ino == b.ino && a.name == b.name &&
           !std_streams(a, b) && !std_streams(b, a);
}

std::pair<std::size_t, std::size_t> file_set::first_clash() const {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const entry& a = entries_[i];
            const entry& b = entries_[j];
            if ((a.written || b.written) && conflicting(a, b)) return {i, j};
        }
    }
    return {0, 0};
}

std::string file_set::clash() const {
    const auto [i, j] = first_clash();
    if (i == j) return {};
    const entry& a = entries_[i];
    const entry& b = entries_[j];
    const std::string& shown = a.path.empty() ? b.path : a.path;
    return a.flag + " and " + b.flag + " are the same file" +
           (shown.empty() ? std::string() : " (" + shown + ")");
}

bool file_set::stderr_is_a_file_of_the_run() const {
    for (const entry& e : entries_) {
        if (e.fd != STDERR_FILENO) continue;
        for (const entry& other : entries_) {
            if (&other != &e && conflicting(e, other)) return true;
        }
    }
    return false;
}

}  // namespace imgstore::cli
