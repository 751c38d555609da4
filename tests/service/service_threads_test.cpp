// imgstore-service under concurrent load: the tests that share the running service between
// threads (clients, reloads, stop). Built and run under the tsan preset as well as dev, so
// ThreadSanitizer sees the service's thread pool, its configuration generations and its
// database pool while they are used the way a deployment uses them.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "service_test_util.hpp"

namespace imgstore {
namespace {

using test::file_path;
using test::http_client;
using test::image_path;
using test::sqlite_service;
using test::test_payload;

// The ThreadSanitizer build runs 150 requests per client instead of 2,000: TSan costs 5-15x,
// and the interleavings a race needs show up within a few hundred requests. Every other build
// (dev's AddressSanitizer included, about 2x) runs the full 8 x 2,000.
#if defined(__SANITIZE_THREAD__)
constexpr bool thread_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool thread_sanitizer = true;
#else
constexpr bool thread_sanitizer = false;
#endif
#else
constexpr bool thread_sanitizer = false;
#endif

constexpr const char* img1 = "aaaaaaaa-0000-4000-8000-000000000001";
constexpr const char* img2 = "bbbbbbbb-0000-4000-8000-000000000002";

TEST(ServiceReload, ConcurrentGetsAndDownloadsAcrossRepeatedReloadsHaveNoErrors) {
    constexpr int per_client = thread_sanitizer ? 150 : 2000;
    constexpr int clients = 8;
    auto svc = sqlite_service();
    const std::string data = test_payload(4096);
    svc->add_image(img1, "active", data, "fast", R"({"store": "fast"})");
    svc->add_image(img2, "active", data, "slow");  // stamped by the first GET, under load
    std::atomic<int> errors{0};
    std::atomic<bool> done{false};
    std::atomic<int> reloads{0};
    std::thread reloader([&] {
        for (int i = 0; !done; ++i) {
            // Alternate a third store in and out: every reload changes the registry.
            svc->write_config(
                i % 2 ? ""
                      : "[DEFAULT]\nenabled_backends = fast:file, slow:file, extra:file\n"
                        "[extra]\nfilesystem_store_datadir = /srv/extra\n");
            if (!svc->service().reload()) ++errors;
            ++reloads;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });
    std::vector<std::thread> workers;
    for (int c = 0; c < clients; ++c) {
        workers.emplace_back([&, c] {
            http_client client(svc->port());
            for (int i = 0; i < per_client; ++i) {
                try {
                    const char* id = (i + c) % 2 ? img1 : img2;
                    switch (i % 3) {
                        case 0: {
                            auto r = client.get(image_path(id));
                            if (r.status != 200 || r.body.find("\"stores\"") == std::string::npos)
                                ++errors;
                            break;
                        }
                        case 1: {
                            auto r = client.get(file_path(id));
                            if (r.status != 200 || r.body != data) ++errors;
                            break;
                        }
                        default: {
                            auto r = client.get(file_path(id), {{"Range", "bytes=100-199"}});
                            if (r.status != 206 || r.body != data.substr(100, 100)) ++errors;
                        }
                    }
                } catch (const std::exception&) {
                    ++errors;
                }
            }
        });
    }
    for (auto& w : workers) w.join();
    done = true;
    reloader.join();
    EXPECT_EQ(errors.load(), 0) << svc->logs().substr(0, 4000);
    EXPECT_GT(reloads.load(), 2);
    EXPECT_EQ(svc->db().location(2)->meta_data, R"({"store": "slow"})");
}

TEST(ServiceThreads, ConcurrentUploadsOfOneImageStoreOneOfThem) {
    auto svc = sqlite_service();
    svc->add_image(img2, "queued");
    constexpr std::size_t clients = 6;
    std::vector<std::string> payloads;
    for (std::size_t c = 0; c < clients; ++c) payloads.push_back(test_payload(50'000 + 1000 * c));
    std::atomic<std::size_t> started{0};
    std::vector<int> status(clients, 0);
    std::vector<std::thread> workers;
    for (std::size_t c = 0; c < clients; ++c) {
        workers.emplace_back([&, c] {
            http_client client(svc->port());
            ++started;
            while (started.load() < clients) std::this_thread::yield();  // all at once
            status[c] = client
                            .put(file_path(img2), payloads[c],
                                 {{"Content-Type", "application/octet-stream"}})
                            .status;
        });
    }
    for (auto& w : workers) w.join();
    std::optional<std::size_t> won;
    for (std::size_t c = 0; c < clients; ++c) {
        if (status[c] == 204) {
            EXPECT_FALSE(won) << "two uploads of one image succeeded";
            won = c;
        } else {
            EXPECT_EQ(status[c], 409) << "client " << c;
        }
    }
    ASSERT_TRUE(won);
    http_client client(svc->port());
    EXPECT_EQ(client.get(file_path(img2)).body, payloads[*won]);
    // The losers stored nothing: one file in the store.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(svc->datadir("fast")),
                            std::filesystem::directory_iterator()),
              1);
}

TEST(ServiceThreads, StoppingWhileRequestsRunEndsThemAndJoinsEveryThread) {
    auto svc = sqlite_service();
    const std::string data = test_payload(64 << 10);
    svc->add_image(img1, "active", data, "fast", R"({"store": "fast"})");
    std::atomic<bool> stopped{false};
    std::atomic<int> answered{0};
    std::atomic<int> wrong{0};
    std::vector<std::thread> workers;
    for (int c = 0; c < 4; ++c) {
        workers.emplace_back([&, c] {
            http_client client(svc->port());
            while (!stopped) {
                try {
                    auto r = c % 2 ? client.get(image_path(img1)) : client.get(file_path(img1));
                    // Until stop(), every answer is whole and right.
                    if (r.status != 200 || (c % 2 == 0 && r.body != data)) ++wrong;
                    ++answered;
                } catch (const std::exception&) {
                    if (!stopped) std::this_thread::yield();  // cut off by stop(): expected
                }
            }
        });
    }
    while (answered.load() < 20) std::this_thread::yield();
    svc->service().stop();
    stopped = true;
    for (auto& w : workers) w.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_THROW(http_client(svc->port()).get("/v2/info/stores"), std::exception);
}

}  // namespace
}  // namespace imgstore
