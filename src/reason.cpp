#include "imgstore/reason.hpp"

namespace imgstore {

std::string_view to_string(reason_code r) noexcept {
    switch (r) {
        case reason_code::none:
            return "matched";
        case reason_code::too_long:
            return "too_long";
        case reason_code::bad_byte:
            return "bad_byte";
        case reason_code::bad_percent:
            return "bad_percent";
        case reason_code::not_absolute:
            return "not_absolute";
        case reason_code::bad_scheme:
            return "bad_scheme";
        case reason_code::bad_userinfo:
            return "bad_userinfo";
        case reason_code::bad_host:
            return "bad_host";
        case reason_code::bad_port:
            return "bad_port";
        case reason_code::dot_segment:
            return "dot_segment";
        case reason_code::empty_segment:
            return "empty_segment";
        case reason_code::encoded_separator:
            return "encoded_separator";
        case reason_code::query_not_allowed:
            return "query_not_allowed";
        case reason_code::fragment_not_allowed:
            return "fragment_not_allowed";
        case reason_code::store_root:
            return "store_root";
        case reason_code::unknown_scheme:
            return "unknown_scheme";
        case reason_code::no_prefix:
            return "no_prefix";
        case reason_code::ambiguous:
            return "ambiguous";
        case reason_code::cinder_legacy:
            return "cinder_legacy";
        case reason_code::user_mismatch:
            return "user_mismatch";
    }
    return "unknown";
}

std::string_view to_string(resolve_status s) noexcept {
    switch (s) {
        case resolve_status::matched:
            return "matched";
        case resolve_status::no_store:
            return "no_store";
        case resolve_status::invalid:
            return "invalid";
    }
    return "unknown";
}

}  // namespace imgstore
