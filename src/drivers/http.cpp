// The read-only http store (glance_store/_drivers/http.py). It has no URL prefix: a single
// http store claims the whole http/https family (driver::whole_family); two or more make every
// http(s) URL ambiguous, where upstream's first store wins (L9).
#include <array>

#include "detail/text.hpp"
#include "drivers/driver.hpp"

namespace imgstore::detail {
namespace {

constexpr std::array<std::string_view, 2> http_schemes{"http", "https"};

constexpr std::array<option_spec, 3> http_options{{
    {.name = "https_ca_certificates_file"},
    {.name = "https_insecure", .kind = option_kind::boolean, .default_value = "true"},
    {.name = "http_proxy_information", .kind = option_kind::dict, .default_value = "", .url = true},
}};

driver_result configure_http(const store_context&) {
    driver_result r;
    r.codec = std::make_shared<stateless_codec<http_location, parse_http_location>>();
    return r;
}

const whole_family_claim http_claim{
    .explain = "an http store claims every http and https URL",
    .urls = "http(s)",
};

bool all_digits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

result<http_location> parse_http_location(std::string_view uri) {
    http_location loc;
    if (uri.starts_with("http://")) {
        loc.scheme = "http";
    } else if (uri.starts_with("https://")) {
        loc.scheme = "https";
    } else {
        return make_error_code(errc::bad_uri);
    }
    std::string_view rest = uri.substr(loc.scheme.size() + 3);
    std::size_t auth_end = rest.find_first_of("/?#");
    std::string_view netloc = rest.substr(0, auth_end);
    rest.remove_prefix(netloc.size());
    if (auto at = netloc.find('@'); at != std::string_view::npos) {
        if (netloc.find('@', at + 1) != std::string_view::npos)
            return make_error_code(errc::bad_uri);
        std::string_view creds = netloc.substr(0, at);
        netloc.remove_prefix(at + 1);
        auto colon = creds.find(':');
        if (colon == std::string_view::npos ||
            creds.find(':', colon + 1) != std::string_view::npos) {
            return make_error_code(errc::bad_uri);  // "Credentials are not well-formatted."
        }
        loc.user = std::string(creds.substr(0, colon));
        loc.password = secret(std::string(creds.substr(colon + 1)));
    }
    if (netloc.empty()) return make_error_code(errc::bad_uri);
    // Port check as upstream: an IPv6 literal's port follows "]:".
    std::string_view delimiter = netloc.find(':') != netloc.rfind(':') ? "]:" : ":";
    if (auto p = netloc.rfind(delimiter); p != std::string_view::npos) {
        if (!all_digits(netloc.substr(p + delimiter.size()))) return make_error_code(errc::bad_uri);
    }
    loc.netloc = std::string(netloc);
    std::size_t q = rest.find_first_of("?#");
    loc.path = std::string(rest.substr(0, q));
    if (q != std::string_view::npos && rest[q] == '?') {
        std::string_view query = rest.substr(q + 1);
        loc.query = std::string(query.substr(0, query.find('#')));
    }
    return loc;
}

std::string format_uri(const http_location& loc, bool redact) {
    std::string out = loc.scheme + "://";
    if (loc.user) {
        if (redact) {
            out += "***@";
        } else {
            out += *loc.user + ':' + std::string(loc.password ? loc.password->reveal() : "") + '@';
        }
    }
    out += loc.netloc + loc.path;
    if (!loc.query.empty()) out += '?' + loc.query;
    return out;
}

const driver http_driver{
    .type = store_type::http,
    .schemes = scheme_list::of<http_schemes>(),
    .location_class = "imgstore::http_location",
    .options = http_options,
    .configure = configure_http,
    .format = format_as<http_location, format_uri>,
    .whole_family = &http_claim,
};

}  // namespace imgstore::detail
