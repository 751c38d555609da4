#include "service_test_util.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "imgstore/data/hashing.hpp"

namespace imgstore::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct http_client::impl {
    std::uint16_t port;
    asio::io_context io;
    std::optional<beast::tcp_stream> stream;
    beast::flat_buffer buffer;

    void connect() {
        stream.emplace(io);
        stream->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        buffer.clear();
    }
};

http_client::http_client(std::uint16_t port) : impl_(std::make_unique<impl>()) {
    impl_->port = port;
}
http_client::~http_client() = default;

http_answer http_client::get(const std::string& target,
                             const std::vector<std::pair<std::string, std::string>>& headers) {
    return send("GET", target, {}, headers);
}

http_answer http_client::put(const std::string& target,
                             const std::string& body,
                             const std::vector<std::pair<std::string, std::string>>& headers) {
    return send("PUT", target, body, headers);
}

http_answer http_client::send(const std::string& method,
                              const std::string& target,
                              const std::string& body,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    // One retry on a fresh connection: the server may have closed an idle keep-alive one.
    for (int attempt = 0;; ++attempt) {
        if (!impl_->stream) impl_->connect();
        boost::system::error_code ec;
        http::write(*impl_->stream, req, ec);
        http::response_parser<http::string_body> parser;
        parser.body_limit(1ull << 32);
        if (!ec) http::read(*impl_->stream, impl_->buffer, parser, ec);
        if (ec) {
            impl_->stream.reset();
            if (attempt == 0) continue;
            throw std::runtime_error(method + " " + target + ": " + ec.message());
        }
        auto res = parser.release();
        http_answer out;
        out.status = static_cast<int>(res.result_int());
        out.body = std::move(res.body());
        for (const auto& f : res) {
            std::string name(f.name_string());
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            out.headers[name] = std::string(f.value());
        }
        if (!res.keep_alive()) impl_->stream.reset();
        return out;
    }
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::seconds wait) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(stream.socket(), asio::buffer(bytes));
    std::string got;
    stream.expires_after(wait);
    std::array<char, 4096> chunk{};
    for (;;) {
        boost::system::error_code ec;
        std::size_t n = 0;
        stream.async_read_some(asio::buffer(chunk),
                               [&](boost::system::error_code e, std::size_t k) {
                                   ec = e;
                                   n = k;
                               });
        io.restart();
        io.run();
        got.append(chunk.data(), n);
        if (ec) return got;
    }
}

std::string md5_hex(const std::string& data) {
    auto hasher = data::image_hasher::make("sha512");
    hasher->update(std::as_bytes(std::span(data.data(), data.size())));
    return hasher->finish().checksum;
}

// A sink that keeps every line, readable while the service's threads write: the text is read
// under the lock the sink writes under (an ostringstream read beside an ostream_sink_mt
// writing is a data race).
class captured_log final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    std::string text() {
        std::lock_guard lock(mutex_);
        return text_;
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        text_.append(line.data(), line.size());
    }
    void flush_() override {}

  private:
    std::string text_;
};

std::string test_payload(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
    return s;
}

std::string image_path(std::string_view id) { return "/v2/images/" + std::string(id); }
std::string file_path(std::string_view id) { return image_path(id) + "/file"; }

std::unique_ptr<service_fixture> service_fixture::create(db_server server,
                                                         std::string& why_not,
                                                         service::service_options options,
                                                         std::string extra_config) {
    std::unique_ptr<service_fixture> f(new service_fixture());
    f->db_ = scratch_glance_db::create(server, why_not);
    if (!f->db_) return nullptr;
    std::filesystem::create_directories(f->datadir("fast"));
    std::filesystem::create_directories(f->datadir("slow"));
    f->write_config(extra_config);
    f->log_ = std::make_shared<captured_log>();
    f->logger_ = std::make_shared<spdlog::logger>("service-test", f->log_);
    f->logger_->set_level(spdlog::level::debug);
    f->logger_->set_pattern("%v");
    options.sources.files = {f->dir() / "glance-api.conf"};
    options.port = 0;
    options.threads = 2;
    service::start_error error;
    f->service_ = service::image_service::start(options, f->logger_, error);
    if (!f->service_) {
        std::string text;
        for (const auto& d : error.diagnostics) text += to_string(d) + "\n";
        throw std::runtime_error("service did not start:\n" + text);
    }
    return f;
}

service_fixture::~service_fixture() {
    if (service_) service_->stop();
}

void service_fixture::write_config(const std::string& extra) {
    std::ofstream out(dir() / "glance-api.conf.tmp");
    out << "[DEFAULT]\nenabled_backends = fast:file, slow:file\n"
        << "[glance_store]\ndefault_backend = fast\n"
        << "[fast]\nfilesystem_store_datadir = " << datadir("fast").string()
        << "\nstore_description = Fast disks\nweight = 50\n"
        << "[slow]\nfilesystem_store_datadir = " << datadir("slow").string() << "\n"
        << "[database]\nconnection = " << db_->url() << "\n"
        << extra;
    out.close();
    // Whole or nothing: a reload running now reads the old file or the new one.
    std::filesystem::rename(dir() / "glance-api.conf.tmp", dir() / "glance-api.conf");
}

std::string service_fixture::logs() const { return log_->text(); }

bool service_fixture::wait_for_log(const std::string& text) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (logs().find(text) == std::string::npos) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

void service_fixture::add_image(const std::string& id,
                                const std::string& status,
                                const std::optional<std::string>& data,
                                const std::string& store,
                                const std::optional<std::string>& meta) {
    db_->add_image(id);
    std::string size = data ? std::to_string(data->size()) : "NULL";
    std::string checksum = data ? "'" + md5_hex(*data) + "'" : "NULL";
    db_->exec("UPDATE images SET status = '" + status + "', size = " + size +
              ", checksum = " + checksum + " WHERE id = '" + id + "'");
    if (!data) return;
    const auto path = datadir(store) / id;
    std::ofstream(path, std::ios::binary) << *data;
    db_->add_location(id, "file://" + path.string(), meta);
}

std::unique_ptr<service_fixture> sqlite_service(service::service_options options,
                                                std::string extra_config) {
    std::string why_not;
    auto f = service_fixture::create(db_server::sqlite, why_not, std::move(options),
                                     std::move(extra_config));
    if (!f) throw std::runtime_error(why_not);
    return f;
}

}  // namespace imgstore::test
