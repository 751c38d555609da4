// imgstore-service measured (issue 14, item 5), side by side in one run:
//  1. time to first byte of an unstamped image: upstream's probe-every-store fallback against
//     resolve-then-read, over 10 stores of one scheme on "remote" backends (a registered store
//     implementation that answers after a fixed delay and misses what it does not hold);
//  2. GET /v2/images/{id} requests per second, stamping (and saving) on every GET vs. already
//     stamped;
//  3. the share of a GET's latency spent in resolve + stamp (stamp_image, in-process);
//  4. download throughput from a file store vs. curl of the same file from python3's static
//     file server on loopback (skipped when curl or python3 is missing);
//  5. p50/p99 latency of GETs under 8 concurrent clients.
// Usage: service_bench [WORKDIR]   (needs sqlite3 to create the Glance database)
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "imgstore/imgstore.hpp"
#include "service.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto remote_delay = std::chrono::milliseconds(5);
constexpr int remote_stores = 10;

// A remote store: every call waits remote_delay (a round trip), then serves the objects under
// its own datadir prefix from memory and misses everything else.
class remote_reader final : public imgstore::data::reader {
  public:
    explicit remote_reader(std::uint64_t size)
        : reader(imgstore::data::extent{0, size, size}, 64 << 10) {}

  private:
    imgstore::result<std::size_t> read_some(std::span<std::byte> out) override {
        std::fill(out.begin(), out.end(), std::byte{'r'});
        return out.size();
    }
};

class remote_backend final : public imgstore::data::backend {
  public:
    explicit remote_backend(const imgstore::store& s)
        : store_(s), prefix_(s.url_prefixes().empty() ? "" : s.url_prefixes()[0]) {}
    const imgstore::store& config() const noexcept override { return store_; }
    imgstore::result<std::unique_ptr<imgstore::data::reader>> get(
        std::string_view url, const imgstore::data::byte_range&) const override {
        std::this_thread::sleep_for(remote_delay);
        if (prefix_.empty() || url.substr(0, prefix_.size()) != prefix_) {
            return imgstore::data::errc::not_found;
        }
        return std::unique_ptr<imgstore::data::reader>(new remote_reader(4096));
    }
    imgstore::result<imgstore::data::add_result> add(
        std::string_view,
        imgstore::data::source&,
        const imgstore::data::add_options&) const override {
        return imgstore::data::errc::not_supported;
    }
    imgstore::result<void> remove(std::string_view) const override {
        return imgstore::data::errc::not_supported;
    }

  private:
    const imgstore::store& store_;
    std::string prefix_;
};

std::string bench_image_id(int n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", 0xb0000000u + unsigned(n), n);
    return buf;
}

void run_sql(const fs::path& db, const std::string& sql) {
    const fs::path script = db.parent_path() / "load.sql";
    std::ofstream(script) << sql;
    const std::string cmd = "sqlite3 '" + db.string() + "' < '" + script.string() + "'";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("sqlite3 failed: " + cmd);
}

std::string image_insert(const std::string& id, const std::string& url, const char* meta) {
    return "INSERT INTO images (id, name, status, created_at, deleted, min_disk, min_ram, "
           "protected, visibility, os_hidden, size) VALUES ('" +
           id +
           "', 'bench', 'active', "
           "'2020-01-01 00:00:00', 0, 0, 0, 0, 'public', 0, 4096);\n"
           "INSERT INTO image_locations (image_id, value, meta_data, status, deleted, created_at) "
           "VALUES ('" +
           id + "', '" + url + "', " + meta + ", 'active', 0, '2020-01-01');\n";
}

struct bench_client {
    asio::io_context io;
    beast::tcp_stream stream{io};
    beast::flat_buffer buffer;
    explicit bench_client(std::uint16_t port) {
        stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    }
    // Seconds to the response head, and to the whole response.
    std::pair<double, double> get(const std::string& target) {
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "127.0.0.1");
        const auto t0 = clock_type::now();
        http::write(stream, req);
        http::response_parser<http::string_body> p;
        p.body_limit(1ull << 34);
        http::read_header(stream, buffer, p);
        const auto t1 = clock_type::now();
        http::read(stream, buffer, p);
        const auto t2 = clock_type::now();
        if (p.get().result_int() >= 300) throw std::runtime_error("GET " + target + " failed");
        return {std::chrono::duration<double>(t1 - t0).count(),
                std::chrono::duration<double>(t2 - t0).count()};
    }
};

