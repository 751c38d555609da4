#include "data_test_server.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <charconv>
#include <optional>
#include <sstream>
#include <utility>

namespace imgstore::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

template <class Stream>
class stream_writer final : public response_writer {
  public:
    explicit stream_writer(Stream& s) : stream_(s) {}
    void write(std::string_view bytes) override {
        boost::system::error_code ec;
        asio::write(stream_, asio::buffer(bytes), ec);
    }

  private:
    Stream& stream_;
};

// `Range: bytes=...` (single ranges) as [first, end); first == end == size when unsatisfiable.
std::optional<std::pair<std::size_t, std::size_t>> test_range(std::string_view header,
                                                              std::size_t size) {
    if (!header.starts_with("bytes=")) return std::nullopt;
    header.remove_prefix(6);
    auto dash = header.find('-');
    auto number = [](std::string_view t) {
        std::size_t v = 0;
        std::from_chars(t.data(), t.data() + t.size(), v);
        return v;
    };
    std::string_view a = header.substr(0, dash), b = header.substr(dash + 1);
    if (a.empty()) {
        std::size_t n = std::min(number(b), size);
        return std::pair{size - n, size};
    }
    std::size_t first = number(a);
    std::size_t end = b.empty() ? size : std::min(number(b) + 1, size);
    if (first >= size) return std::pair{size, size};
    return std::pair{first, end};
}

}  // namespace

loopback_listener::loopback_listener(serve_fn serve)
    : serve_(std::move(serve)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept_thread_ = std::thread([this] { accept_loop(); });
}

loopback_listener::~loopback_listener() {
    stopping_ = true;
    // Wake the blocking accept with a connection of our own.
    boost::system::error_code ec;
    tcp::socket waker(ioc_);
    waker.connect(acceptor_.local_endpoint(), ec);
    accept_thread_.join();
    for (auto& t : connections_) t.join();
}

void loopback_listener::stall(std::chrono::milliseconds limit) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!stopping_ && std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void loopback_listener::accept_loop() {
    for (;;) {
        tcp::socket socket(ioc_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (stopping_) return;
        if (ec) continue;
        connections_.emplace_back([this, s = std::move(socket)]() mutable {
            serve_(s, *this);
            boost::system::error_code ignored;
            s.shutdown(tcp::socket::shutdown_both, ignored);
        });
    }
}

std::string serialize(const http_response& response) {
    std::ostringstream out;
    out << response;
    return out.str();
}

void response_writer::send(http_response response) {
    response.prepare_payload();
    write(serialize(response));
}

http_response make_response(http::status status, std::string body) {
    http_response r{status, 11};
    r.body() = std::move(body);
    return r;
}

loopback_server::loopback_server(handler h, std::shared_ptr<asio::ssl::context> tls)
    : handler_(std::move(h)),
      tls_(std::move(tls)),
      listener_([this](tcp::socket& s, const loopback_listener&) { serve(s); }) {}

std::string loopback_server::url(std::string_view path) const {
    return fmt::format("{}://127.0.0.1:{}{}", tls_ ? "https" : "http", port(), path);
}

std::string loopback_server::localhost_url(std::string_view path) const {
    return fmt::format("{}://localhost:{}{}", tls_ ? "https" : "http", port(), path);
}

std::vector<std::string> loopback_server::server_names() const {
    std::lock_guard lock(mutex_);
    return server_names_;
}

void loopback_server::serve(tcp::socket& socket) {
    auto serve_http = [this](auto& stream) {
        beast::flat_buffer buffer;
        http_request request;
        boost::system::error_code ec;
        http::read(stream, buffer, request, ec);
        stream_writer writer(stream);
        if (ec) {
            writer.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        handler_(request, writer);
    };
    if (!tls_) return serve_http(socket);
    asio::ssl::stream<tcp::socket&> stream(socket, *tls_);
    boost::system::error_code ec;
    stream.handshake(asio::ssl::stream_base::server, ec);
    {
        const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
        std::lock_guard lock(mutex_);
        server_names_.emplace_back(name ? name : "");
    }
    if (!ec) serve_http(stream);
}

std::string image_content() {
    std::string s(150'000, '\0');
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 31 % 251);
    return s;
}

void serve_ranged(const http_request& request, response_writer& out, const std::string& content) {
    std::string_view range = request[http::field::range];
    if (range.empty()) return out.send(make_response(http::status::ok, content));
    auto r = test_range(range, content.size());
    if (!r || r->first >= r->second) {
        return out.send(make_response(http::status::range_not_satisfiable));
    }
    auto response = make_response(http::status::partial_content,
                                  content.substr(r->first, r->second - r->first));
    response.set(http::field::content_range,
                 fmt::format("bytes {}-{}/{}", r->first, r->second - 1, content.size()));
    out.send(std::move(response));
}

}  // namespace imgstore::test
