// The files of a run (issue 15, items 2, 3 and 10): two flags, a link or a redirection naming
// one file is a usage error before anything is written; outputs appear whole or not at all
// (failed input, full disk, SIGINT/SIGTERM/SIGHUP mid-run); stdout that cannot be written is an
// I/O error for every subcommand; --version.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <csignal>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli_runner.hpp"

namespace imgstore::cli_test {
namespace {

// One record the example config stamps (store fast), and its stamped form.
constexpr std::string_view files_record =
    R"({"id": "a", "locations": [{"url": "file:///srv/glance/images/a"}]})";

bool has_temporary(const fs::path& dir) {
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (contains(e.path().filename().string(), ".imgstore-tmp")) return true;
    }
    return false;
}

class CliFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        in_ = d_.write("in.jsonl", std::string(files_record) + "\n");
        fs::create_hard_link(in_, d_ / "hard.jsonl");
        fs::create_symlink("in.jsonl", d_ / "sym.jsonl");
        fs::create_directories(d_ / "sub");
        fs::create_directory_symlink(d_.path(), d_ / "dirlink");
        types_ = d_.write("types.tsv", "0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e\tglance-ssd\n");
        // The swift reference file and the ceph.conf are files the config names.
        const example_config_copy config = write_example_config(d_);
        conf_ = config.config;
        ceph_ = config.ceph;
        swift_ = config.swift;
        fs::create_directories(d_ / "conf.d");
        d_.write("conf.d/10-default.conf", "[glance_store]\ndefault_backend = fast\n");
        old_ = d_.write("old.jsonl", "old output\n");
        report_ = d_.write("report.json", "old report\n");
    }
    std::string p(std::string_view name) const { return (d_ / name).string(); }

    scratch_dir d_;
    std::string in_;
    std::string types_;
    std::string conf_;
    std::string ceph_;
    std::string swift_;
    std::string old_;
    std::string report_;
};

TEST_F(CliFiles, AnyTwoFilesOfARunBeingOneIsAUsageErrorAndNothingIsWritten) {
    struct row {
        const char* what;
        args arguments;
        std::string stdin_path;   // redirected from (default /dev/null)
        std::string stdout_path;  // appended to (`>>`), else captured
        bool stderr_too = false;  // stderr appended to stdout_path as well (`>> F 2>&1`)
    };
    const args stamp = cat({"stamp"}, example_config);
    const std::vector<row> rows{
        {"--output is stdin", cat(stamp, {"--output", in_}), in_, ""},
        {"--output is --input -", cat(stamp, {"--input", "-", "--output", in_}), in_, ""},
        {"--report is --input", cat(stamp, {"--input", in_, "--report", in_}), "", ""},
        {"--report is --output", cat(stamp, {"--input", in_, "--output", old_, "--report", old_}),
         "", ""},
        {"--output is a hard link to --input",
         cat(stamp, {"--input", in_, "--output", p("hard.jsonl")}), "", ""},
        {"--output is a symbolic link to --input",
         cat(stamp, {"--input", in_, "--output", p("sym.jsonl")}), "", ""},
        {"--input is a symbolic link to --report",
         cat(stamp, {"--input", p("sym.jsonl"), "--report", in_}), "", ""},
        {"--report names the new --output through dot segments",
         cat(stamp,
             {"--input", in_, "--output", p("new.jsonl"), "--report", p("sub/../new.jsonl")}),
         "", ""},
        {"--report names the new --output through a directory link",
         cat(stamp,
             {"--input", in_, "--output", p("new.jsonl"), "--report", p("dirlink/new.jsonl")}),
         "", ""},
        {"--output is --volume-types",
         cat(stamp, {"--input", in_, "--volume-types", types_, "--output", types_}), "", ""},
        {"--report is --volume-types",
         cat(stamp, {"--input", in_, "--volume-types", types_, "--report", types_}), "", ""},
        {"--output is --config-file",
         {"stamp", "--config-file", conf_, "--input", in_, "--output", conf_},
         "",
         ""},
        {"--report is a file of --config-dir",
         cat(stamp, {"--config-dir", p("conf.d"), "--input", in_, "--report",
                     p("conf.d/10-default.conf")}),
         "", ""},
        {"stdout is --input", cat(stamp, {"--input", in_}), "", in_},
        {"stdout is stdin", stamp, in_, in_},
        {"stdout is --report", cat(stamp, {"--input", in_, "--report", report_}), "", report_},
        {"stdout is a hard link to --input", cat(stamp, {"--input", in_}), "", p("hard.jsonl")},
        {"resolve: stdout is stdin", cat({"resolve"}, example_config), in_, in_},
        // stderr too: the clash is found on stdout, but no message may be printed.
        {"stdout and stderr are --config-file", {"check", "--config-file", conf_}, "", conf_, true},
        {"stdout and stderr are --input", cat(stamp, {"--input", in_}), "", in_, true},
    };
    for (const row& r : rows) {
        const auto before = snapshot_of(d_.path());
        child_io io;
        io.stdin_path = r.stdin_path.empty() ? "/dev/null" : r.stdin_path;
        if (!r.stdout_path.empty()) {
            io.stdout_path = r.stdout_path;
            io.stdout_truncate = false;
        }
        if (r.stderr_too) {
            io.stderr_path = r.stdout_path;
            io.stderr_truncate = false;
        }
        const auto result = tool_with(r.arguments, io);
        EXPECT_EQ(result.status, 2) << r.what << "\n" << result.err;
        if (!r.stderr_too) {
            EXPECT_TRUE(contains(result.err, "are the same file")) << r.what << "\n" << result.err;
        }
        EXPECT_EQ(snapshot_of(d_.path()), before) << r.what << ": a file was changed";
    }
}

