// The http store's data plane against real Beast servers on 127.0.0.1: ranges, redirects up to
// and over upstream's bound, errors, a stalling server, a forwarding proxy, credentials.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <mutex>
#include <sstream>

#include "data_test_server.hpp"
#include "data_test_util.hpp"

namespace imgstore {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using data::byte_range;
using data::errc;
using data::extent;
using test::http_request;
using test::make_response;
using test::response_writer;

// The origin server of the tests: /img honours Range, /norange ignores it, /redirect/N
// redirects N times, /stall never answers, ...
struct origin {
    std::string content = test::image_content();
    std::mutex mutex;
    std::vector<std::string> authorizations;  // Authorization header of each request, in order

    test::loopback_server server{
        [this](const http_request& req, response_writer& out) { handle(req, out); }};

    void handle(const http_request& req, response_writer& out) {
        {
            std::lock_guard lock(mutex);
            authorizations.emplace_back(req[http::field::authorization]);
        }
        std::string_view target = req.target();
        if (target == "/img" || target == "/img?x=1") return test::serve_ranged(req, out, content);
        if (target == "/norange") return out.send(make_response(http::status::ok, content));
        if (target.starts_with("/redirect/")) {
            int n = std::stoi(std::string(target.substr(10)));
            auto response =
                make_response(n % 2 ? http::status::found : http::status::moved_permanently);
            response.set(
                http::field::location,
                n == 0 ? server.url("/img") : server.url(fmt::format("/redirect/{}", n - 1)));
            return out.send(std::move(response));
        }
        if (target == "/relative") {
            auto response = make_response(http::status::temporary_redirect);
            response.set(http::field::location, "img");
            return out.send(std::move(response));
        }
        if (target == "/to-ftp") {
            auto response = make_response(http::status::found);
            response.set(http::field::location, "ftp://127.0.0.1/img");
            return out.send(std::move(response));
        }
        if (target == "/stall") return server.stall(std::chrono::seconds(5));
        if (target == "/error")
            return out.send(make_response(http::status::internal_server_error, "boom"));
        if (target == "/chunked") {
            http::response<http::string_body> response{http::status::ok, 11};
            response.chunked(true);
            response.body() = "no length";
            return out.write(test::serialize(response));
        }
        if (target == "/short") {
            // Announces 1000 bytes, sends 10, closes.
            return out.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
        }
        out.send(make_response(http::status::not_found));
    }
};

std::string http_store_conf(std::string_view proxy = "") {
    return fmt::format(R"([DEFAULT]
enabled_backends = web:http
[glance_store]
default_backend = web
[web]
{}
)",
                       proxy.empty() ? "" : "http_proxy_information = " + std::string(proxy));
}

data::data_options fast_timeouts() {
    data::data_options o;
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.read_timeout = std::chrono::milliseconds(300);
    return o;
}

TEST(HttpBackend, ReadsAWholeImageWithItsSize) {
    origin o;
    auto plane = test::make_plane(http_store_conf());
    auto r = plane->default_backend().get(o.server.url("/img?x=1"), byte_range::all());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ((*r)->range(), (extent{0, o.content.size(), o.content.size()}));
    EXPECT_EQ(test::read_all(**r, 1000).value(), o.content);
}

struct http_range_case {
    const char* name;
    const char* path;
    byte_range range;
};

void PrintTo(const http_range_case& c, std::ostream* os) { *os << c.name; }

class HttpBackendRanges : public ::testing::TestWithParam<http_range_case> {};

TEST_P(HttpBackendRanges, ReadsTheRequestedBytesWhetherOrNotTheServerHonoursRange) {
    const http_range_case& c = GetParam();
    origin o;
    auto plane = test::make_plane(http_store_conf());
    auto r = plane->default_backend().get(o.server.url(c.path), c.range);
    ASSERT_TRUE(r) << r.error().message();
    const std::size_t size = o.content.size();
    // The expected bytes, computed here from the range's fields.
    std::size_t first = c.range.first;
    std::size_t end = c.range.last ? std::min<std::size_t>(*c.range.last + 1, size) : size;
    if (c.range.suffix_length) {
        first = size - std::min<std::size_t>(*c.range.suffix_length, size);
        end = size;
    }
    EXPECT_EQ((*r)->range(), (extent{first, end - first, size}));
    EXPECT_EQ(test::read_all(**r, 4096).value(), o.content.substr(first, end - first));
}

