#include "cli_runner.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>

namespace imgstore::cli_test {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::map<std::string, std::string> snapshot_of(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string name = fs::relative(e.path(), dir).string();
        if (e.is_symlink()) {
            out[name] = "link:" + fs::read_symlink(e.path()).string();
        } else if (e.is_directory()) {
            out[name] = "dir";
        } else {
            out[name] = "file:" + read_file(e.path());
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> spellings_of(const fs::path& file,
                                                              const fs::path& links) {
    const fs::path dir = file.parent_path();
    const fs::path name = file.filename();
    const std::string tag = name.string();
    fs::create_symlink(file, links / ("link-" + tag));
    fs::create_directory_symlink(dir, links / ("dirlink-" + tag));
    fs::create_hard_link(file, links / ("hard-" + tag));
    return {
        {"as given", file.string()},
        {"with ./", (dir / "." / name).string()},
        {"with ..", (dir / ".." / dir.filename() / name).string()},
        {"through a symbolic link", (links / ("link-" + tag)).string()},
        {"through a directory link", (links / ("dirlink-" + tag) / name).string()},
        {"through a hard link", (links / ("hard-" + tag)).string()},
    };
}

example_config_copy write_example_config(const scratch_dir& d) {
    example_config_copy c;
    std::string conf = read_file(source_dir / "examples/glance-api.conf");
    const std::string ceph = "examples/ceph/ceph-a.conf";
    c.ceph = d.write("ceph-a.conf", read_file(source_dir / ceph));
    conf.replace(conf.find(ceph), ceph.size(), c.ceph);
    c.config = d.write("glance.conf", conf);
    c.swift = d.write("glance-swift.conf", read_file(source_dir / "examples/glance-swift.conf"));
    return c;
}

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        out.emplace_back(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

bool contains(std::string_view text, std::string_view what) {
    return text.find(what) != std::string_view::npos;
}

args cat(args a, const args& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

pid_t spawn(const std::string& program, const args& arguments, const child_io& io) {
    std::vector<std::string> storage{program};
    storage.insert(storage.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    // The child: only async-signal-safe calls until execv.
    if (::chdir(source_dir.c_str()) != 0) ::_exit(126);
    const int fd_in = io.stdin_fd >= 0 ? io.stdin_fd : ::open(io.stdin_path.c_str(), O_RDONLY);
    const int out_flags = O_WRONLY | (io.stdout_truncate ? O_CREAT | O_TRUNC : 0);
    const int fd_out = ::open(io.stdout_path.c_str(), out_flags, 0600);
    const int err_flags = O_WRONLY | (io.stderr_truncate ? O_CREAT | O_TRUNC : O_APPEND);
    const int fd_err = ::open(io.stderr_path.c_str(), err_flags, 0600);
    if (fd_in < 0 || fd_out < 0 || fd_err < 0) ::_exit(126);
    ::dup2(fd_in, 0);
    ::dup2(fd_out, 1);
    ::dup2(fd_err, 2);
    if (io.file_size) {
        ::signal(SIGXFSZ, SIG_IGN);  // an ignored signal stays ignored across execv
        const rlimit limit{*io.file_size, *io.file_size};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
    }
    if (io.umask_value) ::umask(*io.umask_value);
    ::execv(argv[0], argv.data());
    ::_exit(127);
}

int wait_status(pid_t pid) {
    int status = 0;
    if (pid <= 0 || ::waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

run_result run(const std::string& program, const args& arguments, std::string_view input) {
    scratch_dir io;
    child_io c;
    c.stdin_path = io.write("stdin", input);
    c.stdout_path = (io / "stdout").string();
    c.stderr_path = (io / "stderr").string();
    run_result r;
    r.status = wait_status(spawn(program, arguments, c));
    r.out = read_file(c.stdout_path);
    r.err = read_file(c.stderr_path);
    return r;
}

run_result tool(const args& a, std::string_view input) { return run(IMGSTORE_TOOL, a, input); }

run_result tool_with(const args& a, child_io io) {
    scratch_dir scratch;
    if (io.stdin_path.empty() && io.stdin_fd < 0) io.stdin_path = "/dev/null";
    if (io.stdout_path.empty()) io.stdout_path = (scratch / "stdout").string();
    if (io.stderr_path.empty()) io.stderr_path = (scratch / "stderr").string();
    run_result r;
    r.status = wait_status(spawn(IMGSTORE_TOOL, a, io));
    if (fs::is_regular_file(io.stdout_path)) r.out = read_file(io.stdout_path);
    r.err = read_file(io.stderr_path);
    return r;
}

void written_file::aim_at(const std::string& path, args& a, child_io& io) const {
    if (flag == "stdout") {
        io.stdout_path = path;
        io.stdout_truncate = false;
    } else if (flag == "stderr") {
        io.stderr_path = path;
        io.stderr_truncate = false;
    } else {
        a = cat(cat(a, arguments), {path});
    }
}

::testing::AssertionResult refused_as_one_file(const run_result& r,
                                               const std::string& read_flag,
                                               const std::string& written_flag) {
    if (r.status != 2) {
        return ::testing::AssertionFailure() << "exit status " << r.status << ", not 2: " << r.err;
    }
    if (read_flag == "stderr" || written_flag == "stderr") return ::testing::AssertionSuccess();
    for (const std::string& want : {std::string("are the same file"), read_flag, written_flag}) {
        if (!contains(r.err, want)) {
            return ::testing::AssertionFailure() << "the message lacks '" << want << "': " << r.err;
        }
    }
    return ::testing::AssertionSuccess();
}

}  // namespace imgstore::cli_test
