// The service under test: a real imgstore-service on 127.0.0.1 (ephemeral port) over a scratch
// Glance database and temporary file stores, and a real HTTP client (Beast) to talk to it.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glance_db/scratch_db.hpp"
#include "service.hpp"
#include "test_util.hpp"

namespace imgstore::test {

/// One HTTP answer; header names lower-case.
struct http_answer {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

/// A keep-alive HTTP/1.1 client on one connection (reconnects when the server closed it).
class http_client {
  public:
    explicit http_client(std::uint16_t port);
    ~http_client();
    http_answer get(const std::string& target,
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
    http_answer put(const std::string& target,
                    const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& headers);
    http_answer send(const std::string& method,
                     const std::string& target,
                     const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Writes `bytes` to a raw connection and returns everything the server sends back until it
/// closes (or `wait` passes): for requests no well-behaved client would send.
std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::seconds wait);

/// The md5 hex of `data` (the service's checksum), through the data plane's hasher.
std::string md5_hex(const std::string& data);

/// `n` bytes that are not all alike, so that a wrong range or offset shows.
std::string test_payload(std::size_t n);

/// The request targets of an image and of its data.
std::string image_path(std::string_view id);
std::string file_path(std::string_view id);

/// The service's log lines, kept in memory (service_test_util.cpp).
class captured_log;

/// A running service on two file stores (`fast`, the default, and `slow`) under a temporary
/// directory, over a scratch Glance database; its log lines are kept for assertions.
class service_fixture {
  public:
    /// nullptr with `why_not` set when the database server is not configured.
    static std::unique_ptr<service_fixture> create(db_server server,
                                                   std::string& why_not,
                                                   service::service_options options = {},
                                                   std::string extra_config = {});
    ~service_fixture();

    std::uint16_t port() const { return service_->port(); }
    service::image_service& service() { return *service_; }
    scratch_glance_db& db() { return *db_; }
    const std::filesystem::path& dir() const { return dir_.path(); }
    std::filesystem::path datadir(const std::string& store) const { return dir_.path() / store; }
    /// Rewrites glance-api.conf (reload() reads it), `extra` appended.
    void write_config(const std::string& extra);
    std::string logs() const;
    /// Waits (at most 10 s) until the logs hold `text`: a request's line is written after its
    /// answer is sent, so right after a response it may not be there yet.
    bool wait_for_log(const std::string& text) const;

    /// Adds an image (status `status`) and, when `data` is given, its file in `store`'s
    /// datadir and a location row whose meta_data is `meta` (nullopt: NULL, unstamped).
    void add_image(const std::string& id,
                   const std::string& status,
                   const std::optional<std::string>& data = std::nullopt,
                   const std::string& store = "fast",
                   const std::optional<std::string>& meta = std::nullopt);

  private:
    service_fixture() = default;
    temp_dir dir_;
    std::unique_ptr<scratch_glance_db> db_;
    std::shared_ptr<captured_log> log_;
    std::shared_ptr<spdlog::logger> logger_;
    std::unique_ptr<service::image_service> service_;
    std::string extra_;
};

/// A service_fixture on SQLite (always there): for tests of the service, not the database.
std::unique_ptr<service_fixture> sqlite_service(service::service_options options = {},
                                                std::string extra_config = {});

}  // namespace imgstore::test

/// In a TEST_P over db_server: declares `var` (std::unique_ptr<service_fixture>) or skips.
#define IMGSTORE_SERVICE(var, server, ...)                                 \
    std::string var##_why_not;                                             \
    auto var = ::imgstore::test::service_fixture::create(                  \
        (server), var##_why_not __VA_OPT__(, ) __VA_ARGS__);               \
    if (!var) {                                                            \
        if (::imgstore::test::db_servers_required()) {                     \
            FAIL() << var##_why_not << " (IMGSTORE_REQUIRE_DB_SERVERS=1)"; \
        }                                                                  \
        GTEST_SKIP() << var##_why_not;                                     \
    }