TEST_F(CliFiles, EveryOutputOfEverySubcommandIsRefusedWhenItIsAnyInputHoweverSpelled) {
    // What a run reads.
    const std::vector<read_file_of_run> config_inputs{
        {"--config-file", conf_, {}},
        {"--config-dir", p("conf.d/10-default.conf"), {"--config-dir", p("conf.d")}},
        {"a file the config names", swift_, {}},  // swift_store_config_file
        {"a file the config names", ceph_, {}},   // rbd_store_ceph_conf
    };
    std::vector<read_file_of_run> stamp_inputs = config_inputs;
    stamp_inputs.push_back({"--input", in_, {"--input", in_}});
    stamp_inputs.push_back({"--volume-types", types_, {"--input", in_, "--volume-types", types_}});
    stamp_inputs.push_back({"stdin", in_, {}, true});
    std::vector<read_file_of_run> resolve_stdin_inputs = config_inputs;
    resolve_stdin_inputs.push_back({"stdin", in_, {}, true});
    // What it writes: stdout and stderr (every subcommand), and stamp's outputs.
    const std::vector<written_file> std_outputs{{"stdout", {}}, {"stderr", {}}};
    std::vector<written_file> stamp_outputs = std_outputs;
    stamp_outputs.push_back({"--output", {"--output"}});
    stamp_outputs.push_back({"--report", {"--report"}});
    const auto subcommand = [&](const args& sub, const std::vector<read_file_of_run>& inputs,
                                const std::vector<written_file>& outputs) {
        return aliasing_runs{sub.front(), inputs, outputs, [this, sub](const auto& in) {
                                 return cat(cat(sub, {"--config-file", conf_}), in.arguments);
                             }};
    };
    const std::vector<aliasing_runs> subcommands{
        subcommand({"check"}, config_inputs, std_outputs),
        subcommand({"stores"}, config_inputs, std_outputs),
        subcommand({"stores", "--format", "json"}, config_inputs, std_outputs),
        subcommand({"resolve", "file:///srv/glance/images/a"}, config_inputs, std_outputs),
        subcommand({"resolve"}, resolve_stdin_inputs, std_outputs),
        subcommand({"stamp"}, stamp_inputs, stamp_outputs),
    };
    const spellings_map spellings = spellings_of_inputs(subcommands, d_.path());
    for (const aliasing_runs& sub : subcommands) {
        expect_each_run_succeeds_with_its_outputs_elsewhere(sub);
    }
    const auto before = snapshot_of(d_.path());
    int runs = 0;
    for (const aliasing_runs& sub : subcommands) {
        runs +=
            expect_every_output_refused_as_any_input(sub, spellings, [&](const std::string& what) {
                EXPECT_EQ(snapshot_of(d_.path()), before) << what << ": a file was changed";
            });
    }
    EXPECT_EQ(runs, (4 * 4 * 2 + 5 * 2 + 7 * 4) * 6);  // every row ran
}

