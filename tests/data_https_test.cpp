// The http store's https data plane against real TLS servers on 127.0.0.1 with certificates made
// at test time: no verification by default (upstream's https_insecure), verification with a CA
// file, rejected certificates, redirects between http and https, a handshake that stalls, a
// plain server spoken to as https, a CONNECT proxy, and unusable TLS settings.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>

#include "data_test_server.hpp"
#include "data_test_tls.hpp"
#include "data_test_util.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using data::byte_range;
using data::errc;
using data::extent;

// The origin of the https tests, plain or TLS: /img honours Range, /moved redirects (302) to
// `redirect_to`; the target and Authorization of every request are recorded.
struct tls_test_origin {
    std::string content = test::image_content();
    std::string redirect_to;
    std::mutex mutex;
    std::vector<std::string> targets;
    std::vector<std::string> authorizations;
    test::loopback_server server;

    explicit tls_test_origin(std::shared_ptr<asio::ssl::context> tls)
        : server([this](const test::http_request& req,
                        test::response_writer& out) { handle(req, out); },
                 std::move(tls)) {}

    void handle(const test::http_request& req, test::response_writer& out) {
        {
            std::lock_guard lock(mutex);
            targets.emplace_back(req.target());
            authorizations.emplace_back(req[http::field::authorization]);
        }
        if (req.target() == "/img") return test::serve_ranged(req, out, content);
        if (req.target() == "/moved") {
            auto response = test::make_response(http::status::found);
            response.set(http::field::location, redirect_to);
            return out.send(std::move(response));
        }
        out.send(test::make_response(http::status::not_found));
    }

    std::vector<std::string> seen_targets() {
        std::lock_guard lock(mutex);
        return targets;
    }
    std::vector<std::string> seen_authorizations() {
        std::lock_guard lock(mutex);
        return authorizations;
    }
};

// An http proxy that answers CONNECT by opening a TCP tunnel to the named host and port (or
// refuses with 407), recording each request line and Proxy-Authorization.
struct tls_test_connect_proxy {
    bool refuse = false;
    std::mutex mutex;
    std::vector<std::string> requests;
    std::vector<std::string> proxy_authorizations;
    test::loopback_listener listener{
        [this](tcp::socket& client, const test::loopback_listener&) { tunnel(client); }};

    void tunnel(tcp::socket& client) {
        beast::flat_buffer buffer;
        test::http_request request;
        boost::system::error_code ec;
        http::read(client, buffer, request, ec);
        if (ec) return;
        {
            std::lock_guard lock(mutex);
            requests.push_back(fmt::format("{} {}", request.method_string(), request.target()));
            proxy_authorizations.emplace_back(request[http::field::proxy_authorization]);
        }
        if (refuse || request.method() != http::verb::connect) {
            asio::write(
                client,
                asio::buffer(std::string_view("HTTP/1.1 407 Proxy Authentication Required\r\n"
                                              "Content-Length: 0\r\n\r\n")),
                ec);
            return;
        }
        const std::string authority(request.target());
        const std::size_t colon = authority.rfind(':');
        asio::io_context ioc;
        tcp::resolver resolver(ioc);
        tcp::socket upstream(ioc);
        auto endpoints =
            resolver.resolve(authority.substr(0, colon), authority.substr(colon + 1), ec);
        if (!ec) asio::connect(upstream, endpoints, ec);
        if (ec) {
            asio::write(client, asio::buffer(std::string_view("HTTP/1.1 502 Bad Gateway\r\n\r\n")),
                        ec);
            return;
        }
        asio::write(client,
                    asio::buffer(std::string_view("HTTP/1.1 200 Connection established\r\n\r\n")),
                    ec);
        std::thread back([&] { relay(upstream, client); });
        relay(client, upstream);
        back.join();
    }

    std::vector<std::string> seen_requests() {
        std::lock_guard lock(mutex);
        return requests;
    }
    std::vector<std::string> seen_proxy_authorizations() {
        std::lock_guard lock(mutex);
        return proxy_authorizations;
    }

    static void relay(tcp::socket& from, tcp::socket& to) {
        std::array<char, 16384> bytes{};
        boost::system::error_code ec;
        for (;;) {
            const std::size_t n = from.read_some(asio::buffer(bytes), ec);
            if (ec) break;
            asio::write(to, asio::buffer(bytes.data(), n), ec);
            if (ec) break;
        }
        to.shutdown(tcp::socket::shutdown_send, ec);
    }
};

std::string https_store_conf(std::string_view options) {
    return fmt::format(R"([DEFAULT]
enabled_backends = web:http
[glance_store]
default_backend = web
[web]
{}
)",
                       options);
}

