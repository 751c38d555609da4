// The http store's data plane (glance_store/_drivers/http.py): read-only, ranged GETs over
// Boost.Beast (HTTP/1.1), at most MAX_REDIRECTS (5) requests per get as upstream, through the
// proxy of `http_proxy_information`. https is not supported (doc/data-plane.md).
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>
#include <limits>
#include <optional>

#include "data/backends.hpp"
#include "data/range.hpp"
#include "detail/text.hpp"

namespace imgstore::data::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr int max_requests = 5;  // upstream MAX_REDIRECTS: requests per get, redirects included
constexpr std::uint32_t header_limit = 64u << 10;

// Where to connect and what to send for one URL (credentials only as header values).
struct http_target {
    std::string host;           // to connect to (IPv6 without brackets)
    std::string port;           // numeric
    std::string host_header;    // host[:port] as in the URL
    std::string target;         // origin-form path?query, or absolute-form through a proxy
    std::string authorization;  // "Basic ..." from the URL's userinfo, or empty
};

std::string basic_credentials(std::string_view user, std::string_view password) {
    std::string plain = std::string(user) + ':' + std::string(password);
    std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(plain.data()),
                            static_cast<int>(plain.size()));
    out.resize(static_cast<std::size_t>(n));
    return "Basic " + out;
}

// The host to connect to: a name, or an IP address without brackets.
std::string host_of(const boost::urls::url_view& u) { return u.host_address(); }

std::string port_of(const boost::urls::url_view& u) {
    return u.has_port() ? std::string(u.port()) : std::string("80");
}

std::string origin_target(const boost::urls::url_view& u) {
    std::string target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query()) target += '?' + std::string(u.encoded_query());
    return target;
}

// A proxy from http_proxy_information ("http:http://proxy:3128" or "http:10.0.0.1:3128").
struct http_proxy {
    std::string host;
    std::string port;
    std::string authorization;  // "Basic ..." from the proxy URL's userinfo, or empty
};

// The target of an http URL (already checked as a location), direct or through `proxy`.
result<http_target> make_target(const boost::urls::url_view& u,
                                const std::optional<http_proxy>& proxy) {
    if (u.scheme_id() != boost::urls::scheme::http) return make_error_code(errc::not_supported);
    if (u.encoded_host().empty()) return make_error_code(errc::invalid_location);
    if (u.has_port() && u.port_number() == 0) return make_error_code(errc::invalid_location);
    http_target t;
    t.host_header = std::string(u.encoded_host_and_port());
    if (u.has_userinfo()) t.authorization = basic_credentials(u.user(), u.password());
    if (proxy) {
        t.host = proxy->host;
        t.port = proxy->port;
        t.target = "http://" + t.host_header + origin_target(u);
    } else {
        t.host = host_of(u);
        t.port = port_of(u);
        t.target = origin_target(u);
    }
    return t;
}

// One HTTP/1.1 connection driven synchronously: each step runs the io_context until its
// handler ran or the stream's deadline cancelled it.
class http_connection {
  public:
    explicit http_connection(std::chrono::milliseconds read_timeout)
        : stream_(ioc_), read_timeout_(read_timeout) {
        parser_.header_limit(header_limit);
        parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    }

    boost::system::error_code connect(const std::string& host,
                                      const std::string& port,
                                      std::chrono::milliseconds timeout) {
        tcp::resolver resolver(ioc_);
        boost::system::error_code ec = asio::error::would_block;
        tcp::resolver::results_type endpoints;
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
            return beast::error::timeout;
        }
        if (ec) return ec;
        return run(timeout, [&](auto handler) { stream_.async_connect(endpoints, handler); });
    }

    boost::system::error_code send(const http::request<http::empty_body>& request) {
        return run(read_timeout_,
                   [&](auto handler) { http::async_write(stream_, request, handler); });
    }

    boost::system::error_code read_header() {
        return run(read_timeout_, [&](auto handler) {
            http::async_read_header(stream_, buffer_, parser_, handler);
        });
    }

    // Reads body bytes into `out`; 0 once the message is complete.
    result<std::size_t> read_body(std::span<std::byte> out) {
        auto& body = parser_.get().body();
        while (!parser_.is_done()) {
            body.data = out.data();
            body.size = out.size();
            boost::system::error_code ec = run(read_timeout_, [&](auto handler) {
                http::async_read_some(stream_, buffer_, parser_, handler);
            });
            if (ec == http::error::need_buffer) ec = {};
            std::size_t n = out.size() - body.size;
            if (ec == beast::error::timeout) return make_error_code(errc::timeout);
            if (ec == http::error::partial_message || ec == http::error::end_of_stream) {
                return make_error_code(errc::truncated);
            }
            if (ec) return make_error_code(errc::upstream_error);
            if (n > 0) return n;
        }
        return std::size_t{0};
    }

    const http::response_parser<http::buffer_body>& parser() const { return parser_; }

  private:
    template <class Start>
    boost::system::error_code run(std::chrono::milliseconds timeout, Start start) {
        boost::system::error_code result = asio::error::would_block;
        stream_.expires_after(timeout);
        start([&](boost::system::error_code ec, auto&&...) { result = ec; });
        ioc_.restart();
        ioc_.run();
        return result;
    }

    asio::io_context ioc_{1};
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::response_parser<http::buffer_body> parser_;
    std::chrono::milliseconds read_timeout_;
};