// A config that warns: every subcommand says the warning only after the file check, so that
// with stderr appended to a config file the run exits 2 and writes nothing into it.
TEST_F(CliFiles, AConfigWarningIsNeverWrittenIntoStderrThatIsAConfigFile) {
    const std::string warning = d_.write("warning.conf", "[fast]\nno_such_option = 1\n");
    const args config{"--config-file", conf_, "--config-file", warning};
    const std::vector<args> subcommands{
        {"check"},
        {"stores"},
        {"stores", "--format", "json"},
        {"resolve", "file:///srv/glance/images/a"},
        {"stamp", "--input", in_, "--output", p("out.jsonl")},
    };
    for (const args& sub : subcommands) {  // the control: the warning is said (check: stdout)
        const auto r = tool_with(cat(sub, config), {});
        EXPECT_EQ(r.status, 0) << sub.front() << "\n" << r.err;
        EXPECT_TRUE(contains(r.out + r.err, "no_such_option")) << sub.front() << "\n" << r.err;
    }
    fs::remove(p("out.jsonl"));
    const auto before = snapshot_of(d_.path());
    for (const args& sub : subcommands) {
        for (const std::string& file : {conf_, warning}) {
            child_io io;
            io.stderr_path = file;
            io.stderr_truncate = false;
            const auto r = tool_with(cat(sub, config), io);
            const std::string what = sub.front() + " 2>> " + file;
            EXPECT_EQ(r.status, 2) << what;
            EXPECT_EQ(snapshot_of(d_.path()), before) << what << ": a file was changed";
        }
    }
}

TEST_F(CliFiles, DistinctFilesDevicesAndTerminalsDoNotClash) {
    // /dev/null twice, and stdin and stdout on one device, are not one file to overwrite.
    const std::vector<args> rows{
        {"--input", in_, "--output", "/dev/null", "--report", "/dev/null"},
        {"--input", in_, "--output", p("out.jsonl"), "--report", p("sub/report.json")},
        {"--input", p("sym.jsonl"), "--output", "-", "--report", p("dirlink/r.json")},
    };
    for (const args& a : rows) {
        child_io io;
        io.stdout_path = "/dev/null";
        io.stdout_truncate = false;
        const auto r = tool_with(cat(cat({"stamp"}, example_config), a), io);
        EXPECT_EQ(r.status, 0) << a[3] << "\n" << r.err;
    }
    // stdout and stderr into one log (`>> log 2>&1`).
    const std::string log = d_.write("log", "");
    for (const args& a : std::vector<args>{{"stores"}, {"check"}, {"stamp", "--input", in_}}) {
        child_io io;
        io.stdout_path = log;
        io.stdout_truncate = false;
        io.stderr_path = log;
        io.stderr_truncate = false;
        const auto r = tool_with(cat(a, example_config), io);
        EXPECT_EQ(r.status, 0) << a[0] << "\n" << r.err;
    }
    EXPECT_TRUE(contains(read_file(log), "imgstore stamp: 1 images")) << read_file(log);
    EXPECT_TRUE(contains(read_file(p("out.jsonl")), R"("metadata": {"store": "fast"})"));
    EXPECT_TRUE(fs::exists(p("sub/report.json")));
    EXPECT_TRUE(fs::exists(p("r.json")));
}