TEST(HttpsBackend, ReadsRangedAndWholeObjectsWithoutVerificationByDefault) {
    test::test_ca unknown_ca("unknown test CA");
    tls_test_origin o(unknown_ca.server_context("IP:127.0.0.1"));
    auto plane = test::make_plane(https_store_conf(""));
    auto whole = plane->default_backend().get(o.server.url("/img"), byte_range::all());
    ASSERT_TRUE(whole) << whole.error().message();
    EXPECT_EQ((*whole)->range(), (extent{0, o.content.size(), o.content.size()}));
    EXPECT_EQ(test::read_all(**whole, 1000).value(), o.content);
    auto part =
        plane->default_backend().get(o.server.url("/img"), byte_range::between(100, 70'000));
    ASSERT_TRUE(part) << part.error().message();
    EXPECT_EQ((*part)->range(), (extent{100, 69'901, o.content.size()}));
    EXPECT_EQ(test::read_all(**part).value(), o.content.substr(100, 69'901));
}

TEST(HttpsBackend, VerifiesTheServerWithTheConfiguredCaFileBySniName) {
    test::test_ca ca("imgstore test CA");
    tls_test_origin o(ca.server_context("IP:127.0.0.1,DNS:localhost"));
    test::temp_dir dir;
    const auto ca_file = dir.write("ca.pem", ca.certificate_pem());
    auto plane = test::make_plane(https_store_conf(
        fmt::format("https_ca_certificates_file = {}\nhttps_insecure = false", ca_file.string())));
    for (const std::string& url : {o.server.url("/img"), o.server.localhost_url("/img")}) {
        auto r = plane->default_backend().get(url, byte_range::suffix(10));
        ASSERT_TRUE(r) << url << ": " << r.error().message();
        EXPECT_EQ(test::read_all(**r).value(), o.content.substr(o.content.size() - 10)) << url;
    }
    // SNI names the host; an address literal is never sent as SNI (RFC 6066).
    EXPECT_THAT(o.server.server_names(), ::testing::ElementsAre("", "localhost"));
}

// A directory is taken as requests takes one for verify=: OpenSSL's hashed CA directory.
TEST(HttpsBackend, VerifiesWithAHashedCaDirectory) {
    test::test_ca ca("imgstore test CA");
    tls_test_origin o(ca.server_context("IP:127.0.0.1"));
    test::temp_dir dir;
    dir.write("cas/ca.pem", ca.certificate_pem());
    const std::string cas = (dir.path() / "cas").string();
    ASSERT_EQ(std::system(("openssl rehash '" + cas + "'").c_str()), 0);
    auto plane = test::make_plane(https_store_conf("https_ca_certificates_file = " + cas));
    auto r = plane->default_backend().get(o.server.url("/img"), byte_range::between(0, 9));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(test::read_all(**r).value(), o.content.substr(0, 10));
}

enum class ca_file_choice { none, right, other };

struct tls_rejection_case {
    const char* name;
    const char* subject_alt_names;  // of the server's certificate, signed by the right CA
    ca_file_choice ca_file;
    const char* insecure;  // https_insecure line, or ""
    const char* reason;    // what the debug record says (OpenSSL's words)
};

void PrintTo(const tls_rejection_case& c, std::ostream* os) { *os << c.name; }

class HttpsBackendRejections : public ::testing::TestWithParam<tls_rejection_case> {};

TEST_P(HttpsBackendRejections, RefusesTheServerBeforeSendingAnythingAndNamesWhyWithoutSecrets) {
    const tls_rejection_case& c = GetParam();
    test::test_ca ca("imgstore test CA");
    test::test_ca other_ca("another test CA");
    tls_test_origin o(ca.server_context(c.subject_alt_names));
    test::temp_dir dir;
    std::string options = c.insecure;
    if (c.ca_file != ca_file_choice::none) {
        const auto& chosen = c.ca_file == ca_file_choice::right ? ca : other_ca;
        options += "\nhttps_ca_certificates_file = " +
                   dir.write("ca.pem", chosen.certificate_pem()).string();
    }
    std::ostringstream log;
    auto plane = test::make_plane(https_store_conf(options), {}, test::logged_options(log));
    const std::string url =
        fmt::format("https://alice:s3cr3t-pw@127.0.0.1:{}/img", o.server.port());
    auto r = plane->default_backend().get(url, byte_range::all());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::bad_certificate));
    EXPECT_EQ(r.error().message(), "remote server's TLS certificate rejected");
    EXPECT_THAT(log.str(), ::testing::HasSubstr(c.reason));
    EXPECT_THAT(log.str(), ::testing::HasSubstr("https://***@127.0.0.1"));
    EXPECT_THAT(log.str(), ::testing::Not(::testing::HasSubstr("s3cr3t")));
    EXPECT_THAT(log.str(), ::testing::Not(::testing::HasSubstr("alice")));
    EXPECT_THAT(o.seen_targets(), ::testing::IsEmpty());  // no request, no credentials sent
}

INSTANTIATE_TEST_SUITE_P(
    Table,
    HttpsBackendRejections,
    ::testing::Values(tls_rejection_case{"UnknownCa", "IP:127.0.0.1", ca_file_choice::other, "",
                                         "unable to get local issuer certificate"},
                      // Upstream: a CA file makes https_insecure irrelevant.
                      tls_rejection_case{"UnknownCaThoughInsecure", "IP:127.0.0.1",
                                         ca_file_choice::other, "https_insecure = true",
                                         "unable to get local issuer certificate"},
                      tls_rejection_case{"SystemCasWhenNotInsecure", "IP:127.0.0.1",
                                         ca_file_choice::none, "https_insecure = false",
                                         "unable to get local issuer certificate"},
                      tls_rejection_case{"CertificateForANameOnly", "DNS:images.example",
                                         ca_file_choice::right, "", "IP address mismatch"},
                      tls_rejection_case{"OtherAddress", "IP:127.0.0.2", ca_file_choice::right, "",
                                         "IP address mismatch"}),
    [](const auto& row) { return std::string(row.param.name); });

TEST(HttpsBackend, RejectsACertificateForAnotherHostName) {
    test::test_ca ca("imgstore test CA");
    tls_test_origin o(ca.server_context("DNS:images.example,IP:127.0.0.1"));
    test::temp_dir dir;
    const std::string options =
        "https_ca_certificates_file = " + dir.write("ca.pem", ca.certificate_pem()).string();
    std::ostringstream log;
    auto plane = test::make_plane(https_store_conf(options), {}, test::logged_options(log));
    auto r = plane->default_backend().get(o.server.localhost_url("/img"), byte_range::all());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::bad_certificate));
    EXPECT_THAT(log.str(), ::testing::HasSubstr("hostname mismatch"));
}

TEST(HttpsBackend, FollowsRedirectsBetweenHttpAndHttpsWithoutCarryingCredentials) {
    test::test_ca ca("imgstore test CA");
    tls_test_origin secure(ca.server_context("IP:127.0.0.1"));
    tls_test_origin plain(nullptr);
    plain.redirect_to = secure.server.url("/img");
    secure.redirect_to = plain.server.url("/img");
    auto plane = test::make_plane(https_store_conf(""));
    for (tls_test_origin* first : {&plain, &secure}) {
        const std::string url =
            fmt::format("{}://alice:pw@127.0.0.1:{}/moved", first == &plain ? "http" : "https",
                        first->server.port());
        auto r = plane->default_backend().get(url, byte_range::between(0, 99));
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_EQ(test::read_all(**r).value(), first->content.substr(0, 100));
    }
    EXPECT_THAT(plain.seen_targets(), ::testing::ElementsAre("/moved", "/img"));
    EXPECT_THAT(secure.seen_targets(), ::testing::ElementsAre("/img", "/moved"));
    EXPECT_THAT(plain.seen_authorizations(), ::testing::ElementsAre("Basic YWxpY2U6cHc=", ""));
    EXPECT_THAT(secure.seen_authorizations(), ::testing::ElementsAre("", "Basic YWxpY2U6cHc="));
}

TEST(HttpsBackend, GivesUpOnAHandshakeThatStallsAtTheConnectTimeout) {
    test::loopback_listener silent([](tcp::socket&, const test::loopback_listener& self) {
        self.stall(std::chrono::seconds(5));
    });
    data::data_options options;
    options.connect_timeout = std::chrono::milliseconds(300);
    options.read_timeout = std::chrono::seconds(60);  // the handshake is part of connecting
    auto plane = test::make_plane(https_store_conf(""), {}, options);
    const auto start = std::chrono::steady_clock::now();
    auto r = plane->default_backend().get(fmt::format("https://127.0.0.1:{}/img", silent.port()),
                                          byte_range::all());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::timeout));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(HttpsBackend, FailsCleanlyAgainstAPlainHttpServer) {
    tls_test_origin plain(nullptr);
    std::ostringstream log;
    auto plane = test::make_plane(https_store_conf(""), {}, test::logged_options(log));
    auto r = plane->default_backend().get(
        fmt::format("https://127.0.0.1:{}/img", plain.server.port()), byte_range::all());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::tls_failed));
    EXPECT_THAT(log.str(), ::testing::HasSubstr("GET https://127.0.0.1"));
    EXPECT_THAT(log.str(), ::testing::HasSubstr("wrong version number"));
    EXPECT_THAT(plain.seen_targets(), ::testing::IsEmpty());  // the ClientHello is no request
}

