// The Ceph RBD store (glance_store/_drivers/rbd.py). The cluster fsid comes from config
// (rbd_store_fsid, our extension) or ceph.conf, never from the network.
#include <array>
#include <filesystem>
#include <fstream>
#include <vector>

#include "detail/text.hpp"
#include "detail/utf8.hpp"
#include "drivers/driver.hpp"

namespace imgstore::detail {
namespace {

constexpr std::array<std::string_view, 1> rbd_schemes{"rbd"};

constexpr std::array<option_spec, 7> rbd_options{{
    {.name = "rbd_store_chunk_size", .kind = option_kind::integer, .default_value = "8", .min = 1},
    {.name = "rbd_store_pool", .default_value = "images"},
    {.name = "rbd_store_user"},
    {.name = "rbd_store_ceph_conf", .default_value = ""},
    {.name = "rados_connect_timeout", .kind = option_kind::integer, .default_value = "-1"},
    {.name = "rbd_thin_provisioning", .kind = option_kind::boolean, .default_value = "false"},
    {.name = "rbd_store_fsid"},
}};

constexpr std::string_view default_ceph_conf = "/etc/ceph/ceph.conf";

// The last `fsid` of a `[global]` section, in ceph's own INI dialect (common/ConfUtils): every
// line is stripped (ceph.conf usually indents its keys, which oslo's dialect would read as
// continuation lines), '#' and ';' start a comment anywhere outside quotes, and a value may be
// quoted. Empty when there is none.
std::string_view ceph_global_fsid(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    auto strip_ws = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
            s.remove_prefix(1);
        }
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
            s.remove_suffix(1);
        }
        return s;
    };
    bool in_global = false;
    std::string_view fsid;
    while (!text.empty()) {
        const std::size_t eol = text.find('\n');
        std::string_view line = strip_ws(text.substr(0, eol));
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            const std::size_t close = line.find(']');
            in_global =
                close != std::string_view::npos && strip_ws(line.substr(1, close - 1)) == "global";
            continue;
        }
        const std::size_t eq = line.find('=');
        if (!in_global || eq == std::string_view::npos) continue;
        if (strip_ws(line.substr(0, eq)) != "fsid") continue;
        std::string_view value = strip_ws(line.substr(eq + 1));
        if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
            const std::size_t close = value.find(value.front(), 1);
            value =
                close == std::string_view::npos ? std::string_view() : value.substr(1, close - 1);
        } else {
            value = strip_ws(value.substr(0, value.find_first_of("#;")));
        }
        fsid = value;
    }
    return fsid;
}

// Reads `[global] fsid` from a ceph.conf. Returns the fsid, or an empty string with `why` set.
std::string fsid_from_ceph_conf(const std::string& path,
                                const config_limits& limits,
                                std::string& why) {
    const std::string shown = cut_text(path);  // a configured path: bounded in messages
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        why = "no fsid: rbd_store_fsid is not set and " + shown + " does not exist";
        return {};
    }
    auto size = std::filesystem::file_size(path, ec);
    if (ec || size > limits.max_file_bytes) {
        why = "no fsid: cannot read " + shown;
        return {};
    }
    std::ifstream in(path, std::ios::binary);
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(size));
    if (!in) {
        why = "no fsid: cannot read " + shown;
        return {};
    }
    const std::string_view fsid = ceph_global_fsid(text);
    if (fsid.empty()) {
        why = "no fsid: rbd_store_fsid is not set and " + shown + " has no [global] fsid";
        return {};
    }
    return std::string(fsid);
}

