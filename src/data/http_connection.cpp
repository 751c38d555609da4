#include "data/http_connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <limits>

namespace imgstore::data::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::uint32_t header_limit = 64u << 10;

errc errc_of_network_error(const boost::system::error_code& ec) {
    return ec == beast::error::timeout ? errc::timeout : errc::unavailable;
}

}  // namespace

http_connection::http_connection(std::chrono::milliseconds read_timeout)
    : tcp_(ioc_), read_timeout_(read_timeout) {
    parser_.header_limit(header_limit);
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
}

template <class Start>
boost::system::error_code http_connection::run(std::chrono::milliseconds timeout, Start start) {
    boost::system::error_code result = asio::error::would_block;
    (tls_ ? beast::get_lowest_layer(*tls_) : tcp_).expires_after(timeout);
    start([&](boost::system::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
}

result<void> http_connection::connect(const std::string& host,
                                      const std::string& port,
                                      std::chrono::milliseconds timeout) {
    asio::ip::tcp::resolver resolver(ioc_);
    boost::system::error_code ec = asio::error::would_block;
    asio::ip::tcp::resolver::results_type endpoints;
    resolver.async_resolve(host, port, [&](boost::system::error_code e, auto results) {
        ec = e;
        endpoints = std::move(results);
    });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (ec == asio::error::would_block) {
        resolver.cancel();
        ioc_.restart();
        ioc_.run();
        return make_error_code(errc::timeout);
    }
    if (ec) return make_error_code(errc::unavailable);
    ec = run(timeout, [&](auto handler) { tcp_.async_connect(endpoints, handler); });
    if (ec) return make_error_code(errc_of_network_error(ec));
    return {};
}

result<void> http_connection::tunnel(std::string_view authority,
                                     std::string_view proxy_authorization,
                                     std::chrono::milliseconds timeout) {
    http::request<http::empty_body> request{http::verb::connect, authority, 11};
    request.set(http::field::host, authority);
    if (!proxy_authorization.empty()) {
        request.set(http::field::proxy_authorization, proxy_authorization);
    }
    auto ec = run(timeout, [&](auto handler) { http::async_write(tcp_, request, handler); });
    if (ec) return make_error_code(errc_of_network_error(ec));
    // A 2xx answer to CONNECT has no body: the tunnel starts right after the header.
    http::response_parser<http::empty_body> answer;
    answer.header_limit(header_limit);
    answer.skip(true);
    beast::flat_buffer buffer;
    ec =
        run(timeout, [&](auto handler) { http::async_read_header(tcp_, buffer, answer, handler); });
    if (ec == beast::error::timeout) return make_error_code(errc::timeout);
    if (ec) {
        failure_ = "no answer to CONNECT";
        return make_error_code(errc::unavailable);
    }
    const unsigned status = answer.get().result_int();
    if (status / 100 != 2 || buffer.size() != 0) {
        failure_ = "the proxy answered " + std::to_string(status) + " to CONNECT";
        return make_error_code(errc::unavailable);
    }
    return {};
}

result<void> http_connection::start_tls(const tls_client& tls,
                                        const std::string& host,
                                        std::chrono::milliseconds timeout) {
    tls_context_ = tls.context;
    tls_.emplace(std::move(tcp_), *tls_context_);
    SSL* ssl = tls_->native_handle();
    boost::system::error_code not_ip;
    asio::ip::make_address(host, not_ip);
    if (not_ip) {
        // SNI carries host names only (RFC 6066), never an address literal.
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(host.c_str()));
    }
    if (tls.verify) {
        const int set = not_ip ? SSL_set1_host(ssl, host.c_str())
                               : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
        if (set != 1) {
            failure_ = "cannot check the server's name";
            return make_error_code(errc::tls_failed);
        }
    }
    auto ec = run(timeout, [&](auto handler) {
        tls_->async_handshake(asio::ssl::stream_base::client, handler);
    });
    if (!ec) return {};
    if (ec == beast::error::timeout) return make_error_code(errc::timeout);
    if (const long verified = SSL_get_verify_result(ssl); tls.verify && verified != X509_V_OK) {
        failure_ = X509_verify_cert_error_string(verified);
        return make_error_code(errc::bad_certificate);
    }
    failure_ = ec.message();
    return make_error_code(errc::tls_failed);
}

result<void> http_connection::send(const http::request<http::empty_body>& request) {
    boost::system::error_code ec;
    on_stream([&](auto& stream) {
        ec = run(read_timeout_, [&](auto handler) { http::async_write(stream, request, handler); });
    });
    if (ec) return make_error_code(errc_of_network_error(ec));
    return {};
}

result<void> http_connection::read_header() {
    boost::system::error_code ec;
    on_stream([&](auto& stream) {
        ec = run(read_timeout_,
                 [&](auto handler) { http::async_read_header(stream, buffer_, parser_, handler); });
    });
    if (ec == beast::error::timeout) return make_error_code(errc::timeout);
    if (ec) return make_error_code(errc::upstream_error);
    return {};
}

result<std::size_t> http_connection::read_body(std::span<std::byte> out) {
    auto& body = parser_.get().body();
    while (!parser_.is_done()) {
        body.data = out.data();
        body.size = out.size();
        boost::system::error_code ec;
        on_stream([&](auto& stream) {
            ec = run(read_timeout_, [&](auto handler) {
                http::async_read_some(stream, buffer_, parser_, handler);
            });
        });
        if (ec == http::error::need_buffer) ec = {};
        const std::size_t n = out.size() - body.size;
        if (ec == beast::error::timeout) return make_error_code(errc::timeout);
        // A TLS server may close without close_notify: as for plain HTTP, the announced length
        // tells a whole body from a cut one.
        if (ec == http::error::partial_message || ec == http::error::end_of_stream ||
            ec == asio::ssl::error::stream_truncated) {
            return make_error_code(errc::truncated);
        }
        if (ec) return make_error_code(errc::upstream_error);
        if (n > 0) return n;
    }
    return std::size_t{0};
}

}  // namespace imgstore::data::detail