TEST(HttpsBackend, TunnelsThroughTheHttpsProxyWithConnect) {
    test::test_ca ca("imgstore test CA");
    tls_test_origin o(ca.server_context("DNS:localhost"));
    tls_test_connect_proxy proxy;
    test::temp_dir dir;
    auto plane = test::make_plane(https_store_conf(fmt::format(
        "https_ca_certificates_file = {}\n"
        "http_proxy_information = http:http://127.0.0.1:1, https:http://puser:ppass@127.0.0.1:{}",
        dir.write("ca.pem", ca.certificate_pem()).string(), proxy.listener.port())));
    {
        auto r = plane->default_backend().get(o.server.localhost_url("/img"),
                                              byte_range::between(5, 14));
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_EQ(test::read_all(**r).value(), o.content.substr(5, 10));
    }
    EXPECT_THAT(proxy.seen_requests(),
                ::testing::ElementsAre(fmt::format("CONNECT localhost:{}", o.server.port())));
    EXPECT_THAT(proxy.seen_proxy_authorizations(),
                ::testing::ElementsAre("Basic cHVzZXI6cHBhc3M="));
    EXPECT_THAT(o.seen_targets(), ::testing::ElementsAre("/img"));  // origin-form in the tunnel
    EXPECT_THAT(o.server.server_names(), ::testing::ElementsAre("localhost"));
}