TEST(CliFilesUsage, AnEmptyPathIsAUsageError) {
    const std::vector<args> rows{
        {"stamp", "--output", ""},      {"stamp", "--report", ""},
        {"stamp", "--input", ""},       {"stamp", "--volume-types", ""},
        {"stamp", "--config-dir", ""},  {"stamp", "--config-file", ""},
        {"check", "--config-dir", ""},  {"check", "--config-file", ""},
        {"stores", "--config-dir", ""}, {"resolve", "--config-dir", "", "file:///x"},
    };
    for (const args& a : rows) {
        const auto r = tool(cat(a, example_config));
        EXPECT_EQ(r.status, 2) << a[0] << " " << a[1] << "\n" << r.err;
        EXPECT_TRUE(contains(r.err, "empty path")) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
}

TEST_F(CliFiles, AFailedRunLeavesThePreviousOutputsAndNoTemporary) {
    std::string many;
    for (int i = 0; i < 2000; ++i) many += std::string(files_record) + "\n";
    const std::string big = d_.write("big.jsonl", many);
    const std::string bad_types = d_.write("bad.tsv", "no tab here\n");
    const std::string bad_conf = d_.write("bad.conf", "[DEFAULT]\nenabled_backends = x:floppy\n");
    struct row {
        const char* what;
        args arguments;
        int status;
        std::optional<rlim_t> file_size;
    };
    const args outputs{"--output", old_, "--report", report_};
    const std::vector<row> rows{
        {"unreadable input (a directory)", cat({"--input", p("sub")}, outputs), 3, {}},
        {"full disk (file size limit) while writing --output", cat({"--input", big}, outputs), 3,
         4096},
        {"--report in a missing directory",
         {"--input", in_, "--output", old_, "--report", p("missing/r.json")},
         3,
         {}},
        {"--output in a missing directory",
         {"--input", in_, "--output", p("missing/o.jsonl"), "--report", report_},
         3,
         {}},
        {"--output is a directory",
         {"--input", in_, "--output", p("sub"), "--report", report_},
         3,
         {}},
        {"malformed --volume-types",
         cat({"--input", in_, "--volume-types", bad_types}, outputs),
         3,
         {}},
        {"invalid configuration", cat({"--config-file", bad_conf, "--input", in_}, outputs), 1, {}},
    };
    for (const row& r : rows) {
        const auto before = snapshot_of(d_.path());
        child_io io;
        io.file_size = r.file_size;
        const auto result = tool_with(cat(cat({"stamp"}, example_config), r.arguments), io);
        EXPECT_EQ(result.status, r.status) << r.what << "\n" << result.err;
        EXPECT_EQ(read_file(old_), "old output\n") << r.what;
        EXPECT_EQ(read_file(report_), "old report\n") << r.what;
        EXPECT_FALSE(has_temporary(d_.path())) << r.what;
        EXPECT_EQ(snapshot_of(d_.path()), before) << r.what;
    }
    // The same run with room to write replaces both.
    const auto ok = tool(cat(cat({"stamp", "--input", big}, example_config), outputs));
    EXPECT_EQ(ok.status, 0) << ok.err;
    EXPECT_EQ(lines_of(read_file(old_)).size(), 2000u);
    EXPECT_EQ(boost::json::parse(read_file(report_)).at("images"), 2000);
    EXPECT_FALSE(has_temporary(d_.path()));
}

TEST_F(CliFiles, ASignalMidRunLeavesThePreviousOutputsAndNoTemporary) {
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
        int fds[2];
        ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        child_io io;
        io.stdin_fd = fds[0];
        io.stdout_path = "/dev/null";
        io.stderr_path = p("stderr");
        const pid_t pid =
            spawn(IMGSTORE_TOOL,
                  cat({"stamp", "--output", old_, "--report", report_}, example_config), io);
        ::close(fds[0]);
        const std::string records =
            std::string(files_record) + "\n" + std::string(files_record) + "\n";
        ASSERT_EQ(::write(fds[1], records.data(), records.size()),
                  static_cast<ssize_t>(records.size()));
        // The temporaries exist once the run is under way; stdin stays open, so it is blocked
        // reading when the signal lands.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!has_temporary(d_.path()) && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ASSERT_TRUE(has_temporary(d_.path()))
            << "the run never started: " << read_file(p("stderr"));
        ::kill(pid, sig);
        EXPECT_EQ(wait_status(pid), 128 + sig) << "died by the signal's default action";
        ::close(fds[1]);
        fs::remove(p("stderr"));
        EXPECT_EQ(read_file(old_), "old output\n") << sig;
        EXPECT_EQ(read_file(report_), "old report\n") << sig;
        EXPECT_FALSE(has_temporary(d_.path())) << sig;
    }
}

