// The imgstore-service executable itself: --help, SIGHUP reload, SIGTERM stop.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "service_test_util.hpp"

namespace imgstore {
namespace {

std::string service_binary() {
    const char* path = std::getenv("IMGSTORE_SERVICE_BINARY");
    return path ? path : "";
}

std::string slurp_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs the service with stdout and stderr to files in `dir`; returns its pid.
pid_t spawn_service(const std::vector<std::string>& args, const std::filesystem::path& dir) {
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string out = (dir / "stdout").string();
        const std::string err = (dir / "stderr").string();
        if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(err.c_str(), "w", stderr)) {
            _exit(127);
        }
        std::vector<char*> argv;
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

int wait_exit(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

template <class Pred>
bool eventually(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

TEST(ServiceProcess, HelpSaysThereIsNoAuthentication) {
    if (service_binary().empty())
        GTEST_SKIP() << "IMGSTORE_SERVICE_BINARY is not set (ctest sets it)";
    test::temp_dir dir;
    const pid_t pid = spawn_service({service_binary(), "--help"}, dir.path());
    EXPECT_EQ(wait_exit(pid), 0);
    const std::string help = slurp_file(dir.path() / "stdout");
    EXPECT_NE(help.find("NO AUTHENTICATION"), std::string::npos) << help;
    EXPECT_NE(help.find("127.0.0.1"), std::string::npos) << help;
}

TEST(ServiceProcess, SighupReloadsTheConfigFilesAndSigtermStops) {
    if (service_binary().empty())
        GTEST_SKIP() << "IMGSTORE_SERVICE_BINARY is not set (ctest sets it)";
    test::temp_dir dir;
    std::string why_not;
    auto db = test::scratch_glance_db::create(test::db_server::sqlite, why_not);
    ASSERT_TRUE(db) << why_not;
    const auto conf = dir.path() / "glance-api.conf";
    auto write_conf = [&](const std::string& backends) {
        std::ofstream(dir.path() / "tmp.conf")
            << "[DEFAULT]\nenabled_backends = " << backends
            << "\n[glance_store]\ndefault_backend = fast\n[fast]\nfilesystem_store_datadir = "
            << (dir.path() / "fast").string()
            << "\n[extra]\nfilesystem_store_datadir = " << (dir.path() / "extra").string()
            << "\n[database]\nconnection = " << db->url() << "\n";
        std::filesystem::rename(dir.path() / "tmp.conf", conf);
    };
    write_conf("fast:file");
    const pid_t pid = spawn_service(
        {service_binary(), "--config-file", conf.string(), "--listen", "127.0.0.1:0"}, dir.path());
    std::uint16_t port = 0;
    ASSERT_TRUE(eventually([&] {
        const std::string out = slurp_file(dir.path() / "stdout");
        const auto colon = out.rfind(':');
        if (out.find("listening on 127.0.0.1:") != 0 || out.back() != '\n') return false;
        port = static_cast<std::uint16_t>(std::stoi(out.substr(colon + 1)));
        return true;
    })) << slurp_file(dir.path() / "stderr");
    test::http_client client(port);
    auto count_stores = [&] {
        auto r = client.get("/v2/info/stores");
        return boost::json::parse(r.body).at("stores").as_array().size();
    };
    EXPECT_EQ(count_stores(), 1u);
    write_conf("fast:file, extra:file");
    ASSERT_EQ(kill(pid, SIGHUP), 0);
    EXPECT_TRUE(eventually([&] { return count_stores() == 2u; }));
    EXPECT_TRUE(eventually([&] {
        return slurp_file(dir.path() / "stderr").find("reload: generation 2 live") !=
               std::string::npos;
    })) << slurp_file(dir.path() / "stderr");
    EXPECT_NE(slurp_file(dir.path() / "stderr").find("stores added [extra]"), std::string::npos);
    // A broken config: the reload fails, the old generation keeps serving.
    std::ofstream(conf) << "[DEFAULT]\nenabled_backends = fast:nosuchtype\n";
    ASSERT_EQ(kill(pid, SIGHUP), 0);
    EXPECT_TRUE(eventually([&] {
        return slurp_file(dir.path() / "stderr").find("reload failed") != std::string::npos;
    })) << slurp_file(dir.path() / "stderr");
    EXPECT_EQ(count_stores(), 2u);
    ASSERT_EQ(kill(pid, SIGTERM), 0);
    EXPECT_EQ(wait_exit(pid), 0);
}

}  // namespace
}  // namespace imgstore
