// The Swift store (glance_store/_drivers/swift/store.py and utils.py): single-tenant with inline
// credentials or with account references in `swift_store_config_file` (glance-swift.conf), and
// multi-tenant. Prefixes never hold credentials; the user name a URL carries is checked by the
// resolver against required_user instead (semantics section 2).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <vector>

#include "detail/ini_reader.hpp"
#include "detail/text.hpp"
#include "detail/utf8.hpp"
#include "drivers/driver.hpp"

namespace imgstore::detail {
namespace {

constexpr std::array<std::string_view, 4> swift_schemes{"swift+https", "swift", "swift+http",
                                                        "swift+config"};

constexpr std::array<std::string_view, 1> auth_versions{"3"};
constexpr std::array<std::string_view, 3> endpoint_types{"publicURL", "adminURL", "internalURL"};

constexpr std::array<option_spec, 29> swift_options{{
    {.name = "default_swift_reference", .default_value = "ref1"},
    {.name = "swift_store_config_file"},
    {.name = "swift_store_auth_address", .url = true},
    {.name = "swift_store_user", .secret = true},
    {.name = "swift_store_key", .secret = true},
    {.name = "swift_store_auth_version", .default_value = "3", .choices = auth_versions},
    {.name = "swift_store_application_credential_id", .secret = true},
    {.name = "swift_store_application_credential_secret", .secret = true},
    {.name = "swift_store_project_name"},
    {.name = "swift_store_project_id"},
    {.name = "swift_store_container", .default_value = "glance"},
    {.name = "swift_store_multi_tenant", .kind = option_kind::boolean, .default_value = "false"},
    {.name = "swift_store_endpoint", .url = true},
    {.name = "swift_store_endpoint_type", .default_value = "publicURL", .choices = endpoint_types},
    {.name = "swift_store_service_type", .default_value = "object-store"},
    {.name = "swift_store_region"},
    {.name = "swift_store_auth_insecure", .kind = option_kind::boolean, .default_value = "false"},
    {.name = "swift_store_cacert"},
    {.name = "swift_store_ssl_compression", .kind = option_kind::boolean, .default_value = "true"},
    {.name = "swift_store_large_object_size",
     .kind = option_kind::integer,
     .default_value = "5120",
     .min = 1},
    {.name = "swift_store_large_object_chunk_size",
     .kind = option_kind::integer,
     .default_value = "200",
     .min = 1},
    {.name = "swift_store_create_container_on_put",
     .kind = option_kind::boolean,
     .default_value = "false"},
    {.name = "swift_store_multiple_containers_seed",
     .kind = option_kind::integer,
     .default_value = "0",
     .min = 0,
     .max = 32},
    {.name = "swift_store_admin_tenants", .kind = option_kind::list, .default_value = ""},
    {.name = "swift_store_retry_get_count", .kind = option_kind::integer, .default_value = "0"},
    {.name = "swift_store_expire_soon_interval",
     .kind = option_kind::integer,
     .default_value = "60"},
    {.name = "swift_store_use_trusts", .kind = option_kind::boolean, .default_value = "true"},
    {.name = "swift_buffer_on_upload", .kind = option_kind::boolean, .default_value = "false"},
    {.name = "swift_upload_buffer_dir"},
}};

// The credential keys of a glance-swift.conf reference section (swift/utils.py SwiftParams):
// never shown, and a mistyped key that starts with one is cut after it.
constexpr std::array<std::string_view, 4> reference_secret_keys{
    "user", "key", "application_credential_id", "application_credential_secret"};

// Keys a glance-swift.conf reference section may hold (swift/utils.py SwiftParams).
constexpr std::array<std::string_view, 10> reference_keys{"auth_address",
                                                          "user",
                                                          "key",
                                                          "auth_version",
                                                          "project_domain_id",
                                                          "project_domain_name",
                                                          "user_domain_id",
                                                          "user_domain_name",
                                                          "application_credential_id",
                                                          "application_credential_secret"};

// One account reference: from the reference file, or synthesised from the inline options.
struct account {
    std::string name;
    std::string auth_address;  // as configured, scheme included when given
    std::string user;          // empty with application credentials
    secret key;
    std::optional<prefix_origin> address_at;  // where auth_address is set
};

// `auth_address` without its http(s):// (any case) and surrounding '/': the host[/path] that
// location URLs carry. `https` tells which scheme upstream writes (swift+https unless http://).
std::string_view auth_host(std::string_view auth_address, bool* https = nullptr) {
    std::string_view host = trim(auth_address);
    bool secure = true;
    if (starts_with_nocase(host, "https://")) {
        host.remove_prefix(8);
    } else if (starts_with_nocase(host, "http://")) {
        host.remove_prefix(7);
        secure = false;
    }
    if (https) *https = secure;
    return strip_char(host, '/');
}

// What a prefix can be built from: a host[:port][/path] with no credentials, query or blanks.
bool plain_address(std::string_view auth_address) {
    std::string_view host = auth_host(auth_address);
    return !host.empty() && host.find_first_of("@?# \t") == std::string_view::npos;
}

constexpr std::string_view address_rule =
    "must be [http(s)://]host[:port][/path], without credentials, query or blanks";

std::string scheme_for(std::string_view auth_address) {
    bool https = true;
    auth_host(auth_address, &https);
    return https ? "swift+https" : "swift+http";
}

result<swift_location> parse_swift(std::string_view uri, std::span<const account> accounts) {
    const std::size_t sep = uri.find("://");
    // "URI cannot contain more than one occurrence of a scheme" (X38, U19).
    if (sep == std::string_view::npos || uri.find("://", sep + 3) != std::string_view::npos) {
        return make_error_code(errc::bad_uri);
    }
    swift_location loc;
    loc.scheme = std::string(uri.substr(0, sep));
    if (std::find(swift_schemes.begin(), swift_schemes.end(), loc.scheme) == swift_schemes.end()) {
        return make_error_code(errc::bad_uri);
    }
    std::string_view rest = uri.substr(sep + 3);
    rest = rest.substr(0, rest.find_first_of("?#"));
    // Upstream quotes keys keeping '/' (and a key may hold '@'): the userinfo runs to the last
    // '@', as for s3 (semantics section 3), so no key byte is read as host or path.
    std::string_view userinfo;
    bool has_userinfo = false;
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
        userinfo = rest.substr(0, at);
        has_userinfo = true;
        rest.remove_prefix(at + 1);
    }
    const std::size_t slash = rest.find('/');
    std::string_view netloc = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (loc.scheme == "swift+config") {
        if (has_userinfo) return make_error_code(errc::bad_uri);  // credentials are in the file
        auto ref = std::find_if(accounts.begin(), accounts.end(),
                                [&](const account& a) { return a.name == netloc; });
        if (ref == accounts.end()) return make_error_code(errc::bad_uri);  // X37
        loc.reference = ref->name;
        if (!ref->user.empty()) {
            loc.user = ref->user;
            loc.key = ref->key;
        }
        loc.auth_or_store_url = std::string(auth_host(ref->auth_address));
    } else {
        if (has_userinfo) {
            auto creds = percent_decode(userinfo);
            // "Badly formed credentials in Swift URI." (U20); the user may hold ':'.
            if (!creds || creds->find(':') == std::string::npos) {
                return make_error_code(errc::bad_uri);
            }
            const std::size_t colon = creds->rfind(':');
            loc.user = creds->substr(0, colon);
            loc.key = secret(creds->substr(colon + 1));
        }
        if (netloc.empty()) return make_error_code(errc::bad_uri);
        loc.auth_or_store_url = std::string(netloc);
    }
    // <auth path...>/<container>/<object>: fewer than two segments is "Badly formed" (U21,
    // X39). Upstream accepts a trailing '/' as an empty object (X40); that names no object.
    const std::size_t obj_slash = path.rfind('/');
    if (obj_slash == std::string_view::npos || obj_slash + 1 == path.size()) {
        return make_error_code(errc::bad_uri);
    }
    const std::size_t cont_slash = path.rfind('/', obj_slash == 0 ? 0 : obj_slash - 1);
    const std::size_t cont_begin =
        cont_slash == std::string_view::npos || cont_slash >= obj_slash ? 0 : cont_slash + 1;
    loc.container = std::string(path.substr(cont_begin, obj_slash - cont_begin));
    loc.object = std::string(path.substr(obj_slash + 1));
    if (loc.container.empty()) return make_error_code(errc::bad_uri);
    if (cont_begin > 0) {
        if (loc.reference) return make_error_code(errc::bad_uri);  // a reference has no path
        loc.auth_or_store_url += '/';
        loc.auth_or_store_url += path.substr(0, cont_begin - 1);
    }
    return loc;
}

// The swift user rule (semantics section 2): a store with a user owns only URLs whose userinfo,
// when they carry one, names that user. The userinfo is percent-decoded and split on its last
// ':' (upstream's parser; the user may itself hold ':', as `tenant:user`); without any ':' it
// is all user. Allocation-free: the URL is well-formed (canonical).
bool user_is_required_user(const store& s, std::string_view userinfo) {
    const std::string_view user = s.required_user();
    if (user.empty()) return true;
    std::size_t user_end = userinfo.size();
    for (std::size_t i = 0; i < userinfo.size();) {
        const std::size_t at = i;
        if (decode_at(userinfo, i, false) == ':') user_end = at;
    }
    return decoded_equals(userinfo.substr(0, user_end), user, false);
}

class swift_codec final : public location_codec {
  public:
    explicit swift_codec(std::vector<account> accounts) : accounts_(std::move(accounts)) {}
    result<location> parse(std::string_view uri) const override {
        auto loc = parse_swift(uri, accounts_);
        if (!loc) return loc.error();
        return location{std::move(*loc)};
    }

