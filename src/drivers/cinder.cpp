// The cinder store (glance_store/_drivers/cinder/store.py): one volume per image.
#include <array>

#include "detail/text.hpp"
#include "drivers/driver.hpp"
#include "imgstore/registry.hpp"

namespace imgstore::detail {
namespace {

constexpr std::array<std::string_view, 1> cinder_schemes{"cinder"};

constexpr std::array<option_spec, 22> cinder_options{{
    {.name = "cinder_catalog_info", .default_value = "volumev3::publicURL"},
    {.name = "cinder_endpoint_template", .url = true},
    {.name = "cinder_os_region_name", .deprecated_name = "os_region_name"},
    {.name = "cinder_ca_certificates_file"},
    {.name = "cinder_http_retries", .kind = option_kind::integer, .default_value = "3"},
    {.name = "cinder_state_transition_timeout",
     .kind = option_kind::integer,
     .default_value = "300"},
    {.name = "cinder_attachment_retry_attempts",
     .kind = option_kind::integer,
     .default_value = "5"},
    {.name = "cinder_api_insecure", .kind = option_kind::boolean, .default_value = "false"},
    {.name = "cinder_enforce_multipath", .kind = option_kind::boolean, .default_value = "false"},
    {.name = "cinder_use_multipath", .kind = option_kind::boolean, .default_value = "false"},
    {.name = "cinder_do_extend_attached", .kind = option_kind::boolean, .default_value = "false"},
    {.name = "cinder_store_auth_address", .url = true},
    {.name = "cinder_store_user_name"},
    {.name = "cinder_store_password", .secret = true},
    {.name = "cinder_store_project_name"},
    {.name = "cinder_store_user_domain_name", .default_value = "Default"},
    {.name = "cinder_store_project_domain_name", .default_value = "Default"},
    {.name = "cinder_store_application_credential_id"},
    {.name = "cinder_store_application_credential_secret", .secret = true},
    {.name = "rootwrap_config", .default_value = "/etc/glance/rootwrap.conf"},
    {.name = "cinder_volume_type"},
    {.name = "cinder_mount_point_base", .default_value = "/var/lib/glance/mnt"},
}};

driver_result configure_cinder(const store_context& ctx) {
    driver_result r;
    r.codec = std::make_shared<stateless_codec<cinder_location, parse_cinder_location>>();
    // Upstream's prefix is `cinder://<id>` without '/', so cinder1 also owned cinder10's URLs.
    r.prefixes.push_back({"cinder://" + std::string(ctx.id) + "/", std::nullopt});
    r.volume_type = ctx.options.str("cinder_volume_type").value_or("");
    return r;
}

constexpr std::string_view cinder_scheme = "cinder://";

// The legacy form `cinder://<volume uuid>` (upstream is_uuid_like: lower case only), which no
// prefix covers: the volume's type tells its store (stamping asks the caller).
bool is_legacy_volume_url(const canonical_url& c) {
    return c.path == c.path_end && is_canonical_uuid(c.key_tail());
}

// The one cinder store whose cinder_volume_type is the legacy volume's type, and the URL
// rewritten to `cinder://<store>/<volume>`. Upstream takes the first store in
// enabled_backends order that claims the volume, which makes the answer depend on that order:
// two stores with one type own nothing here (ambiguous). The volume id is read from the
// canonical form: the raw URL may carry a userinfo, which must reach neither the lookup nor
// the rewritten URL.
legacy_adoption adopt_legacy_volume(const store_registry& registry,
                                    std::string_view canonical_url,
                                    const legacy_lookup& volume_type_of) {
    legacy_adoption out;
    if (!canonical_url.starts_with(cinder_scheme)) return out;
    const std::string_view volume = canonical_url.substr(cinder_scheme.size());
    const std::optional<std::string> type = volume_type_of(volume);
    if (!type) return out;
    for (const store& s : registry.stores()) {
        if (s.type() != store_type::cinder || s.volume_type() != *type) continue;
        if (out.owner != nullptr) return {.owner = nullptr, .new_url = {}, .ambiguous = true};
        out.owner = &s;
    }
    if (out.owner != nullptr) {
        out.new_url =
            std::string(cinder_scheme) + std::string(out.owner->id()) + "/" + std::string(volume);
    }
    return out;
}

}  // namespace

result<cinder_location> parse_cinder_location(std::string_view uri) {
    if (!uri.starts_with(cinder_scheme)) return make_error_code(errc::bad_uri);
    std::string_view rest = uri.substr(cinder_scheme.size());
    cinder_location loc;
    std::size_t slash = rest.rfind('/');
    std::string_view volume = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
    if (!is_canonical_uuid(volume)) return make_error_code(errc::bad_uri);
    if (slash != std::string_view::npos) {
        std::string_view store = rest.substr(0, slash);
        if (store.empty()) return make_error_code(errc::bad_uri);
        loc.store = std::string(store);
    }
    loc.volume_id = std::string(volume);
    return loc;
}

std::string format_uri(const cinder_location& loc, bool /*no credentials*/) {
    return "cinder://" + (loc.store ? *loc.store + "/" : std::string()) + loc.volume_id;
}

const driver cinder_driver{
    .type = store_type::cinder,
    .schemes = scheme_list::of<cinder_schemes>(),
    .location_class = "imgstore::cinder_location",
    .options = cinder_options,
    .configure = configure_cinder,
    .format = format_as<cinder_location, format_uri>,
    .is_legacy = is_legacy_volume_url,
    .adopt_legacy = adopt_legacy_volume,
};

}  // namespace imgstore::detail
