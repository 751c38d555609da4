// One HTTP/1.1 connection of the http store, plain or TLS, direct or tunnelled through an http
// proxy with CONNECT, driven synchronously: each step runs the connection's own io_context
// until its handler ran or the step's deadline cancelled it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "data/http_tls.hpp"
#include "imgstore/data/error.hpp"

namespace imgstore::data::detail {

/// Errors are imgstore::data::errc. One thread at a time; owns everything it uses (the TLS
/// context by a shared reference), so it may outlive the backend that opened it.
class http_connection {
  public:
    explicit http_connection(std::chrono::milliseconds read_timeout);

    /// Name lookup and TCP connect, each within `timeout`. Errors: timeout, unavailable.
    [[nodiscard]] result<void> connect(const std::string& host,
                                       const std::string& port,
                                       std::chrono::milliseconds timeout);

    /// Asks the http proxy this connection reaches to open a tunnel to `authority` (host:port),
    /// within `timeout`. Errors: timeout, unavailable (the proxy refused; failure() says how).
    [[nodiscard]] result<void> tunnel(std::string_view authority,
                                      std::string_view proxy_authorization,
                                      std::chrono::milliseconds timeout);

    /// The TLS handshake with server `host` (a name or an IP address without brackets) over
    /// the connection, within `timeout`: SNI for a name; when `tls.verify`, the chain and the
    /// name or address are checked. Errors: timeout, bad_certificate, tls_failed
    /// (failure() holds OpenSSL's reason, which names no URL or credential).
    [[nodiscard]] result<void> start_tls(const tls_client& tls,
                                         const std::string& host,
                                         std::chrono::milliseconds timeout);

    /// Errors: timeout, unavailable.
    [[nodiscard]] result<void> send(
        const boost::beast::http::request<boost::beast::http::empty_body>& request);
    /// Errors: timeout, upstream_error.
    [[nodiscard]] result<void> read_header();
    /// Reads body bytes into `out`; 0 once the message is complete. Errors: timeout,
    /// truncated, upstream_error.
    [[nodiscard]] result<std::size_t> read_body(std::span<std::byte> out);

    const boost::beast::http::response_parser<boost::beast::http::buffer_body>& parser() const {
        return parser_;
    }
    /// Why the last tunnel() or start_tls() failed, for a debug record.
    const std::string& failure() const noexcept { return failure_; }

  private:
    using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

    template <class Start>
    boost::system::error_code run(std::chrono::milliseconds timeout, Start start);
    template <class Op>
    void on_stream(Op op) {
        if (tls_) {
            op(*tls_);
        } else {
            op(tcp_);
        }
    }

    boost::asio::io_context ioc_{1};
    boost::beast::tcp_stream tcp_;                            // moved into tls_ by start_tls()
    std::shared_ptr<boost::asio::ssl::context> tls_context_;  // outlives tls_
    std::optional<tls_stream> tls_;                           // set once TLS is up
    boost::beast::flat_buffer buffer_;
    boost::beast::http::response_parser<boost::beast::http::buffer_body> parser_;
    std::chrono::milliseconds read_timeout_;
    std::string failure_;
};

}  // namespace imgstore::data::detail