TEST_F(CliFiles, OutputsKeepTheirModeAndLinksAndNewOnesFollowTheUmask) {
    ::chmod(old_.c_str(), 0640);
    const std::string real = d_.write("sub/real.jsonl", "old\n");
    fs::create_symlink(real, d_ / "link.jsonl");
    child_io io;
    io.umask_value = 027;
    const auto r =
        tool_with(cat({"stamp", "--input", in_, "--output", old_, "--report", p("new-report.json")},
                      example_config),
                  io);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(fs::status(old_).permissions(),
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    EXPECT_EQ(fs::status(p("new-report.json")).permissions(),
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    const auto linked =
        tool(cat({"stamp", "--input", in_, "--output", p("link.jsonl")}, example_config));
    EXPECT_EQ(linked.status, 0) << linked.err;
    EXPECT_TRUE(fs::is_symlink(d_ / "link.jsonl")) << "the link is kept, its target replaced";
    EXPECT_TRUE(contains(read_file(real), R"("store": "fast")")) << read_file(real);
}

TEST(CliFilesUsage, EverySubcommandExitsThreeWhenStdoutCannotBeWritten) {
    scratch_dir d;
    const std::string in = d.write("in.jsonl", std::string(files_record) + "\n");
    std::vector<args> rows{
        {"check"},
        {"stores"},
        {"stores", "--format", "json"},
        {"resolve", "file:///srv/glance/images/a"},
        {"stamp", "--input", in},
        {"stamp", "--input", in, "--output", "/dev/full"},
        {"stamp", "--input", in, "--output", (d / "out").string(), "--report", "/dev/full"},
    };
    for (args& a : rows) a = cat(a, example_config);
    // The tool's own --help and --version, and a subcommand's --help.
    for (const args& a : std::vector<args>{{"--version"}, {"--help"}, {"check", "-h"}}) {
        rows.push_back(a);
    }
    for (const args& a : rows) {
        child_io io;
        io.stdout_path = "/dev/full";
        io.stdout_truncate = false;
        const auto r = tool_with(a, io);
        EXPECT_EQ(r.status, 3) << a.front() << " " << a.back() << "\n" << r.err;
        EXPECT_TRUE(contains(r.err, "No space left on device")) << r.err;
    }
}

TEST(CliFilesUsage, VersionIsTheProjectVersionInVersionHelpAndReports) {
    const std::string version = IMGSTORE_PROJECT_VERSION;
    const auto v = tool({"--version"});
    EXPECT_EQ(v.status, 0);
    EXPECT_EQ(v.out, "imgstore " + version + "\n");
    const auto help = tool({"--help"});
    EXPECT_TRUE(contains(help.out, "imgstore " + version)) << help.out;
    EXPECT_TRUE(contains(help.out, "--version")) << help.out;
    scratch_dir d;
    const std::string in = d.write("in.jsonl", std::string(files_record) + "\n");
    const std::string report = (d / "r.json").string();
    const auto r = tool(cat({"stamp", "--input", in, "--report", report}, example_config));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(boost::json::parse(read_file(report)).at("imgstore_version"), version.c_str());
}

}  // namespace
}  // namespace imgstore::cli_test