  private:
    std::vector<account> accounts_;
};

// Finds and reads glance-swift.conf. Problems are reported at the swift_store_config_file
// entry or at the reference file's own lines; values (keys, secrets) are never echoed.
std::vector<account> read_accounts(const store_context& ctx,
                                   std::string_view name,
                                   bool& ok,
                                   std::vector<std::filesystem::path>& files_read) {
    const store_options& o = ctx.options;
    std::vector<account> out;
    if (name.empty()) {
        o.error("swift_store_config_file", "is empty: name the swift reference file");
        ok = false;
        return out;
    }
    // oslo's find_file, as glance_store does: never relative to the current directory.
    const file_search search = find_config_file(std::filesystem::path(name), ctx.sources);
    if (!search.found) {
        std::string where;
        for (const auto& dir : search.searched) where += (where.empty() ? "" : ", ") + dir.string();
        o.error("swift_store_config_file",
                search.searched.empty()
                    ? fmt::format("reference file {} not found", cut_text(name))
                    : fmt::format("reference file {} not found in: {}", cut_text(name), where));
        ok = false;
        return out;
    }
    const std::string path = search.found->string();
    files_read.push_back(*search.found);
    // Read as glance_store reads it, with configparser: a repeated section or key is an error.
    config_load read = read_config_file(*search.found, ctx.limits, reference_file_rules());
    for (diagnostic& d : read.diagnostics) {
        if (d.line == 0 && d.key.empty()) {
            // The file itself could not be read: say so at the option that names it.
            o.error("swift_store_config_file", "reference file " + path + ": " + d.message);
            ok = false;
        } else {
            ok = ok && d.level != severity::error;
            o.add(std::move(d));
        }
    }
    if (!ok) return out;
    // configparser's [DEFAULT] is not a reference: its keys are every reference's defaults
    // (SwiftParams reads each key with CONFIG.get(ref, key), which falls back to them).
    std::vector<const config_entry*> defaults;
    for (const std::string& section : read.config.section_names()) {
        for (const config_entry* e : read.config.section(section)) {
            if (std::find(reference_keys.begin(), reference_keys.end(), e->key) ==
                reference_keys.end()) {
                o.add({severity::warning, e->file, e->line, e->section, printable_key(e->key),
                       "unknown key in a swift account reference"});
            }
            if (section == defaults_section) defaults.push_back(e);
        }
    }
    for (const std::string& section : read.config.section_names()) {
        if (section == defaults_section) continue;
        account a;
        a.name = section;
        bool app_id = false;
        bool app_secret = false;
        const config_entry* address_at = nullptr;
        std::vector<const config_entry*> entries = read.config.section(section);
        for (const config_entry* d : defaults) {
            const bool own = std::any_of(entries.begin(), entries.end(),
                                         [&](const config_entry* e) { return e->key == d->key; });
            if (!own) entries.push_back(d);
        }
        for (const config_entry* e : entries) {
            if (e->key == "auth_address") {
                a.auth_address = std::string(trim(e->value));
                address_at = e;
                a.address_at = origin_of(e);
            }
            if (e->key == "user") a.user = std::string(trim(e->value));
            if (e->key == "key") a.key = secret(std::string(trim(e->value)));
            app_id |= e->key == "application_credential_id" && !trim(e->value).empty();
            app_secret |= e->key == "application_credential_secret" && !trim(e->value).empty();
        }
        // Located at the offending entry, else at the section header.
        const config_entry* header = read.config.section_origin(section);
        auto problem = [&](const config_entry* at, std::string_view key, std::string message) {
            if (!at) at = header;
            o.add({severity::error, at ? at->file : path, at ? at->line : 0, section,
                   std::string(key), std::move(message)});
            ok = false;
        };
        if (auth_host(a.auth_address).empty()) {
            problem(address_at, address_at ? "auth_address" : "", "reference has no auth_address");
        } else if (!plain_address(a.auth_address)) {
            problem(address_at, "auth_address", "auth_address " + std::string(address_rule));
        }
        if (app_id != app_secret) {
            problem(nullptr, "",
                    "application_credential_id and application_credential_secret go together");
        } else if (!app_id && (a.user.empty() || a.key.empty())) {
            problem(nullptr, "", "reference needs user and key, or application credentials");
        }
        out.push_back(std::move(a));
    }
    return out;
}

// Inline single-tenant credentials, read as upstream synthesises its one reference.
std::vector<account> inline_account(const store_options& o, std::string_view name, bool& ok) {
    account a;
    a.name = std::string(name);
    a.auth_address = std::string(trim(o.str("swift_store_auth_address").value_or("")));
    a.address_at = origin_of(o.where("swift_store_auth_address"));
    a.user = std::string(trim(o.str("swift_store_user").value_or("")));
    a.key = secret(std::string(trim(o.str("swift_store_key").value_or(""))));
    const bool app = o.is_set("swift_store_application_credential_id");
    if (auth_host(a.auth_address).empty()) {
        o.error("swift_store_auth_address",
                "required without swift_store_config_file (or use a reference file)");
        ok = false;
    } else if (!plain_address(a.auth_address)) {
        o.error("swift_store_auth_address", std::string(address_rule));
        ok = false;
    }
    if (app != o.is_set("swift_store_application_credential_secret")) {
        o.error("swift_store_application_credential_id",
                "set both swift_store_application_credential_id and _secret, or neither");
        ok = false;
    } else if (!app && (a.user.empty() || a.key.empty())) {
        o.error(a.user.empty() ? "swift_store_user" : "swift_store_key",
                "swift_store_user and swift_store_key are required without application "
                "credentials");
        ok = false;
    }
    if (app) a.user.clear();  // application credentials carry no user in URLs
    return {std::move(a)};
}

driver_result configure_swift(const store_context& ctx) {
    const store_options& o = ctx.options;
    driver_result r;
    bool ok = true;
    std::string container(strip_char(trim(o.str("swift_store_container").value_or("")), '/'));
    if (container.empty() || container.find('/') != std::string::npos || container == "." ||
        container == "..") {
        o.error("swift_store_container", "must be a container name without '/'");
        ok = false;
    }
    const bool multi_tenant = o.boolean("swift_store_multi_tenant").value_or(false);
    const auto config_file = o.str("swift_store_config_file");
    if (multi_tenant) {
        if (config_file) {
            // Upstream's factory raises and glance silently skips the store.
            o.error("swift_store_multi_tenant",
                    "a multi-tenant store cannot use swift_store_config_file");
            return r;
        }
        r.codec = std::make_shared<swift_codec>(std::vector<account>{});
        if (!ok) return r;
        // Containers are `<container>_<image id>` in each caller's project: only a fixed
        // endpoint says where they live (upstream's per-request prefix never matched, R30).
        const auto endpoint = o.str("swift_store_endpoint");
        if (endpoint && !auth_host(*endpoint).empty() && !plain_address(*endpoint)) {
            o.error("swift_store_endpoint", std::string(address_rule));
            return r;
        }
        if (!endpoint || auth_host(*endpoint).empty()) {
            r.status = store_status::unresolvable;
            r.reason_option = "swift_store_multi_tenant";
            r.reason =
                "multi-tenant store: images live in each project's storage URL; set "
                "swift_store_endpoint to resolve them";
            return r;
        }
        r.prefixes.push_back(
            {scheme_for(*endpoint) + "://" + std::string(auth_host(*endpoint)) + "/",
             origin_of(o.where("swift_store_endpoint"))});
        return r;
    }

    std::vector<account> accounts;
    std::string reference(trim(o.str("default_swift_reference").value_or("")));
    if (config_file) {
        accounts = read_accounts(ctx, trim(*config_file), ok, r.files_read);
    } else {
        accounts = inline_account(o, reference, ok);
    }
    r.codec = std::make_shared<swift_codec>(accounts);
    if (!ok) return r;
    auto ref = std::find_if(accounts.begin(), accounts.end(),
                            [&](const account& a) { return a.name == reference; });
    if (ref == accounts.end()) {
        o.error("default_swift_reference",
                fmt::format("reference '{}' is not a section of the swift reference file",
                            cut_text(reference)));
        return r;
    }
    // With swift_store_multiple_containers_seed the container is `<container>_<id prefix>`
    // per image, so the store owns the account, not one container.
    const bool seeded = o.integer("swift_store_multiple_containers_seed").value_or(0) > 0;
    const std::string tail = seeded ? "/" : "/" + container + "/";
    const std::string host(auth_host(ref->auth_address));
    r.prefixes.push_back({scheme_for(ref->auth_address) + "://" + host + tail, ref->address_at});
    if (config_file) {
        const config_entry* from = o.where("default_swift_reference");
        r.prefixes.push_back({"swift+config://" + reference + tail,
                              origin_of(from ? from : o.where("swift_store_config_file"))});
    }
    r.required_user = ref->user;
    return r;
}

}  // namespace

std::string format_uri(const swift_location& loc, bool redact) {
    if (loc.reference)
        return "swift+config://" + *loc.reference + "/" + loc.container + "/" + loc.object;
    std::string out = loc.scheme + "://";
    if (loc.user) {
        if (redact) {
            out += redacted_mark;
        } else {
            // Python's quote(): '/' stays, ':' and '@' are escaped (X31, R25).
            out += percent_encode(*loc.user, "/");
            out += ':';
            out += percent_encode(loc.key ? loc.key->reveal() : std::string_view(), "/");
        }
        out += '@';
    }
    out += auth_host(loc.auth_or_store_url);
    out += "/" + loc.container + "/" + loc.object;
    return out;
}

const driver swift_driver{
    .type = store_type::swift,
    .schemes = scheme_list::of<swift_schemes>(),
    .location_class = "imgstore::swift_location",
    .options = swift_options,
    .configure = configure_swift,
    .format = format_as<swift_location, format_uri>,
    .accepts_userinfo = user_is_required_user,
    .secret_reference_keys = reference_secret_keys,
};

}  // namespace imgstore::detail