double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * double(v.size())))];
}

std::unique_ptr<imgstore::service::image_service> start(const fs::path& conf,
                                                        bool probe,
                                                        const imgstore::data::backend_registry& b) {
    imgstore::service::service_options o;
    o.sources.files = {conf};
    o.port = 0;
    o.fallback_probe = probe;
    imgstore::service::start_error error;
    auto s = imgstore::service::image_service::start(o, nullptr, error, b);
    if (!s) {
        for (const auto& d : error.diagnostics) std::fprintf(stderr, "%s\n", to_string(d).c_str());
        throw std::runtime_error("service did not start");
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) try {
    const fs::path work =
        argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "imgstore-service-bench";
    fs::remove_all(work);
    fs::create_directories(work);
    const fs::path db = work / "glance.sqlite";
    run_sql(db, [] {
        std::ifstream in(IMGSTORE_SCHEMA_FILE);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }());

    // 1. TTFB: 10 remote stores; each image lives in one of them, spread evenly.
    std::string conf = "[DEFAULT]\nenabled_backends = ";
    for (int i = 0; i < remote_stores; ++i) conf += (i ? ", r" : "r") + std::to_string(i) + ":file";
    conf += "\n[glance_store]\ndefault_backend = r0\n";
    for (int i = 0; i < remote_stores; ++i) {
        conf += "[r" + std::to_string(i) + "]\nfilesystem_store_datadir = /remote/r" +
                std::to_string(i) + "\n";
    }
    conf += "[database]\nconnection = sqlite:///" + db.string() + "\n";
    std::ofstream(work / "remote.conf") << conf;
    std::string sql = "BEGIN;\n";
    constexpr int ttfb_images = 100;
    for (int n = 0; n < ttfb_images; ++n) {
        sql += image_insert(
            bench_image_id(n),
            "file:///remote/r" + std::to_string(n % remote_stores) + "/" + bench_image_id(n),
            "NULL");
    }
    run_sql(db, sql + "COMMIT;\n");
    imgstore::data::backend_registry remote;
    remote.set_factory(imgstore::store_type::file, [](const imgstore::data::backend_context& c) {
        return std::unique_ptr<imgstore::data::backend>(new remote_backend(c.config));
    });
    double ttfb[2] = {0, 0};
    for (int probe = 0; probe < 2; ++probe) {
        auto svc = start(work / "remote.conf", probe == 1, remote);
        bench_client client(svc->port());
        std::vector<double> t;
        for (int n = 0; n < ttfb_images; ++n) {
            t.push_back(client.get("/v2/images/" + bench_image_id(n) + "/file").first);
        }
        ttfb[probe] = percentile(t, 0.5);
        std::printf("ttfb %-22s p50 %7.2f ms  p99 %7.2f ms  (%d stores, %lld ms per remote call)\n",
                    probe ? "probe-every-store" : "resolve-then-read", 1e3 * ttfb[probe],
                    1e3 * percentile(t, 0.99), remote_stores,
                    static_cast<long long>(remote_delay.count()));
    }
    std::printf("ttfb ratio probe/resolve: %.1fx\n", ttfb[1] / ttfb[0]);

    // 2, 3, 5 on real file stores.
    const fs::path data = work / "images";
    fs::create_directories(data);
    std::ofstream(work / "file.conf")
        << "[DEFAULT]\nenabled_backends = fast:file, slow:file\n[glance_store]\n"
           "default_backend = fast\n[fast]\nfilesystem_store_datadir = "
        << data.string() << "\n[slow]\nfilesystem_store_datadir = " << (work / "slow").string()
        << "\n[database]\nconnection = sqlite:///" << db.string() << "\n";
    constexpr int get_images = 2000;
    sql = "BEGIN;\n";
    for (int n = 1000; n < 1000 + 2 * get_images; ++n) {
        const std::string id = bench_image_id(n);
        std::ofstream(data / id) << "x";
        sql += image_insert(id, "file://" + (data / id).string(),
                            n < 1000 + get_images ? "NULL" : "'{\"store\": \"fast\"}'");
    }
    run_sql(db, sql + "COMMIT;\n");
    auto svc = start(work / "file.conf", false, {});
    double rate[2] = {0, 0};
    std::vector<double> stamped_latency;
    for (int stamped = 0; stamped < 2; ++stamped) {
        bench_client client(svc->port());
        const auto t0 = clock_type::now();
        for (int n = 0; n < get_images; ++n) {
            auto t = client.get("/v2/images/" + bench_image_id(1000 + stamped * get_images + n));
            if (stamped) stamped_latency.push_back(t.second);
        }
        rate[stamped] = get_images / std::chrono::duration<double>(clock_type::now() - t0).count();
        std::printf("GET /v2/images/{id} %-28s %8.0f req/s\n",
                    stamped ? "already stamped:" : "stamping + saving each:", rate[stamped]);
    }
    // 3. resolve + stamp in-process for the same kind of location.
    auto live = imgstore::live_registry::create({.files = {work / "file.conf"}});
    auto snap = live.handle->current();
    const std::string url = "file://" + (data / bench_image_id(1000)).string();
    const std::vector<imgstore::location_ref> refs = {{url, std::nullopt}};
    constexpr int stamp_rounds = 200'000;
    std::size_t sink = 0;
    const auto s0 = clock_type::now();
    for (int i = 0; i < stamp_rounds; ++i) {
        sink += imgstore::stamp_image(*snap->resolver, refs).stamp.changes.size();
    }
    const double stamp_s =
        std::chrono::duration<double>(clock_type::now() - s0).count() / stamp_rounds;
    const double get_p50 = percentile(stamped_latency, 0.5);
    std::printf("resolve + stamp %.2f us of a %.1f us GET (p50): %.3f%% (target <= 1%%)%s\n",
                1e6 * stamp_s, 1e6 * get_p50, 100 * stamp_s / get_p50, sink ? "" : " ");

    // 5. p50/p99 under 8 concurrent clients.
    std::vector<std::vector<double>> per(8);
    std::vector<std::thread> threads;
    for (int c = 0; c < 8; ++c) {
        threads.emplace_back([&, c] {
            bench_client client(svc->port());
            for (int n = 0; n < 500; ++n) {
                per[static_cast<std::size_t>(c)].push_back(
                    client
                        .get("/v2/images/" +
                             bench_image_id(1000 + get_images + (n * 8 + c) % get_images))
                        .second);
            }
        });
    }
    for (auto& t : threads) t.join();
    std::vector<double> all;
    for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
    std::printf("GET under 8 concurrent clients: p50 %.2f ms  p99 %.2f ms\n",
                1e3 * percentile(all, 0.5), 1e3 * percentile(all, 0.99));

    // 4. Download throughput vs curl from a static file server on the same file.
    const std::string big_id = bench_image_id(9999);
    {
        std::ofstream big(data / big_id, std::ios::binary);
        std::string block(1 << 20, 'd');
        for (int i = 0; i < 512; ++i) big << block;
    }
    run_sql(db,
            image_insert(big_id, "file://" + (data / big_id).string(), "'{\"store\": \"fast\"}'"));
    if (std::system("command -v curl >/dev/null && command -v python3 >/dev/null") != 0) {
        std::printf("download throughput: skipped (needs curl and python3)\n");
        return 0;
    }
    auto curl_rate = [](const std::string& target) {
        const std::string cmd = "curl -s -o /dev/null -w '%{speed_download}' '" + target + "'";
        FILE* p = popen(cmd.c_str(), "r");
        double bytes_per_s = 0;
        if (p && std::fscanf(p, "%lf", &bytes_per_s) != 1) bytes_per_s = 0;
        if (p) pclose(p);
        return bytes_per_s;
    };
    const std::string static_port = "18787";
    const std::string server =
        "cd '" + data.string() + "' && exec python3 -m http.server --bind 127.0.0.1 " +
        static_port + " >/dev/null 2>&1 & echo $! > '" + (work / "static.pid").string() + "'";
    std::system(server.c_str());
    std::this_thread::sleep_for(std::chrono::seconds(1));
    double service_best = 0, static_best = 0;
    for (int i = 0; i < 3; ++i) {
        service_best =
            std::max(service_best, curl_rate("http://127.0.0.1:" + std::to_string(svc->port()) +
                                             "/v2/images/" + big_id + "/file"));
        static_best =
            std::max(static_best, curl_rate("http://127.0.0.1:" + static_port + "/" + big_id));
    }
    std::system(("kill $(cat '" + (work / "static.pid").string() + "')").c_str());
    std::printf(
        "download 512 MiB: service %.0f MB/s, python3 http.server %.0f MB/s: %.0f%% (target >= "
        "80%%)\n",
        service_best / 1e6, static_best / 1e6, 100 * service_best / std::max(static_best, 1.0));
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "service_bench: %s\n", e.what());
    return 1;
}
