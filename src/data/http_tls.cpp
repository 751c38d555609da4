#include "data/http_tls.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "detail/store_options.hpp"
#include "detail/utf8.hpp"

namespace imgstore::data::detail {
namespace {

void report_ca_problem(const store& s, std::vector<diagnostic>& diagnostics, std::string message) {
    diagnostics.push_back({severity::error, "", 0, std::string(s.id()),
                           "https_ca_certificates_file", std::move(message)});
}

}  // namespace

std::optional<tls_client> make_tls_client(const store& s, std::vector<diagnostic>& diagnostics) {
    namespace ssl = boost::asio::ssl;
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
    auto ca_values = s.raw_option("https_ca_certificates_file");
    const std::string ca_file(ca_values.empty() ? std::string_view{} : ca_values.back().reveal());
    bool verify = !ca_file.empty();
    if (!verify) {
        // The registry already refused a value that is not a boolean.
        auto insecure = s.raw_option("https_insecure");
        verify = !insecure.empty() &&
                 ::imgstore::detail::parse_option_bool(insecure.back().reveal()) == false;
    }
    boost::system::error_code ec;
    if (!ca_file.empty()) {
        const std::string shown = ::imgstore::detail::cut_text(ca_file);  // a configured path
        std::error_code fs_ec;
        const auto status = std::filesystem::status(ca_file, fs_ec);
        if (fs_ec || !std::filesystem::exists(status)) {
            report_ca_problem(s, diagnostics, fmt::format("'{}' does not exist", shown));
            return std::nullopt;
        }
        // A directory is read as requests reads one for verify=: OpenSSL's hashed CA directory.
        if (std::filesystem::is_directory(status)) {
            context->add_verify_path(ca_file, ec);
        } else {
            context->load_verify_file(ca_file, ec);
        }
        if (ec) {
            report_ca_problem(
                s, diagnostics,
                fmt::format("cannot load CA certificates from '{}': {}", shown, ec.message()));
            return std::nullopt;
        }
    } else if (verify) {
        context->set_default_verify_paths(ec);
        if (ec) {
            diagnostics.push_back({severity::error, "", 0, std::string(s.id()), "https_insecure",
                                   "cannot load the system's CA certificates: " + ec.message()});
            return std::nullopt;
        }
    }
    context->set_verify_mode(verify ? ssl::verify_peer : ssl::verify_none);
    return tls_client{std::move(context), verify};
}

}  // namespace imgstore::data::detail