INSTANTIATE_TEST_SUITE_P(
    Table,
    HttpBackendRanges,
    ::testing::Values(http_range_case{"Between", "/img", byte_range::between(100, 70'000)},
                      http_range_case{"From", "/img", byte_range::from(149'000)},
                      http_range_case{"Suffix", "/img", byte_range::suffix(5)},
                      http_range_case{"LastClamped", "/img", byte_range::between(10, 1u << 30)},
                      http_range_case{"IgnoredBetween", "/norange",
                                      byte_range::between(100, 70'000)},
                      http_range_case{"IgnoredFrom", "/norange", byte_range::from(149'999)},
                      http_range_case{"IgnoredSuffix", "/norange", byte_range::suffix(7)}),
    [](const auto& row) { return std::string(row.param.name); });

struct http_error_case {
    const char* name;
    const char* path;
    byte_range range;
    errc expected;
};

void PrintTo(const http_error_case& c, std::ostream* os) { *os << c.name; }

class HttpBackendErrors : public ::testing::TestWithParam<http_error_case> {};

TEST_P(HttpBackendErrors, AnswersWithTheErrorOfTheCase) {
    const http_error_case& c = GetParam();
    origin o;
    auto plane = test::make_plane(http_store_conf(), {}, fast_timeouts());
    const auto start = std::chrono::steady_clock::now();
    auto r = plane->default_backend().get(o.server.url(c.path), c.range);
    result<std::string> body = r ? test::read_all(**r) : result<std::string>(r.error());
    ASSERT_FALSE(body) << c.path;
    EXPECT_EQ(body.error(), make_error_code(c.expected)) << body.error().message();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

INSTANTIATE_TEST_SUITE_P(
    Table,
    HttpBackendErrors,
    ::testing::Values(
        http_error_case{"NotFound", "/missing", byte_range::all(), errc::not_found},
        http_error_case{"ServerError", "/error", byte_range::all(), errc::upstream_error},
        http_error_case{"RangeNotSatisfiable", "/img", byte_range::from(150'000), errc::bad_range},
        http_error_case{"IgnoredRangeNotSatisfiable", "/norange", byte_range::from(150'000),
                        errc::bad_range},
        http_error_case{"FiveRedirects", "/redirect/4", byte_range::all(),
                        errc::too_many_redirects},
        http_error_case{"RedirectToFtp", "/to-ftp", byte_range::all(), errc::upstream_error},
        http_error_case{"Stall", "/stall", byte_range::all(), errc::timeout},
        http_error_case{"NoContentLength", "/chunked", byte_range::all(), errc::upstream_error},
        http_error_case{"ShortBody", "/short", byte_range::all(), errc::truncated}),
    [](const auto& row) { return std::string(row.param.name); });

// Upstream's loop makes at most MAX_REDIRECTS (5) requests: 4 redirects are followed.
TEST(HttpBackend, FollowsRedirectsUpToUpstreamsBound) {
    origin o;
    auto plane = test::make_plane(http_store_conf());
    for (const char* path : {"/redirect/0", "/redirect/3", "/relative"}) {
        auto r = plane->default_backend().get(o.server.url(path), byte_range::between(0, 9));
        ASSERT_TRUE(r) << path << ": " << r.error().message();
        EXPECT_EQ(test::read_all(**r).value(), o.content.substr(0, 10)) << path;
    }
}

TEST(HttpBackend, ReportsAnUnreachableServer) {
    std::uint16_t port = 0;
    {
        asio::io_context ioc;
        tcp::acceptor closed(ioc, {asio::ip::make_address("127.0.0.1"), 0});
        port = closed.local_endpoint().port();
    }
    auto plane = test::make_plane(http_store_conf(), {}, fast_timeouts());
    auto r = plane->default_backend().get(fmt::format("http://127.0.0.1:{}/img", port),
                                          byte_range::all());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::unavailable));
}

TEST(HttpBackend, SendsUrlCredentialsOnlyToTheirServerAndNeverLogsThem) {
    origin o;
    std::ostringstream log;
    auto plane = test::make_plane(http_store_conf(), {}, test::logged_options(log));
    const std::string url =
        fmt::format("http://alice:s3cr3t-pw@127.0.0.1:{}/redirect/0", o.server.port());
    auto r = plane->default_backend().get(url, byte_range::all());
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(o.authorizations.size(), 2u);
    EXPECT_EQ(o.authorizations[0], "Basic YWxpY2U6czNjcjN0LXB3");  // base64("alice:s3cr3t-pw")
    EXPECT_EQ(o.authorizations[1], "");  // the redirect target gets no credentials
    EXPECT_THAT(log.str(), ::testing::HasSubstr("GET http://***@127.0.0.1"));
    EXPECT_THAT(log.str(), ::testing::Not(::testing::HasSubstr("s3cr3t")));
    EXPECT_THAT(log.str(), ::testing::Not(::testing::HasSubstr("alice")));
}

TEST(HttpBackend, SendsPercentEncodedCredentialsDecodedAsRequestsDoes) {
    origin o;
    std::ostringstream log;
    auto plane = test::make_plane(http_store_conf(), {}, test::logged_options(log));
    const std::string url =
        fmt::format("http://al%40ice:p%2Fw%3A@127.0.0.1:{}/img?x=1", o.server.port());
    auto r = plane->default_backend().get(url, byte_range::all());
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(o.authorizations.size(), 1u);
    EXPECT_EQ(o.authorizations[0], "Basic YWxAaWNlOnAvdzo=");  // base64("al@ice:p/w:")
    EXPECT_THAT(log.str(), ::testing::HasSubstr("/img?x=1"));
    EXPECT_THAT(log.str(), ::testing::Not(::testing::HasSubstr("p%2Fw")));
    EXPECT_THAT(log.str(), ::testing::Not(::testing::HasSubstr("al%40ice")));
}

// A forwarding proxy: takes absolute-form requests, fetches from the origin, relays the answer.
struct forwarding_proxy {
    std::mutex mutex;
    std::vector<std::string> targets;
    std::vector<std::string> proxy_authorizations;

    test::loopback_server server{[this](const http_request& req, response_writer& client) {
        {
            std::lock_guard lock(mutex);
            targets.emplace_back(req.target());
            proxy_authorizations.emplace_back(req[http::field::proxy_authorization]);
        }
        auto url = boost::urls::parse_uri(req.target());
        if (!url) return client.send(make_response(http::status::bad_request));
        asio::io_context ioc;
        tcp::socket upstream(ioc);
        boost::system::error_code ec;
        upstream.connect({asio::ip::make_address(url->host()), url->port_number()}, ec);
        if (ec) return client.send(make_response(http::status::bad_gateway));
        http_request forwarded = req;
        forwarded.target(url->encoded_path());
        forwarded.erase(http::field::proxy_authorization);
        http::write(upstream, forwarded, ec);
        beast::flat_buffer buffer;
        test::http_response response;
        http::read(upstream, buffer, response, ec);
        if (ec) return client.send(make_response(http::status::bad_gateway));
        client.send(std::move(response));
    }};
};

TEST(HttpBackend, GoesThroughTheConfiguredProxy) {
    origin o;
    forwarding_proxy proxy;
    auto plane = test::make_plane(http_store_conf(fmt::format(
        "https:http://127.0.0.1:1, http:http://puser:ppass@127.0.0.1:{}", proxy.server.port())));
    auto r = plane->default_backend().get(o.server.url("/img"), byte_range::between(5, 14));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(test::read_all(**r).value(), o.content.substr(5, 10));
    ASSERT_EQ(proxy.targets.size(), 1u);
    EXPECT_EQ(proxy.targets[0], o.server.url("/img"));
    EXPECT_EQ(proxy.proxy_authorizations[0], "Basic cHVzZXI6cHBhc3M=");  // puser:ppass
}

TEST(HttpBackend, TakesAProxyWrittenAsHostAndPort) {
    origin o;
    forwarding_proxy proxy;
    auto plane =
        test::make_plane(http_store_conf(fmt::format("http:127.0.0.1:{}", proxy.server.port())));
    auto r = plane->default_backend().get(o.server.url("/img"), byte_range::all());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(test::read_all(**r).value(), o.content);
    EXPECT_EQ(proxy.targets.size(), 1u);
}

TEST(HttpBackend, RefusesAMalformedProxySetting) {
    auto made = test::try_make_plane(http_store_conf("http:ftp://127.0.0.1:21"));
    ASSERT_FALSE(made.ok());
    ASSERT_EQ(made.diagnostics.size(), 1u);
    EXPECT_EQ(made.diagnostics[0].key, "http_proxy_information");
    EXPECT_EQ(made.diagnostics[0].section, "web");
}

TEST(HttpBackend, IsReadOnlyAndRefusesMalformedLocations) {
    auto plane = test::make_plane(http_store_conf());
    const data::backend& web = plane->default_backend();
    test::string_source source("data");
    EXPECT_EQ(web.add("img", source, {}).error(), make_error_code(errc::not_supported));
    EXPECT_EQ(web.remove("http://127.0.0.1:1/img").error(), make_error_code(errc::not_supported));
    for (const char* bad : {"http://", "http://[::1/x", "http://h:port/x", "ftp://h/x", "img"}) {
        EXPECT_EQ(web.get(bad, byte_range::all()).error(), make_error_code(errc::invalid_location))
            << bad;
    }
}

}  // namespace
}  // namespace imgstore
