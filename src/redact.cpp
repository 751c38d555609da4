#include <algorithm>
#include <string>

#include "drivers/text.hpp"
#include "imgstore/location.hpp"

namespace imgstore {

std::string redact_url(std::string_view url) {
    const std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) return std::string(url);
    const std::size_t start = sep + 3;
    const std::size_t rest_end = std::min(url.find_first_of("?#", start), url.size());
    std::size_t at;
    if (detail::starts_with_nocase(url, "s3")) {
        // s3 secrets may hold '/', ':' and '@': the userinfo runs to the last '@' before the
        // query or fragment, as upstream's parser and glance's credential migration read it.
        at = url.substr(start, rest_end - start).rfind('@');
    } else {
        const std::size_t auth_end = std::min(url.find_first_of("/?#", start), url.size());
        at = url.substr(start, auth_end - start).rfind('@');
    }
    if (at == std::string_view::npos) return std::string(url);
    std::string out(url.substr(0, start));
    out += redacted_mark;
    out += url.substr(start + at);
    return out;
}

}  // namespace imgstore
