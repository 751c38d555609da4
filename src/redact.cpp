#include <algorithm>
#include <string>

#include "detail/scheme_table.hpp"
#include "detail/text.hpp"
#include "imgstore/location.hpp"

namespace imgstore {
namespace {

// The URL's scheme starts with the name of a family whose userinfo runs to the last '@'
// (scheme table: s3 and swift, whose keys may hold '/', ':' and '@'). A prefix test, not a
// lookup, so that a mistyped scheme (`s3x://`, `swift+htps://`) is read the same way: erring
// on the side of hiding.
bool userinfo_to_last_at(std::string_view url) {
    return std::any_of(detail::family_rows.begin(), detail::family_rows.end(),
                       [&](const detail::family_row& f) {
                           return f.userinfo_ends == detail::userinfo_end::last_at &&
                                  detail::starts_with_nocase(url, f.name);
                       });
}

}  // namespace

std::string redact_url(std::string_view url) {
    // Where the userinfo could start: after "scheme://", or after "scheme:" for a mistyped URL
    // ("http:/u:pw@h/x"), or at the start when there is no scheme ("u:pw@h/x").
    std::size_t start = 0;
    bool authority_known = false;
    if (const std::size_t sep = url.find("://"); sep != std::string_view::npos) {
        start = sep + 3;
        authority_known = true;
    } else if (const std::size_t colon = url.find(':');
               colon != std::string_view::npos &&
               url.substr(0, colon).find_first_of("/?#@") == std::string_view::npos) {
        start = colon + 1;
    }
    const std::size_t rest_end = std::min(url.find_first_of("?#", start), url.size());
    std::size_t at;
    if (userinfo_to_last_at(url) || !authority_known) {
        // s3 and swift secrets may hold '/', ':' and '@': the userinfo runs to the last '@'
        // before the query or fragment, as upstream's s3 parser and glance's credential
        // migration read it (semantics section 3).
        // Without "://" the authority cannot be told from the path: the same rule, erring on
        // the side of hiding.
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
