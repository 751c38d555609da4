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
    const int fd_err = ::open(io.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
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
    io.stderr_path = (scratch / "stderr").string();
    run_result r;
    r.status = wait_status(spawn(IMGSTORE_TOOL, a, io));
    if (fs::is_regular_file(io.stdout_path)) r.out = read_file(io.stdout_path);
    r.err = read_file(io.stderr_path);
    return r;
}

}  // namespace imgstore::cli_test
