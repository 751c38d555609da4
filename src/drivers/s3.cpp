// The S3 store (glance_store/_drivers/s3.py). Its prefix never holds credentials: upstream's
// `s3+https://<access>:<secret>@host/bucket` put the secret key in every log of the prefix.
#include <array>

#include "detail/text.hpp"
#include "drivers/driver.hpp"

namespace imgstore::detail {
namespace {

constexpr std::array<std::string_view, 3> s3_schemes{"s3", "s3+http", "s3+https"};

constexpr std::array<std::string_view, 3> url_formats{"auto", "virtual", "path"};
constexpr std::array<std::string_view, 2> checksum_modes{"when_supported", "when_required"};

constexpr std::array<option_spec, 14> s3_options{{
    {.name = "s3_store_host", .url = true},
    {.name = "s3_store_access_key", .secret = true},
    {.name = "s3_store_secret_key", .secret = true},
    {.name = "s3_store_bucket"},
    {.name = "s3_store_region_name", .default_value = ""},
    {.name = "s3_store_create_bucket_on_put",
     .kind = option_kind::boolean,
     .default_value = "false"},
    {.name = "s3_store_bucket_url_format", .default_value = "auto", .choices = url_formats},
    {.name = "s3_store_large_object_size",
     .kind = option_kind::integer,
     .default_value = "100",
     .min = 0},
    {.name = "s3_store_large_object_chunk_size",
     .kind = option_kind::integer,
     .default_value = "10",
     .min = 5},
    {.name = "s3_store_thread_pools",
     .kind = option_kind::integer,
     .default_value = "10",
     .min = 1},
    {.name = "s3_store_cacert", .default_value = ""},
    {.name = "s3_store_enable_data_integrity_protection",
     .kind = option_kind::boolean,
     .default_value = "false"},
    {.name = "s3_store_request_checksum_calculation",
     .default_value = "when_required",
     .choices = checksum_modes},
    {.name = "s3_store_response_checksum_validation",
     .default_value = "when_required",
     .choices = checksum_modes},
}};

// A bucket is one path segment: S3 bucket names never hold '/', and a '/' would move the
// segment boundary the prefix ends at.
bool plain_segment(std::string_view s) {
    return !s.empty() && s.find('/') == std::string_view::npos && s != "." && s != "..";
}

driver_result configure_s3(const store_context& ctx) {
    const store_options& o = ctx.options;
    driver_result r;
    r.codec = std::make_shared<stateless_codec<s3_location, parse_s3_location>>();
    bool ok = true;
    for (std::string_view required :
         {"s3_store_host", "s3_store_access_key", "s3_store_secret_key", "s3_store_bucket"}) {
        auto v = o.str(required);
        if (!v || trim(*v).empty()) {
            o.error(required, "required option is not set");
            ok = false;
        }
    }
    if (!ok) return r;
    // Upstream recognises only a lower-case "https://" (R22) and keeps a trailing '/' (R21),
    // producing prefixes that never match; both are normalised here.
    const std::string host_option = *o.str("s3_store_host");
    std::string_view host = trim(host_option);
    std::string_view scheme = "s3";
    if (starts_with_nocase(host, "https://")) {
        scheme = "s3+https";
        host.remove_prefix(8);
    } else if (starts_with_nocase(host, "http://")) {
        host.remove_prefix(7);
    }
    host = strip_char(host, '/');
    if (host.empty() || host.find_first_of("@?#") != std::string_view::npos) {
        o.error("s3_store_host", "must be a host[:port][/path], optionally after http(s)://");
        return r;
    }
    const std::string bucket_option = *o.str("s3_store_bucket");
    const std::string_view bucket = trim(bucket_option);
    if (!plain_segment(bucket)) {
        o.error("s3_store_bucket", "must be a bucket name without '/'");
        return r;
    }
    r.prefixes.push_back({std::string(scheme) + "://" + std::string(host) + "/" +
                              percent_encode(bucket, "!$&'()*+,;=:@") + "/",
                          origin_of(o.where("s3_store_bucket"))});
    return r;
}

}  // namespace

result<s3_location> parse_s3_location(std::string_view uri) {
    const std::size_t sep = uri.find("://");
    // Upstream refuses a second scheme (`s3://ak:sk@https://host/...`, X23).
    if (sep == std::string_view::npos || uri.find("://", sep + 3) != std::string_view::npos) {
        return make_error_code(errc::bad_uri);
    }
    s3_location loc;
    loc.scheme = std::string(uri.substr(0, sep));
    if (loc.scheme != "s3" && loc.scheme != "s3+http" && loc.scheme != "s3+https") {
        return make_error_code(errc::bad_uri);
    }
    std::string_view rest = uri.substr(sep + 3);
    rest = strip_char(rest.substr(0, rest.find_first_of("?#")), '/');
    // The secret key may hold '/', ':' or '@': the userinfo ends at the last '@' (as glance's
    // own credential migration does; upstream's parser raised ValueError on a second '@', X24).
    if (std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
        std::string_view creds = rest.substr(0, at);
        std::size_t colon = creds.find(':');
        if (colon == std::string_view::npos) return make_error_code(errc::bad_uri);  // X22
        loc.access_key = std::string(creds.substr(0, colon));
        loc.secret_key = secret(std::string(creds.substr(colon + 1)));
        rest = strip_char(rest.substr(at + 1), '/');
    }
    const std::size_t key_slash = rest.rfind('/');
    if (key_slash == std::string_view::npos) return make_error_code(errc::bad_uri);
    const std::size_t bucket_slash = rest.rfind('/', key_slash - 1);
    if (bucket_slash == std::string_view::npos || key_slash == 0) {
        return make_error_code(errc::bad_uri);  // missing service URL (X21)
    }
    loc.service_url = std::string(rest.substr(0, bucket_slash));
    loc.bucket = std::string(rest.substr(bucket_slash + 1, key_slash - bucket_slash - 1));
    loc.key = std::string(rest.substr(key_slash + 1));
    if (loc.service_url.empty() || loc.bucket.empty() || loc.key.empty()) {
        return make_error_code(errc::bad_uri);
    }
    return loc;
}

std::string format_uri(const s3_location& loc, bool redact) {
    std::string out = loc.scheme + "://";
    if (loc.access_key) {
        if (redact) {
            out += redacted_mark;
        } else {
            out += *loc.access_key;
            out += ':';
            out += loc.secret_key ? loc.secret_key->reveal() : std::string_view();
        }
        out += '@';
    }
    out += loc.service_url + "/" + loc.bucket + "/" + loc.key;
    return out;
}

const driver s3_driver{
    .type = store_type::s3,
    .schemes = scheme_list::of<s3_schemes>(),
    .location_class = "imgstore::s3_location",
    .options = s3_options,
    .configure = configure_s3,
    .format = format_as<s3_location, format_uri>,
};

}  // namespace imgstore::detail
