// The VMware datastore store (glance_store/_drivers/vmware_datastore.py).
#include <algorithm>
#include <array>
#include <charconv>

#include "detail/text.hpp"
#include "drivers/driver.hpp"

namespace imgstore::detail {
namespace {

constexpr std::array<std::string_view, 1> vmware_schemes{"vsphere"};

constexpr std::array<option_spec, 9> vmware_options{{
    {.name = "vmware_server_host", .url = true},
    {.name = "vmware_server_username"},
    {.name = "vmware_server_password", .secret = true},
    {.name = "vmware_api_retry_count",
     .kind = option_kind::integer,
     .default_value = "10",
     .min = 1},
    {.name = "vmware_task_poll_interval",
     .kind = option_kind::integer,
     .default_value = "5",
     .min = 1},
    {.name = "vmware_store_image_dir", .default_value = "/openstack_glance"},
    {.name = "vmware_insecure",
     .kind = option_kind::boolean,
     .default_value = "false",
     .deprecated_name = "vmware_api_insecure"},
    {.name = "vmware_ca_file"},
    {.name = "vmware_datastores", .kind = option_kind::multi_string},
}};

// netutils.is_valid_ipv6 on a bare literal: brackets are added; a bracketed value is kept.
std::string url_host(std::string_view host) {
    if (host.find(':') != std::string_view::npos && !host.starts_with('[')) {
        // Built by appending: GCC 12 -O3 warns falsely (-Wrestrict) on "[" + std::string.
        std::string bracketed(1, '[');
        bracketed.append(host).push_back(']');
        return bracketed;
    }
    return std::string(host);
}

driver_result configure_vmware(const store_context& ctx) {
    const store_options& o = ctx.options;
    driver_result r;
    r.codec = std::make_shared<stateless_codec<vsphere_location, parse_vsphere_location>>();
    bool ok = true;
    for (std::string_view required :
         {"vmware_server_host", "vmware_server_username", "vmware_server_password"}) {
        auto v = o.str(required);
        if (!v || trim(*v).empty()) {
            o.error(required, "required option is not set");
            ok = false;
        }
    }
    // `dc_path:ds_name[:weight]`, split from the right as upstream.
    const std::vector<std::string> values = o.multi("vmware_datastores");
    const auto entries = o.entries("vmware_datastores");
    for (std::size_t i = 0; i < values.size(); ++i) {
        const config_entry* at = entries[i];  // each problem at its own line
        std::string_view text = trim(values[i]);
        std::size_t last = text.rfind(':');
        if (last == std::string_view::npos) {
            o.error_at(at, "vmware_datastores", "entry must be dc_path:ds_name[:weight]");
            ok = false;
            continue;
        }
        std::string_view name = text.substr(last + 1);
        std::string_view head = text.substr(0, last);
        if (std::size_t mid = head.rfind(':'); mid != std::string_view::npos) {
            std::int64_t weight = 0;
            auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), weight);
            if (name.empty() || ec != std::errc{} || end != name.data() + name.size()) {
                o.error_at(at, "vmware_datastores", "datastore weight must be an integer");
                ok = false;
                continue;
            }
            name = head.substr(mid + 1);
            head = head.substr(0, mid);
        }
        if (trim(head).empty() || trim(name).empty()) {
            o.error_at(at, "vmware_datastores", "entry must be dc_path:ds_name[:weight]");
            ok = false;
            continue;
        }
        r.datastores.emplace_back(trim(name));
    }
    if (!ok) return r;
    std::string dir(strip_char(o.str("vmware_store_image_dir").value_or(""), '/'));
    // Locations are `/folder/<dir>/<id>`: a '.', '..' or empty segment makes them invalid
    // (semantics section 3), so the store could never own one.
    for (std::size_t i = 0; !dir.empty() && i <= dir.size();) {
        const std::size_t slash = std::min(dir.find('/', i), dir.size());
        const std::string_view seg = std::string_view(dir).substr(i, slash - i);
        if (seg.empty() || seg == "." || seg == "..") {
            o.error("vmware_store_image_dir", "must not contain empty, '.' or '..' path segments");
            return r;
        }
        i = slash + 1;
    }
    const std::string host_option = *o.str("vmware_server_host");
    if (trim(host_option).find_first_of("/?#@ \t") != std::string_view::npos) {
        o.error("vmware_server_host", "must be a host name or IP address");
        return r;
    }
    // The form the driver writes (U40). Upstream's os.path.join drops "/folder" for an
    // absolute image dir, so its prefix never matches (P4).
    std::string prefix = "vsphere://" + url_host(trim(host_option)) + "/folder/";
    if (!dir.empty()) prefix += percent_encode(dir, "/!$&'()*+,;=:@") + "/";
    const config_entry* from = o.where("vmware_store_image_dir");
    r.prefixes.push_back(
        {std::move(prefix), origin_of(from ? from : o.where("vmware_server_host"))});
    return r;
}

