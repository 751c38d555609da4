// The filesystem store (glance_store/_drivers/filesystem.py).
#include <fmt/format.h>

#include <array>
#include <charconv>
#include <map>

#include "detail/text.hpp"
#include "drivers/driver.hpp"

namespace imgstore::detail {
namespace {

constexpr std::array<std::string_view, 2> file_schemes{"file", "filesystem"};

constexpr std::array<option_spec, 9> file_options{{
    {.name = "filesystem_store_datadir", .default_value = "/var/lib/glance/images"},
    {.name = "filesystem_store_datadirs", .kind = option_kind::multi_string},
    {.name = "filesystem_store_metadata_file"},
    {.name = "filesystem_store_file_perm", .kind = option_kind::integer, .default_value = "0"},
    {.name = "filesystem_store_chunk_size",
     .kind = option_kind::integer,
     .default_value = "65536",
     .min = 1},
    {.name = "filesystem_thin_provisioning",
     .kind = option_kind::boolean,
     .default_value = "false"},
    {.name = "filesystem_store_timeout", .kind = option_kind::integer, .default_value = "0"},
    {.name = "filesystem_store_thread_pool_size",
     .kind = option_kind::integer,
     .default_value = "10"},
    {.name = "filesystem_store_threadpool_threshold",
     .kind = option_kind::integer,
     .default_value = "75"},
}};

// The URL prefix of one data directory, or an error message. Paths are taken as written but
// must be absolute and plain: '.', '..' and empty segments would make two spellings of one
// directory (or a traversal) and are refused; one trailing '/' is allowed.
std::optional<std::string> datadir_prefix(std::string_view dir, std::string& error) {
    if (dir.empty() || dir.front() != '/') {
        error = "must be an absolute path";
        return std::nullopt;
    }
    if (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
    if (dir == "/") {
        error = "must not be the root directory (its prefix would own every file URL)";
        return std::nullopt;
    }
    std::string prefix = "file://";
    std::size_t i = 1;
    while (i <= dir.size()) {
        std::size_t slash = dir.find('/', i);
        if (slash == std::string_view::npos) slash = dir.size();
        std::string_view seg = dir.substr(i, slash - i);
        if (seg.empty() || seg == "." || seg == "..") {
            error = "must not contain empty, '.' or '..' path segments";
            return std::nullopt;
        }
        prefix += '/';
        prefix += percent_encode(seg, "!$&'()*+,;=:@");
        i = slash + 1;
    }
    prefix += '/';
    return prefix;
}

// A valid datadir as the data plane opens it: without its trailing '/'.
std::string datadir_path(std::string_view dir) {
    if (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
    return std::string(dir);
}

driver_result configure_file(const store_context& ctx) {
    const store_options& o = ctx.options;
    driver_result r;
    r.codec = std::make_shared<stateless_codec<file_location, parse_file_location>>();
    // Where each option comes from: 0 unset, 1 [backend_defaults], 2 the store's own section.
    auto level = [&](std::string_view name) {
        const config_entry* e = o.where(name);
        if (!e) return 0;
        return ascii_lower(e->section) == ascii_lower(ctx.id) ? 2 : 1;
    };
    const int dir_level = level("filesystem_store_datadir");
    const int dirs_level = level("filesystem_store_datadirs");
    // Both at the same level is a conflict; otherwise the more specific one wins (upstream
    // HEAD refuses datadirs in a store section while [backend_defaults] has a datadir, R10).
    if (dirs_level != 0 && dirs_level == dir_level) {
        o.error("filesystem_store_datadirs",
                "set either filesystem_store_datadir or filesystem_store_datadirs, not both");
        return r;
    }
    const bool dirs_set = dirs_level > dir_level;
    std::string error;
    if (!dirs_set) {
        // Reserved stores default to their own directory (as Train; HEAD falls back to the
        // images directory, R11).
        std::string dir = dir_level != 0 || !ctx.reserved
                              ? o.str("filesystem_store_datadir").value_or("")
                              : fmt::format("/var/lib/glance/{}", ctx.id);
        if (auto p = datadir_prefix(trim(dir), error)) {
            r.prefixes.push_back({std::move(*p), origin_of(o.where("filesystem_store_datadir"))});
        } else {
            o.error("filesystem_store_datadir", error);
        }
        r.datadirs.push_back({datadir_path(trim(dir)), 0});  // unused when invalid: no registry
        return r;
    }
    std::map<std::string, std::int64_t> priorities;  // path -> priority
    const std::vector<std::string> values = o.multi("filesystem_store_datadirs");
    const auto entries = o.entries("filesystem_store_datadirs");
    for (std::size_t i = 0; i < values.size(); ++i) {
        const config_entry* at = entries[i];  // each problem at its own line
        auto error_here = [&](std::string message) {
            o.error_at(at, "filesystem_store_datadirs", std::move(message));
        };
        // `path[:priority]`, split on the last ':' (upstream), both parts stripped.
        std::string_view text = trim(values[i]);
        std::string_view path = text;
        std::int64_t priority = 0;
        if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
            path = trim(text.substr(0, colon));
            std::string_view prio = trim(text.substr(colon + 1));
            if (!prio.empty()) {
                auto [end, ec] = std::from_chars(prio.data(), prio.data() + prio.size(), priority);
                if (ec != std::errc{} || end != prio.data() + prio.size()) {
                    error_here("priority must be an integer");
                    continue;
                }
            }
        }
        if (path.empty()) {
            error_here("entry has an empty path");
            continue;
        }
        auto prefix = datadir_prefix(path, error);
        if (!prefix) {
            error_here(error);
            continue;
        }
        auto [it, inserted] = priorities.emplace(*prefix, priority);
        if (!inserted) {
            if (it->second != priority) {
                error_here("the same directory is listed with different priorities");
            } else {
                o.warning_at(at, "filesystem_store_datadirs", "the same directory is listed twice");
            }
            continue;
        }
        r.datadirs.push_back({datadir_path(path), priority});
        // Upstream uses one directory, chosen by free space at start-up; every directory
        // holds images, so we own them all.
        r.prefixes.push_back({std::move(*prefix), origin_of(at)});
    }
    return r;
}

}  // namespace

result<file_location> parse_file_location(std::string_view uri) {
    file_location loc;
    if (uri.starts_with("file://")) {
        loc.scheme = "file";
    } else if (uri.starts_with("filesystem://")) {
        loc.scheme = "filesystem";
    } else {
        return make_error_code(errc::bad_uri);
    }
    std::string_view rest = uri.substr(loc.scheme.size() + 3);
    rest = rest.substr(0, rest.find_first_of("?#"));  // upstream drops query and fragment
    loc.path = std::string(trim(rest));
    if (loc.path.empty()) return make_error_code(errc::bad_uri);
    return loc;
}

std::string format_uri(const file_location& loc, bool /*redact: no credentials*/) {
    return "file://" + loc.path;
}

const driver file_driver{
    .type = store_type::file,
    .schemes = scheme_list::of<file_schemes>(),
    .location_class = "imgstore::file_location",
    .options = file_options,
    .configure = configure_file,
    .format = format_as<file_location, format_uri>,
};

}  // namespace imgstore::detail
