#include "detail/url_bytes.hpp"

namespace imgstore::detail::url_bytes {

bool numeric_host_ok(std::string_view host) {
    bool has_dot = false;
    for (char c : host) {
        if (c == '.') {
            has_dot = true;
        } else if (c < '0' || c > '9') {
            return true;  // a name
        }
    }
    if (!has_dot) return true;  // all digits: an ordinary name, never converted
    int parts = 0;
    std::size_t i = 0;
    while (i <= host.size()) {
        std::size_t dot = host.find('.', i);
        if (dot == std::string_view::npos) dot = host.size();
        std::string_view part = host.substr(i, dot - i);
        if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
        int v = 0;
        for (char c : part) v = v * 10 + (c - '0');
        if (v > 255) return false;
        ++parts;
        i = dot + 1;
    }
    return parts == 4;
}

}  // namespace imgstore::detail::url_bytes