// A query parameter as upstream reads it (parse_qs: '+' is a space, blank values are
// skipped), decoded; nullopt when absent or malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    const std::optional<std::string_view> raw = query_value(query, name);
    if (!raw) return std::nullopt;
    return percent_decode(*raw, true);
}

// Two vmware stores may share their prefix (one vCenter folder) when their datastores are
// disjoint: the dsName query value then tells their URLs apart (owns_datastore).
bool datastores_disjoint(const store& a, const store& b) {
    const auto x = a.datastores(), y = b.datastores();
    if (x.empty() || y.empty()) return false;
    return std::none_of(x.begin(), x.end(), [&](const std::string& name) {
        return std::find(y.begin(), y.end(), name) != y.end();
    });
}

// The dsName value (the first non-blank one, decoded as parse_qs does) names one of `s`'s
// datastores. Allocation-free: the URL is well-formed (canonical).
bool owns_datastore(const store& s, std::string_view query) {
    const std::optional<std::string_view> ds = query_value(query, "dsName");
    if (!ds) return false;
    return std::any_of(s.datastores().begin(), s.datastores().end(),
                       [&](const std::string& name) { return decoded_equals(*ds, name, true); });
}

}  // namespace

result<vsphere_location> parse_vsphere_location(std::string_view uri) {
    if (!uri.starts_with("vsphere://")) return make_error_code(errc::bad_uri);
    std::string_view rest = uri.substr(10);
    rest = rest.substr(0, rest.find('#'));
    std::size_t q = rest.find('?');
    // Upstream raises an uncaught ValueError without a query (X30): a bad URI here.
    if (q == std::string_view::npos || q + 1 == rest.size()) return make_error_code(errc::bad_uri);
    vsphere_location loc;
    std::string_view hostpath = rest.substr(0, q);
    std::size_t slash = hostpath.find('/');
    loc.host = std::string(hostpath.substr(0, slash));
    if (loc.host.empty()) return make_error_code(errc::bad_uri);
    loc.path = slash == std::string_view::npos ? "" : std::string(hostpath.substr(slash));
    loc.query = std::string(rest.substr(q + 1));
    loc.datastore_name = query_param(loc.query, "dsName");
    loc.datacenter_path = query_param(loc.query, "dcPath");
    return loc;
}

std::string format_uri(const vsphere_location& loc, bool /*no credentials*/) {
    return "vsphere://" + loc.host + loc.path + "?" + loc.query;
}

const driver vmware_driver{
    .type = store_type::vmware,
    .schemes = scheme_list::of<vmware_schemes>(),
    .location_class = "imgstore::vsphere_location",
    .options = vmware_options,
    .configure = configure_vmware,
    .format = format_as<vsphere_location, format_uri>,
    .may_share_prefix = datastores_disjoint,
    .owns_shared = owns_datastore,
};

}  // namespace imgstore::detail