errc errc_from_network(const boost::system::error_code& ec) {
    if (ec == beast::error::timeout) return errc::timeout;
    return errc::unavailable;
}

// `bytes first-last/size` of a 206 response.
std::optional<extent> parse_content_range(std::string_view value) {
    if (!value.starts_with("bytes ")) return std::nullopt;
    value.remove_prefix(6);
    auto number = [&](char end) -> std::optional<std::uint64_t> {
        std::uint64_t v = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc{} || p == value.data()) return std::nullopt;
        value.remove_prefix(static_cast<std::size_t>(p - value.data()));
        if (end != '\0') {
            if (value.empty() || value.front() != end) return std::nullopt;
            value.remove_prefix(1);
        }
        return v;
    };
    auto first = number('-');
    auto last = first ? number('/') : std::nullopt;
    auto size = last ? number('\0') : std::nullopt;
    if (!size || !value.empty() || *last < *first || *last >= *size) return std::nullopt;
    return extent{*first, *last - *first + 1, *size};
}

class http_reader final : public reader {
  public:
    http_reader(std::unique_ptr<http_connection> c, extent e, std::uint64_t skip, std::size_t chunk)
        : reader(e, chunk), connection_(std::move(c)), skip_(skip) {}

  private:
    result<std::size_t> read_some(std::span<std::byte> out) override {
        // A server that ignored Range sent the whole object: drop what precedes the extent.
        while (skip_ > 0) {
            std::span<std::byte> scratch =
                out.first(static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), skip_)));
            auto n = connection_->read_body(scratch);
            if (!n) return n.error();
            if (*n == 0) return std::size_t{0};
            skip_ -= *n;
        }
        return connection_->read_body(out);
    }

    std::unique_ptr<http_connection> connection_;
    std::uint64_t skip_;
};

class http_backend final : public backend {
  public:
    http_backend(const backend_context& c, std::optional<http_proxy> proxy)
        : store_(c.config), options_(c.options), proxy_(std::move(proxy)) {}

    const store& config() const noexcept override { return store_; }

    result<std::unique_ptr<reader>> get(std::string_view location_url,
                                        const byte_range& range) const override {
        if (!store_.parse_location(location_url)) return make_error_code(errc::invalid_location);
        auto parsed = boost::urls::parse_uri(location_url);
        if (!parsed) return make_error_code(errc::invalid_location);
        boost::urls::url url(*parsed);
        for (int request = 1;; ++request) {
            auto target = make_target(url, proxy_);
            if (!target) return target.error();
            auto connection = std::make_unique<http_connection>(options_.read_timeout);
            if (auto ec =
                    connection->connect(target->host, target->port, options_.connect_timeout)) {
                return make_error_code(errc_from_network(ec));
            }
            http::request<http::empty_body> req{http::verb::get, target->target, 11};
            req.set(http::field::host, target->host_header);
            req.set(http::field::user_agent, "imgstore");
            if (!target->authorization.empty()) {
                req.set(http::field::authorization, target->authorization);
            }
            if (proxy_ && !proxy_->authorization.empty()) {
                req.set(http::field::proxy_authorization, proxy_->authorization);
            }
            if (std::string r = range_header(range); !r.empty()) req.set(http::field::range, r);
            if (auto ec = connection->send(req)) return make_error_code(errc_from_network(ec));
            if (auto ec = connection->read_header()) {
                return make_error_code(ec == beast::error::timeout ? errc::timeout
                                                                   : errc::upstream_error);
            }
            const auto& response = connection->parser().get();
            const unsigned status = response.result_int();
            if (options_.logger) {
                options_.logger->debug("store '{}': GET {} -> {}", store_.id(),
                                       redact_url(url.buffer()), status);
            }
            if (status == 200 || status == 206) {
                return open_reader(std::move(connection), range, status == 206);
            }
            if (status == 404) return make_error_code(errc::not_found);
            if (status == 416) return make_error_code(errc::bad_range);
            const bool redirect =
                status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
            if (!redirect) return make_error_code(errc::upstream_error);
            if (request == max_requests) return make_error_code(errc::too_many_redirects);
            auto next = follow(url, response[http::field::location]);
            if (!next) return next.error();
            url = std::move(*next);
        }
    }