TEST(HttpsBackend, ReportsAProxyThatRefusesTheTunnelAsUnavailable) {
    tls_test_connect_proxy proxy;
    proxy.refuse = true;
    std::ostringstream log;
    auto plane =
        test::make_plane(https_store_conf(fmt::format("http_proxy_information = https:127.0.0.1:{}",
                                                      proxy.listener.port())),
                         {}, test::logged_options(log));
    auto r = plane->default_backend().get("https://127.0.0.1:1/img", byte_range::all());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), make_error_code(errc::unavailable));
    EXPECT_THAT(log.str(), ::testing::HasSubstr("the proxy answered 407 to CONNECT"));
    EXPECT_THAT(proxy.seen_requests(), ::testing::ElementsAre("CONNECT 127.0.0.1:1"));
}

struct tls_setting_case {
    const char* name;
    const char* options;  // "{}" is the temporary directory
    const char* key;
    const char* message;  // part of the diagnostic
};

void PrintTo(const tls_setting_case& c, std::ostream* os) { *os << c.name; }

class HttpsBackendSettings : public ::testing::TestWithParam<tls_setting_case> {};

TEST_P(HttpsBackendSettings, RefusesUnusableTlsSettingsNamingStoreAndKey) {
    const tls_setting_case& c = GetParam();
    test::temp_dir dir;
    dir.write("garbage.pem", "not a certificate\n");
    auto made = test::try_make_plane(
        https_store_conf(fmt::format(fmt::runtime(c.options), dir.path().string())));
    ASSERT_FALSE(made.ok());
    ASSERT_EQ(made.diagnostics.size(), 1u) << test::join(made.diagnostics);
    EXPECT_EQ(made.diagnostics[0].section, "web");
    EXPECT_EQ(made.diagnostics[0].key, c.key);
    EXPECT_THAT(made.diagnostics[0].message,
                ::testing::HasSubstr(fmt::format(fmt::runtime(c.message), dir.path().string())));
}

INSTANTIATE_TEST_SUITE_P(
    Table,
    HttpsBackendSettings,
    ::testing::Values(
        tls_setting_case{"MissingCaFile", "https_ca_certificates_file = {}/none.pem",
                         "https_ca_certificates_file", "'{}/none.pem' does not exist"},
        tls_setting_case{"NotACertificate", "https_ca_certificates_file = {}/garbage.pem",
                         "https_ca_certificates_file",
                         "cannot load CA certificates from '{}/garbage.pem'"},
        tls_setting_case{"TlsToTheProxy", "http_proxy_information = https:https://127.0.0.1:3128",
                         "http_proxy_information", "TLS to a proxy is not supported"},
        tls_setting_case{"ProxyWithoutScheme", "http_proxy_information = https",
                         "http_proxy_information", "scheme:proxy"}),
    [](const auto& row) { return std::string(row.param.name); });

}  // namespace
}  // namespace imgstore