driver_result configure_rbd(const store_context& ctx) {
    const store_options& o = ctx.options;
    driver_result r;
    r.codec = std::make_shared<stateless_codec<rbd_location, parse_rbd_location>>();
    std::string pool(trim(o.str("rbd_store_pool").value_or("")));
    if (pool.empty()) {
        o.error("rbd_store_pool", "must not be empty");
        return r;
    }
    // Upstream quotes '/' as %2F (R15), but an encoded separator is invalid in an rbd location
    // (semantics section 3), so such a store could never own a URL: say so here.
    if (pool.find('/') != std::string::npos || pool == "." || pool == "..") {
        o.error("rbd_store_pool", "must be a pool name without '/' (and not '.' or '..')");
        return r;
    }
    std::string fsid;
    std::string_view fsid_option = "rbd_store_fsid";
    // An empty rbd_store_fsid counts as unset (oslo reads `rbd_store_fsid =` as '').
    if (auto configured = o.str("rbd_store_fsid"); configured && !trim(*configured).empty()) {
        fsid = std::string(trim(*configured));
    } else {
        std::string conf(trim(o.str("rbd_store_ceph_conf").value_or("")));
        if (conf.empty()) conf = default_ceph_conf;
        fsid_option = "rbd_store_ceph_conf";
        r.files_read.emplace_back(conf);
        std::string why;
        fsid = fsid_from_ceph_conf(conf, ctx.limits, why);
        if (fsid.empty()) {
            // Upstream falls back to the catch-all `rbd://`; an unknown cluster owns nothing.
            r.status = store_status::unresolvable;
            r.reason = std::move(why);
            r.reason_option = "rbd_store_ceph_conf";
            return r;
        }
    }
    if (!is_uuid(fsid)) {
        o.error(fsid_option, "the cluster fsid must be a UUID");
        return r;
    }
    // quote(pool, safe='') as upstream: '/' in a pool name becomes %2F.
    const config_entry* from = o.where("rbd_store_pool");
    r.prefixes.push_back({"rbd://" + ascii_lower(fsid) + "/" + percent_encode(pool, "") + "/",
                          origin_of(from ? from : o.where(fsid_option))});
    return r;
}

}  // namespace

result<rbd_location> parse_rbd_location(std::string_view uri) {
    if (!uri.starts_with("rbd://")) return make_error_code(errc::bad_uri);
    std::string_view rest = uri.substr(6);
    std::vector<std::string_view> pieces;
    for (std::size_t i = 0;;) {
        std::size_t slash = rest.find('/', i);
        pieces.push_back(rest.substr(i, slash == std::string_view::npos ? rest.npos : slash - i));
        if (slash == std::string_view::npos) break;
        i = slash + 1;
    }
    if (pieces.size() != 1 && pieces.size() != 4) return make_error_code(errc::bad_uri);
    for (auto p : pieces) {
        if (p.empty()) return make_error_code(errc::bad_uri);
    }
    rbd_location loc;
    if (pieces.size() == 1) {
        loc.image = std::string(pieces[0]);  // legacy form: not unquoted, as upstream
        return loc;
    }
    auto fsid = percent_decode(pieces[0]);
    auto pool = percent_decode(pieces[1]);
    auto image = percent_decode(pieces[2]);
    auto snap = percent_decode(pieces[3]);
    if (!fsid || !pool || !image || !snap) return make_error_code(errc::bad_uri);
    loc.fsid = std::move(*fsid);
    loc.pool = std::move(*pool);
    loc.image = std::move(*image);
    loc.snapshot = std::move(*snap);
    return loc;
}

std::string format_uri(const rbd_location& loc, bool /*no credentials*/) {
    if (loc.fsid && loc.pool && loc.snapshot) {
        return "rbd://" + percent_encode(*loc.fsid, "") + "/" + percent_encode(*loc.pool, "") +
               "/" + percent_encode(loc.image, "") + "/" + percent_encode(*loc.snapshot, "");
    }
    return "rbd://" + loc.image;
}

const driver rbd_driver{
    .type = store_type::rbd,
    .schemes = scheme_list::of<rbd_schemes>(),
    .location_class = "imgstore::rbd_location",
    .options = rbd_options,
    .configure = configure_rbd,
    .format = format_as<rbd_location, format_uri>,
};

}  // namespace imgstore::detail