    result<add_result> add(std::string_view, source&, const add_options&) const override {
        return make_error_code(errc::not_supported);  // upstream's http store is read-only
    }

    result<void> remove(std::string_view) const override {
        return make_error_code(errc::not_supported);
    }

  private:
    // The URL a redirect leads to; a relative Location is resolved against the current URL.
    // Credentials of the current URL are not carried over to the next one.
    static result<boost::urls::url> follow(const boost::urls::url& current,
                                           std::string_view location) {
        auto ref = boost::urls::parse_uri_reference(location);
        if (location.empty() || !ref) return make_error_code(errc::upstream_error);
        boost::urls::url base(current);
        base.remove_userinfo();
        boost::urls::url next;
        if (!boost::urls::resolve(base, *ref, next)) return make_error_code(errc::upstream_error);
        next.remove_fragment();
        if (next.scheme_id() != boost::urls::scheme::http &&
            next.scheme_id() != boost::urls::scheme::https) {
            return make_error_code(errc::upstream_error);
        }
        return next;
    }

    result<std::unique_ptr<reader>> open_reader(std::unique_ptr<http_connection> connection,
                                                const byte_range& range,
                                                bool partial) const {
        const auto& parser = connection->parser();
        auto length = parser.content_length();
        if (!length) return make_error_code(errc::upstream_error);  // the size must be known
        extent e{};
        std::uint64_t skip = 0;
        if (partial) {
            auto given = parse_content_range(parser.get()[http::field::content_range]);
            if (!given || given->length != *length) return make_error_code(errc::upstream_error);
            auto wanted = resolve_range(range, given->object_size);
            if (!wanted || *wanted != *given) return make_error_code(errc::upstream_error);
            e = *given;
        } else {
            auto wanted = resolve_range(range, *length);
            if (!wanted) return wanted.error();
            e = *wanted;
            skip = e.offset;
        }
        return std::make_unique<http_reader>(std::move(connection), e, skip, 64u << 10);
    }

    const store& store_;
    const data_options& options_;
    std::optional<http_proxy> proxy_;
};

// The proxy for http URLs from `http_proxy_information` (oslo DictOpt "scheme:proxy, ...").
struct proxy_setting {
    bool valid = true;
    std::optional<http_proxy> proxy;  // none: connect directly
};

proxy_setting read_proxy(const store& s) {
    auto values = s.raw_option("http_proxy_information");
    if (values.empty()) return {};
    std::string_view text = values.back().reveal();
    while (!text.empty()) {
        std::size_t comma = text.find(',');
        std::string_view item = ::imgstore::detail::trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (item.empty()) continue;
        std::size_t colon = item.find(':');
        if (colon == std::string_view::npos) return {false, {}};
        // The key is the scheme of the proxied requests (glance_store reads only "http").
        if (::imgstore::detail::trim(item.substr(0, colon)) != "http") continue;
        std::string proxy_url(::imgstore::detail::trim(item.substr(colon + 1)));
        if (proxy_url.find("://") == std::string::npos) proxy_url.insert(0, "http://");
        auto u = boost::urls::parse_uri(proxy_url);
        if (!u || u->scheme_id() != boost::urls::scheme::http || u->encoded_host().empty()) {
            return {false, {}};
        }
        http_proxy p{host_of(*u), port_of(*u), {}};
        if (u->has_userinfo()) p.authorization = basic_credentials(u->user(), u->password());
        return {true, std::move(p)};
    }
    return {};
}

}  // namespace

std::unique_ptr<backend> make_http_backend(const backend_context& c) {
    proxy_setting proxy = read_proxy(c.config);
    if (!proxy.valid) {
        c.diagnostics.push_back({severity::error, "", 0, std::string(c.config.id()),
                                 "http_proxy_information",
                                 "each entry must be scheme:proxy, the proxy an http:// URL or "
                                 "host:port"});
        return nullptr;
    }
    return std::make_unique<http_backend>(c, std::move(proxy.proxy));
}

}  // namespace imgstore::data::detail
