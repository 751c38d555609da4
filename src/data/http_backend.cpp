// The http store's data plane (glance_store/_drivers/http.py): read-only, ranged GETs over
// Boost.Beast (HTTP/1.1, https with OpenSSL), at most MAX_REDIRECTS (5) requests per get as
// upstream, through the proxies of `http_proxy_information` (doc/data-plane.md).
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>
#include <optional>
#include <variant>

#include "data/backends.hpp"
#include "data/http_connection.hpp"
#include "data/http_tls.hpp"
#include "data/range.hpp"
#include "detail/scheme_table.hpp"
#include "detail/text.hpp"
#include "imgstore/location.hpp"

namespace imgstore::data::detail {
namespace {

namespace http = boost::beast::http;

constexpr int max_requests = 5;  // upstream MAX_REDIRECTS: requests per get, redirects included

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

// The URL's port, else its scheme's default from the scheme table (only http and https URLs,
// in any case, get here).
std::string port_of(const boost::urls::url_view& u) {
    if (u.has_port()) return std::string(u.port());
    namespace d = ::imgstore::detail;
    const d::known_scheme s = u.scheme_id() == boost::urls::scheme::https ? d::known_scheme::https
                                                                          : d::known_scheme::http;
    return std::to_string(d::scheme_info(s).default_port);
}

std::string origin_target(const boost::urls::url_view& u) {
    std::string target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query()) target += '?' + std::string(u.encoded_query());
    return target;
}

// A proxy from http_proxy_information ("http:http://proxy:3128" or "https:10.0.0.1:3128").
struct http_proxy {
    std::string host;
    std::string port;
    std::string authorization;  // "Basic ..." from the proxy URL's userinfo, or empty
};

// The proxies of the `http` and `https` entries, as requests picks them by the URL's scheme.
struct http_proxies {
    std::optional<http_proxy> http;
    std::optional<http_proxy> https;
};

// Where to connect and what to send for one URL (credentials only as header values).
struct http_target {
    bool tls = false;
    std::string host;           // the origin server (IPv6 without brackets): connect, SNI, name
    std::string port;           // numeric
    std::string authority;      // host:port for CONNECT (IPv6 in brackets)
    std::string host_header;    // host[:port] as in the URL
    std::string target;         // origin-form path?query; absolute-form for http via a proxy
    std::string authorization;  // "Basic ..." from the URL's userinfo, or empty
    const http_proxy* proxy = nullptr;  // http: forwards the request; https: CONNECT tunnel
};

// The target of an http(s) URL (already checked as a location), direct or through the proxy
// of its scheme.
result<http_target> make_target(const boost::urls::url_view& u, const http_proxies& proxies) {
    if (u.encoded_host().empty()) return make_error_code(errc::invalid_location);
    if (u.has_port() && u.port_number() == 0) return make_error_code(errc::invalid_location);
    http_target t;
    t.tls = u.scheme_id() == boost::urls::scheme::https;
    t.host = host_of(u);
    t.port = port_of(u);
    t.authority = std::string(u.encoded_host()) + ':' + t.port;
    t.host_header = std::string(u.encoded_host_and_port());
    t.target = origin_target(u);
    if (u.has_userinfo()) t.authorization = basic_credentials(u.user(), u.password());
    const std::optional<http_proxy>& proxy = t.tls ? proxies.https : proxies.http;
    if (proxy) t.proxy = &*proxy;
    if (proxy && !t.tls) t.target = "http://" + t.host_header + t.target;
    return t;
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
    http_backend(const backend_context& c, http_proxies proxies, tls_client tls)
        : store_(c.config),
          options_(c.options),
          proxies_(std::move(proxies)),
          tls_(std::move(tls)) {}

    const store& config() const noexcept override { return store_; }

    result<std::unique_ptr<reader>> get(std::string_view location_url,
                                        const byte_range& range) const override {
        // The location is read through the store's location class: its credentials come out
        // as a secret and go only into the first request's Authorization header (requests,
        // under upstream's store, does the same); the URL requested and logged carries none.
        auto parsed = store_.parse_location(location_url);
        if (!parsed) return make_error_code(errc::invalid_location);
        http_location location = std::get<http_location>(std::move(*parsed));
        std::string shown = redacted_uri(location);  // what the log may name
        std::string credentials;
        if (location.user) {
            credentials = basic_credentials(
                ::imgstore::detail::percent_decode_lenient(*location.user),
                ::imgstore::detail::percent_decode_lenient(location.password->reveal()));
            location.user.reset();
            location.password.reset();
        }
        const std::string requested = uri_with_credentials(location);  // (no credentials left)
        auto first = boost::urls::parse_uri(requested);                // a view into `requested`
        if (!first) return make_error_code(errc::invalid_location);
        boost::urls::url url(*first);
        for (int request = 1;; ++request) {
            auto target = make_target(url, proxies_);
            if (!target) return target.error();
            if (request == 1) target->authorization = std::move(credentials);
            auto connection = std::make_unique<http_connection>(options_.read_timeout);
            if (auto opened = open(*connection, *target, shown); !opened) return opened.error();
            http::request<http::empty_body> req{http::verb::get, target->target, 11};
            req.set(http::field::host, target->host_header);
            req.set(http::field::user_agent, "imgstore");
            if (!target->authorization.empty()) {
                req.set(http::field::authorization, target->authorization);
            }
            if (target->proxy && !target->tls && !target->proxy->authorization.empty()) {
                req.set(http::field::proxy_authorization, target->proxy->authorization);
            }
            if (std::string r = range_header(range); !r.empty()) req.set(http::field::range, r);
            if (auto sent = connection->send(req); !sent) return sent.error();
            if (auto read = connection->read_header(); !read) return read.error();
            const auto& response = connection->parser().get();
            const unsigned status = response.result_int();
            if (options_.logger) {
                options_.logger->debug("store '{}': GET {} -> {}", store_.id(), shown, status);
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
            shown = redact_url(url.buffer());
        }
    }

    result<add_result> add(std::string_view, source&, const add_options&) const override {
        return make_error_code(errc::not_supported);  // upstream's http store is read-only
    }

    result<void> remove(std::string_view) const override {
        return make_error_code(errc::not_supported);
    }

  private:
    // Connects to the server or its proxy; for https, through the proxy's CONNECT tunnel, then
    // the TLS handshake. Every step within connect_timeout.
    result<void> open(http_connection& connection,
                      const http_target& target,
                      std::string_view shown) const {
        const auto timeout = options_.connect_timeout;
        const http_proxy* proxy = target.proxy;
        auto step = connection.connect(proxy ? proxy->host : target.host,
                                       proxy ? proxy->port : target.port, timeout);
        if (step && target.tls && proxy) {
            step = connection.tunnel(target.authority, proxy->authorization, timeout);
        }
        if (step && target.tls) step = connection.start_tls(tls_, target.host, timeout);
        if (!step && options_.logger && !connection.failure().empty()) {
            options_.logger->debug("store '{}': GET {}: {}", store_.id(), shown,
                                   connection.failure());
        }
        return step;
    }

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
    http_proxies proxies_;
    tls_client tls_;
};

// A proxy URL of `http_proxy_information`: http://[user:password@]host[:port], or host:port
// taken as http:// as requests does. TLS to the proxy itself is not supported.
std::optional<http_proxy> parse_proxy(std::string_view text) {
    std::string proxy_url(text);
    if (proxy_url.find("://") == std::string::npos) proxy_url.insert(0, "http://");
    auto u = boost::urls::parse_uri(proxy_url);
    if (!u || u->scheme_id() != boost::urls::scheme::http || u->encoded_host().empty()) {
        return std::nullopt;
    }
    http_proxy p{host_of(*u), port_of(*u), {}};
    if (u->has_userinfo()) p.authorization = basic_credentials(u->user(), u->password());
    return p;
}

// The proxies from `http_proxy_information` (oslo DictOpt "scheme:proxy, ..."); entries for
// other schemes are ignored. Nullopt: an entry without ':' or a malformed http(s) proxy.
std::optional<http_proxies> read_proxies(const store& s) {
    http_proxies out;
    auto values = s.raw_option("http_proxy_information");
    std::string_view text = values.empty() ? std::string_view{} : values.back().reveal();
    while (!text.empty()) {
        std::size_t comma = text.find(',');
        std::string_view item = ::imgstore::detail::trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (item.empty()) continue;
        std::size_t colon = item.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        // The key is the scheme of the proxied requests, not a store type.
        std::string_view scheme = ::imgstore::detail::trim(item.substr(0, colon));
        std::optional<http_proxy>* slot = scheme == "http"    ? &out.http
                                          : scheme == "https" ? &out.https
                                                              : nullptr;
        if (!slot) continue;
        *slot = parse_proxy(::imgstore::detail::trim(item.substr(colon + 1)));
        if (!*slot) return std::nullopt;
    }
    return out;
}

}  // namespace

std::unique_ptr<backend> make_http_backend(const backend_context& c) {
    std::optional<http_proxies> proxies = read_proxies(c.config);
    if (!proxies) {
        c.diagnostics.push_back({severity::error, "", 0, std::string(c.config.id()),
                                 "http_proxy_information",
                                 "each entry must be scheme:proxy, the proxy an http:// URL or "
                                 "host:port (TLS to a proxy is not supported)"});
    }
    std::optional<tls_client> tls = make_tls_client(c.config, c.diagnostics);
    if (!proxies || !tls) return nullptr;
    return std::make_unique<http_backend>(c, std::move(*proxies), std::move(*tls));
}

}  // namespace imgstore::data::detail
