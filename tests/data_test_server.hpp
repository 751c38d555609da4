// Servers of the http data-plane tests (data_test), on 127.0.0.1 only: a listener that runs a
// function per connection on a thread of its own, and a one-request-per-connection HTTP/1.1
// server over it, plain or TLS, with the ranged image handler the tests share.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace imgstore::test {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

/// Accepts connections on 127.0.0.1 (an ephemeral port) and runs `serve` for each on a thread
/// of its own. The destructor stops accepting and joins every connection thread, so a `serve`
/// that waits must return once stopping() (see stall()).
class loopback_listener {
  public:
    using serve_fn = std::function<void(boost::asio::ip::tcp::socket&, const loopback_listener&)>;

    explicit loopback_listener(serve_fn serve);
    ~loopback_listener();
    loopback_listener(const loopback_listener&) = delete;
    loopback_listener& operator=(const loopback_listener&) = delete;

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    bool stopping() const { return stopping_; }
    /// Sleeps up to `limit` in short steps, returning early once the listener stops.
    void stall(std::chrono::milliseconds limit) const;

  private:
    void accept_loop();

    serve_fn serve_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::atomic<bool> stopping_{false};
    std::thread accept_thread_;
    std::vector<std::thread> connections_;  // only the accept thread adds, joined after it
};

/// Where a handler writes its answer: the accepted connection, plain or TLS.
class response_writer {
  public:
    virtual ~response_writer() = default;
    /// Writes raw bytes (errors ignored: the client may have gone).
    virtual void write(std::string_view bytes) = 0;
    /// Sets Content-Length from the body and writes the response.
    void send(http_response response);
};

/// The serialised form of `response` as it stands (no Content-Length added).
std::string serialize(const http_response& response);

/// A response with `status` and `body`, HTTP/1.1.
http_response make_response(boost::beast::http::status status, std::string body = {});

/// An HTTP/1.1 server reading one request per connection and handing it to `handler`; a
/// request that does not parse gets a 400, as a real server answers. With `tls`, the TLS
/// handshake comes first (one that fails closes the connection) and url() is https.
class loopback_server {
  public:
    using handler = std::function<void(const http_request&, response_writer&)>;

    explicit loopback_server(handler h, std::shared_ptr<boost::asio::ssl::context> tls = nullptr);

    std::uint16_t port() const { return listener_.port(); }
    /// `http(s)://127.0.0.1:<port><path>`.
    std::string url(std::string_view path) const;
    /// The same with host `localhost`.
    std::string localhost_url(std::string_view path) const;
    bool stopping() const { return listener_.stopping(); }
    void stall(std::chrono::milliseconds limit) const { listener_.stall(limit); }
    /// The SNI host name of each TLS handshake, in order ("" when the client sent none).
    std::vector<std::string> server_names() const;

  private:
    void serve(boost::asio::ip::tcp::socket& socket);

    handler handler_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    mutable std::mutex mutex_;
    std::vector<std::string> server_names_;
    loopback_listener listener_;  // last: its threads use the members above
};

/// A test image of 150,000 bytes with a repeating pattern.
std::string image_content();

/// Answers a GET of `content` as a server that honours single `Range: bytes=` ranges: 200, 206
/// with Content-Range, or 416. The test's own reading of Range, independent of the library.
void serve_ranged(const http_request& request, response_writer& out, const std::string& content);

}  // namespace imgstore::test
