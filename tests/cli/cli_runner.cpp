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

spellings_map spellings_of_inputs(const std::vector<aliasing_runs>& runs, const fs::path& links) {
    spellings_map out;
    for (const aliasing_runs& r : runs) {
        for (const read_file_of_run& in : r.inputs) {
            if (!out.contains(in.path)) out[in.path] = spellings_of(in.path, links);
        }
    }
    return out;
}

namespace {

bool aliasing_pair_runs(const aliasing_runs& runs,
                        const read_file_of_run& in,
                        const written_file& out) {
    return !runs.compatible || runs.compatible(in, out);
}

}  // namespace

void expect_each_run_succeeds_with_its_outputs_elsewhere(const aliasing_runs& runs) {
    for (const read_file_of_run& in : runs.inputs) {
        const scratch_dir elsewhere;
        args a = runs.arguments_of(in);
        child_io io;  // stdout and stderr captured
        io.stdin_path = in.is_stdin ? in.path : "/dev/null";
        for (const written_file& out : runs.outputs) {
            if (!out.arguments.empty() && aliasing_pair_runs(runs, in, out)) {
                out.aim_at(elsewhere / out.flag, a, io);
            }
        }
        const auto r = tool_with(a, io);
        EXPECT_EQ(r.status, 0) << runs.what << " reading " << in.flag << "\n" << r.err;
    }
}

int expect_every_output_refused_as_any_input(
    const aliasing_runs& runs,
    const spellings_map& spellings,
    const std::function<void(const std::string& what)>& unchanged) {
    int count = 0;
    for (const read_file_of_run& in : runs.inputs) {
        for (const written_file& out : runs.outputs) {
            if (!aliasing_pair_runs(runs, in, out)) continue;
            for (const auto& [how, path] : spellings.at(in.path)) {
                args a = runs.arguments_of(in);
                child_io io;  // stdin is empty unless it is the input under test
                io.stdin_path = in.is_stdin ? in.path : "/dev/null";
                out.aim_at(path, a, io);
                const std::string what =
                    runs.what + ": " + out.flag + " is " + in.flag + " (" + in.path + ") " + how;
                EXPECT_TRUE(refused_as_one_file(tool_with(a, io), in.flag, out.flag)) << what;
                unchanged(what);
                ++count;
            }
        }
    }
    return count;
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
