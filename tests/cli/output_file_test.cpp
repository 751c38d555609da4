// tools/output_file and tools/file_identity on their own (the tool's tests run them through
// `imgstore stamp`): what a caller such as `imgstore backfill` relies on beyond the tool's use.
#include "output_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "file_identity.hpp"

namespace imgstore::cli_test {
namespace {

std::size_t temporaries_in(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (contains(e.path().filename().string(), ".imgstore-tmp")) ++n;
    }
    return n;
}

TEST(OutputFile, CommitReplacesTheTargetAndDestructionWithoutCommitLeavesIt) {
    scratch_dir d;
    const std::string target = d.write("out", "old");
    {
        auto f = cli::output_file::create(target);
        ASSERT_TRUE(f.has_value());
        std::fputs("abandoned", f->stream());
        EXPECT_EQ(temporaries_in(d.path()), 1u);
    }
    EXPECT_EQ(read_file(target), "old");
    EXPECT_EQ(temporaries_in(d.path()), 0u);
    auto f = cli::output_file::create(target);
    ASSERT_TRUE(f.has_value());
    std::fputs("new", f->stream());
    EXPECT_TRUE(f->commit().has_value());
    EXPECT_EQ(read_file(target), "new");
    EXPECT_EQ(temporaries_in(d.path()), 0u);
    EXPECT_FALSE(f->commit().has_value()) << "a second commit is an error, not a second rename";
    f->abandon();  // idempotent after commit: the committed file stays
    EXPECT_EQ(read_file(target), "new");
}

TEST(OutputFile, RefusesWhatItCannotReplace) {
    scratch_dir d;
    fs::create_directories(d / "dir");
    for (const std::string& path :
         {std::string(), (d / "dir").string(), (d / "missing/out").string()}) {
        const auto f = cli::output_file::create(path);
        EXPECT_FALSE(f.has_value()) << path;
    }
    EXPECT_EQ(temporaries_in(d.path()), 0u);
    EXPECT_EQ(temporaries_in(d / "dir"), 0u);
}

TEST(OutputFile, AtMostSixteenTemporariesLiveAtOnce) {
    scratch_dir d;
    std::vector<cli::output_file> live;
    for (int i = 0; i < 16; ++i) {
        auto f = cli::output_file::create((d / ("out" + std::to_string(i))).string());
        ASSERT_TRUE(f.has_value()) << i;
        live.push_back(std::move(*f));  // moves keep the registry pointing at the live name
    }
    EXPECT_FALSE(cli::output_file::create((d / "one-more").string()).has_value());
    live.pop_back();
    EXPECT_TRUE(cli::output_file::create((d / "one-more").string()).has_value());
}

TEST(OutputFile, ADeviceIsWrittenInPlace) {
    auto f = cli::output_file::create("/dev/null");
    ASSERT_TRUE(f.has_value());
    std::fputs("discarded", f->stream());
    EXPECT_TRUE(f->commit().has_value());
    auto full = cli::output_file::create("/dev/full");
    ASSERT_TRUE(full.has_value());
    std::fputs("no room", full->stream());
    const auto r = full->commit();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().value(), ENOSPC);
}

TEST(OutputFile, ASignalUnlinksTheTemporariesOfMovedObjectsToo) {
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
        scratch_dir d;
        const std::string target = d.write("out", "old");
        const pid_t pid = ::fork();
        if (pid == 0) {
            auto f = cli::output_file::create(target);
            auto g = cli::output_file::create((d / "new").string());
            if (!f || !g) ::_exit(1);
            std::optional<cli::output_file> moved(std::move(*f));
            cli::output_file assigned = std::move(*g);
            std::fputs("partial", moved->stream());
            std::fflush(moved->stream());
            ::raise(sig);
            ::_exit(2);  // not reached: the handler dies by the signal
        }
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << sig << " " << status;
        EXPECT_EQ(read_file(target), "old");
        EXPECT_FALSE(fs::exists(d / "new"));
        EXPECT_EQ(temporaries_in(d.path()), 0u) << sig;
    }
}

TEST(FileSet, TwoInputsMayBeOneFileButNoOutputMayBeAnother) {
    scratch_dir d;
    const std::string a = d.write("a", "x");
    fs::create_hard_link(a, d / "hard");
    cli::file_set inputs;
    inputs.add_input("--one", a);
    inputs.add_input("--two", (d / "hard").string());
    inputs.add_input("--missing", (d / "missing").string());
    EXPECT_EQ(inputs.clash(), "");
    cli::file_set outputs = inputs;
    outputs.add_output("--out", (d / "missing").string());
    EXPECT_EQ(outputs.clash(), "") << "a missing input is no file";
    outputs.add_output("--out2", (d / "." / "missing").string());
    EXPECT_EQ(outputs.clash(),
              "--out2 and --out are the same file (" + (d / "." / "missing").string() + ")");
    cli::file_set written;
    written.add_input("--in", a);
    written.add_output("--out", (d / "hard").string());
    EXPECT_EQ(written.clash(), "--out and --in are the same file (" + (d / "hard").string() + ")");
}

// Points stdout and stderr of this process at `path` for its lifetime (nothing is printed
// meanwhile), then back.
class std_streams_to {
  public:
    explicit std_streams_to(const std::string& path)
        : out_(::dup(STDOUT_FILENO)), err_(::dup(STDERR_FILENO)) {
        std::fflush(stdout);
        const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
    ~std_streams_to() {
        ::dup2(out_, STDOUT_FILENO);
        ::dup2(err_, STDERR_FILENO);
        ::close(out_);
        ::close(err_);
    }
    std_streams_to(const std_streams_to&) = delete;
    std_streams_to& operator=(const std_streams_to&) = delete;

  private:
    int out_;
    int err_;
};

TEST(FileSet, StdoutAndStderrMayShareAFileButStderrAndAnyOtherFileMayNot) {
    scratch_dir d;
    const std::string log = d.write("log", "");
    std::string shared;
    std::string with_input;
    bool with_input_on_stderr = false;
    std::string with_output;
    bool with_output_on_stderr = false;
    bool stdout_with_input_on_stderr = true;
    {
        const std_streams_to redirected(log);
        cli::file_set streams;
        streams.add_stdout("stdout");
        streams.add_stderr("stderr");
        shared = streams.clash();
        cli::file_set input = streams;
        input.add_input("--in", log);
        with_input = input.clash();
        with_input_on_stderr = input.stderr_is_a_file_of_the_run();
        cli::file_set output;
        output.add_stderr("stderr");
        output.add_output("--report", log);
        with_output = output.clash();
        with_output_on_stderr = output.stderr_is_a_file_of_the_run();
        cli::file_set plain;
        plain.add_stdout("stdout");
        plain.add_input("--in", log);
        stdout_with_input_on_stderr = plain.stderr_is_a_file_of_the_run();
    }
    EXPECT_EQ(shared, "") << "`>> log 2>&1`";
    EXPECT_EQ(with_input, "--in and stdout are the same file (" + log + ")");
    EXPECT_TRUE(with_input_on_stderr) << "stderr is the input too";
    EXPECT_EQ(with_output, "--report and stderr are the same file (" + log + ")");
    EXPECT_TRUE(with_output_on_stderr);
    EXPECT_FALSE(stdout_with_input_on_stderr);
    EXPECT_EQ(read_file(log), "");
}

}  // namespace
}  // namespace imgstore::cli_test
