// A deterministic generator of benchmark inputs: a glance-api.conf with N stores of all seven
// types, the upstream-style (raw, first-match) URL prefixes of those stores, and a corpus of
// location URLs over them (70% owned, 10% unknown, 20% tricky). Shared by bm_resolve and
// gen_corpus; not part of the library.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace imgstore::bench {

/// splitmix64: fixed, portable output for a seed (std:: distributions are not).
class rng {
  public:
    explicit rng(std::uint64_t seed) noexcept : state_(seed) {}
    std::uint64_t next() noexcept {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    /// Uniform enough in [0, n) for benchmark inputs (n > 0).
    std::size_t below(std::size_t n) noexcept { return static_cast<std::size_t>(next() % n); }

  private:
    std::uint64_t state_;
};

/// A lower-case 8-4-4-4-12 UUID from two random words.
inline std::string make_uuid(rng& r) {
    static constexpr char hex[] = "0123456789abcdef";
    std::uint64_t words[2] = {r.next(), r.next()};
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 32; ++i) {
        const std::uint64_t w = words[i / 16];
        out += hex[(w >> ((i % 16) * 4)) & 0xF];
        if (i == 7 || i == 11 || i == 15 || i == 19) out += '-';
    }
    return out;
}

enum class model_type { file, rbd, s3, swift, cinder, vmware, http };

/// One generated store: enough to write its config section, its URLs and upstream's prefix.
struct store_model {
    std::string id;
    model_type type = model_type::file;
    std::size_t k = 0;      ///< ordinal among the stores of its type
    std::string datadir;    ///< file
    std::string fsid;       ///< rbd
    std::string host;       ///< s3, swift (auth host with port), vmware, http
    std::string path;       ///< swift auth path ("/v3")
    bool https = true;      ///< s3, swift
    std::string user, key;  ///< s3 access/secret key; swift user/key
    std::string bucket;     ///< s3 bucket, swift container
};

/// `n` operator stores (n >= 1): exactly one http store (the last; two would be ambiguous),
/// the others cycling file, rbd, s3, swift, cinder, vmware. File stores come in groups of three
/// that exercise boundaries: `.../images`, its sibling `.../images2`, and the nested
/// `.../images/nested`. The default backend is the first store. Reserved stores are added by the
/// registry, not here.
inline std::vector<store_model> make_stores(std::size_t n) {
    std::vector<store_model> out;
    out.reserve(n);
    std::array<std::size_t, 7> count{};
    rng r(0x5eed0001);
    for (std::size_t i = 0; i + 1 < n; ++i) {
        store_model s;
        s.type = static_cast<model_type>(i % 6);
        s.k = count[static_cast<std::size_t>(s.type)]++;
        const std::string k = std::to_string(s.k);
        switch (s.type) {
            case model_type::file: {
                static constexpr std::array<std::string_view, 3> leaf{"images", "images2",
                                                                      "images/nested"};
                s.id = "fs" + k;
                s.datadir =
                    "/srv/glance/g" + std::to_string(s.k / 3) + "/" + std::string(leaf[s.k % 3]);
                break;
            }
            case model_type::rbd:
                s.id = "ceph" + k;
                s.fsid = make_uuid(r);
                s.bucket = "images";
                break;
            case model_type::s3:
                s.id = "s3s" + k;
                s.host = "s3-" + k + ".example.com";
                s.https = s.k % 2 == 0;
                s.user = "AKIA" + k;
                s.key = "SK/" + k + "+secret";
                s.bucket = "glance";
                break;
            case model_type::swift:
                s.id = "sw" + k;
                s.host = "keystone-" + k + ".example.com:5000";
                s.path = "/v3";
                s.https = s.k % 2 == 0;
                s.user = "tenant" + k + ":glance";
                s.key = "key" + k;
                s.bucket = "glance";
                break;
            case model_type::cinder:
                s.id = "cinder" + k;
                break;
            case model_type::vmware:
                s.id = "vc" + k;
                s.host = "vc" + k + ".example.com";
                break;
            case model_type::http:
                break;
        }
        out.push_back(std::move(s));
    }
    store_model web;
    web.id = "web";
    web.type = model_type::http;
    web.host = "images.example.com";
    out.push_back(std::move(web));
    return out;
}

/// The glance-api.conf text declaring `stores` (no files needed: rbd uses rbd_store_fsid, swift
/// uses inline credentials).
inline std::string make_config_text(const std::vector<store_model>& stores) {
    static constexpr std::array<std::string_view, 7> type_name{"file",   "rbd",    "s3",  "swift",
                                                               "cinder", "vmware", "http"};
    std::string out = "[DEFAULT]\nenabled_backends = ";
    for (std::size_t i = 0; i < stores.size(); ++i) {
        if (i != 0) out += ", ";
        out += stores[i].id;
        out += ':';
        out += type_name[static_cast<std::size_t>(stores[i].type)];
    }
    out += "\n\n[glance_store]\ndefault_backend = " + stores.front().id + "\n";
    for (const store_model& s : stores) {
        out += "\n[" + s.id + "]\n";
        switch (s.type) {
            case model_type::file:
                out += "filesystem_store_datadir = " + s.datadir + "\n";
                break;
            case model_type::rbd:
                out += "rbd_store_fsid = " + s.fsid + "\nrbd_store_pool = " + s.bucket + "\n";
                break;
            case model_type::s3:
                out += "s3_store_host = " + std::string(s.https ? "https://" : "http://") + s.host +
                       "\ns3_store_access_key = " + s.user + "\ns3_store_secret_key = " + s.key +
                       "\ns3_store_bucket = " + s.bucket + "\n";
                break;
            case model_type::swift:
                out +=
                    "swift_store_auth_address = " + std::string(s.https ? "https://" : "http://") +
                    s.host + s.path + "\nswift_store_user = " + s.user +
                    "\nswift_store_key = " + s.key + "\nswift_store_container = " + s.bucket + "\n";
                break;
            case model_type::cinder:
                out += "cinder_volume_type = type-" + s.id + "\n";
                break;
            case model_type::vmware:
                out += "vmware_server_host = " + s.host +
                       "\nvmware_server_username = glance\nvmware_server_password = secret\n"
                       "vmware_store_image_dir = /openstack_glance\n";
                break;
            case model_type::http:
                out += "https_insecure = false\n";
                break;
        }
    }
    return out;
}

/// glance_store's url_prefix strings for a store, and the schemes it is registered under
/// (glance's SCHEME_TO_CLS_BACKEND_MAP). Raw, as upstream builds them: no trailing '/' for file,
/// cinder and s3, credentials inline for s3 and swift, `/folder` dropped for vmware.
struct upstream_store {
    std::vector<std::string_view> schemes;
    std::string prefix;
};

inline std::string python_quote(std::string_view s) {
    // urllib.parse.quote with safe='/'.
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        const bool keep = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                          (u >= '0' && u <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                          c == '/';
        if (keep) {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 0xF];
        }
    }
    return out;
}

inline upstream_store make_upstream(const store_model& s) {
    upstream_store u;
    switch (s.type) {
        case model_type::file:
            u.schemes = {"file", "filesystem"};
            u.prefix = "file://" + s.datadir;
            break;
        case model_type::rbd:
            u.schemes = {"rbd"};
            u.prefix = "rbd://" + s.fsid + "/" + s.bucket + "/";
            break;
        case model_type::s3:
            u.schemes = {"s3", "s3+http", "s3+https"};
            u.prefix = std::string(s.https ? "s3+https" : "s3") + "://" + s.user + ":" + s.key +
                       "@" + s.host + "/" + s.bucket;
            break;
        case model_type::swift:
            u.schemes = {"swift+https", "swift", "swift+http", "swift+config"};
            u.prefix = std::string(s.https ? "swift+https" : "swift+http") + "://" +
                       python_quote(s.user) + ":" + python_quote(s.key) + "@" + s.host + s.path +
                       "/" + s.bucket + "/";
            break;
        case model_type::cinder:
            u.schemes = {"cinder"};
            u.prefix = "cinder://" + s.id;
            break;
        case model_type::vmware:
            u.schemes = {"vsphere"};
            u.prefix = "vsphere://" + s.host + "/openstack_glance";
            break;
        case model_type::http:
            u.schemes = {"http", "https"};
            u.prefix = "http";
            break;
    }
    return u;
}

/// A corpus of URLs in one arena. `urls` views `arena`; both move together.
struct corpus {
    std::string arena;
    std::vector<std::string_view> urls;

    std::size_t size() const noexcept { return urls.size(); }

    /// Builds from `count` strings produced one by one by `next(std::string&)`.
    template <class Next>
    static corpus build(std::size_t count, Next&& next) {
        corpus c;
        std::vector<std::pair<std::size_t, std::size_t>> spans;
        spans.reserve(count);
        std::string one;
        for (std::size_t i = 0; i < count; ++i) {
            one.clear();
            next(one);
            spans.emplace_back(c.arena.size(), one.size());
            c.arena += one;
        }
        c.urls.reserve(count);
        const std::string_view all(c.arena);
        for (auto [offset, length] : spans) c.urls.push_back(all.substr(offset, length));
        return c;
    }
};

/// Which of the three mixes a generated URL belongs to (for reporting).
enum class url_kind { owned, unknown, tricky };

/// Appends one location URL over `stores` to `out`: 70% owned in the form the drivers write,
/// 10% unknown (unknown scheme, or a known scheme no store covers), 20% tricky (upper-case
/// scheme or host, percent-encoding, dot segments, sibling directories, nested object paths,
/// credentials, default ports). Deterministic for a given `r` state.
inline url_kind append_url(const std::vector<store_model>& stores, rng& r, std::string& out) {
    const std::size_t roll = r.below(100);
    const std::string id = make_uuid(r);
    if (roll >= 70 && roll < 80) {
        switch (r.below(8)) {
            case 0:
                out += "sheepdog://127.0.0.1:7000:" + id;
                break;
            case 1:
                out += "ftp://mirror.example.com/pub/" + id;
                break;
            case 2:
                out += "file:///elsewhere/glance/" + id;
                break;
            case 3:
                out += "rbd://" + make_uuid(r) + "/images/" + id + "/snap";
                break;
            case 4:
                out += "cinder://" + id;
                break;
            case 5:
                out += "s3+https://s3-unknown.example.com/glance/" + id;
                break;
            case 6:
                out += "swift+config://ref9/glance/" + id;
                break;
            default:
                out += "vsphere://unknown.example.com/folder/x/" + id + "?dsName=ds1";
                break;
        }
        return url_kind::unknown;
    }
    const store_model& s = stores[r.below(stores.size())];
    const bool tricky = roll >= 80;
    const std::size_t trick = tricky ? r.below(8) : 99;
    std::string scheme, authority, path, object = id, query;
    switch (s.type) {
        case model_type::file:
            scheme = trick == 7 ? "filesystem" : "file";
            path = s.datadir + "/";
            break;
        case model_type::rbd:
            scheme = "rbd";
            authority = s.fsid;
            path = "/" + s.bucket + "/";
            object = id + "/snap";
            break;
        case model_type::s3:
            scheme = s.https ? "s3+https" : "s3";
            authority = s.host;
            path = "/" + s.bucket + "/";
            break;
        case model_type::swift:
            scheme = s.https ? "swift+https" : "swift+http";
            authority = s.host;
            path = s.path + "/" + s.bucket + "/";
            break;
        case model_type::cinder:
            scheme = "cinder";
            authority = s.id;
            path = "/";
            break;
        case model_type::vmware:
            scheme = "vsphere";
            authority = s.host;
            path = "/folder/openstack_glance/";
            query = "?dsName=ds1&dcPath=dc1";
            break;
        case model_type::http:
            scheme = "https";
            authority = s.host;
            path = "/images/";
            object = id + ".qcow2";
            break;
    }
    std::string userinfo;
    switch (trick) {
        case 0:  // upper-case scheme
            for (char& c : scheme) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
            break;
        case 1:  // upper-case host (an opaque cinder id is compared exactly: no_store)
            for (char& c : authority) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
            break;
        case 2:  // percent-encoding of unreserved bytes, lower-case hex
            object = "%" + std::string(1, "0123456789abcdef"[(id[0] >> 4) & 0xF]) +
                     std::string(1, "0123456789abcdef"[id[0] & 0xF]) + id.substr(1, 7) + "%2d" +
                     id.substr(9);
            break;
        case 3:  // dot segments
            path += r.below(2) == 0 ? "./" : "../";
            break;
        case 4:  // sibling directory / id / bucket
            if (s.type == model_type::file) {
                path.insert(path.size() - 1, "2");
            } else if (s.type == model_type::cinder) {
                authority += "0";
            } else if (!path.empty()) {
                path.insert(path.size() - 1, "2");
            }
            break;
        case 5:  // nested object path
            object = "a/b/" + object;
            break;
        case 6:  // credentials
            if (s.type == model_type::s3) {
                userinfo = s.user + ":" + s.key;  // raw '/' in the secret, as upstream writes
            } else if (s.type == model_type::swift) {
                userinfo = python_quote(s.user) + ":" + python_quote(s.key);
            } else if (s.type == model_type::http) {
                userinfo = "user:pass";
            } else if (s.type != model_type::file) {
                userinfo = "user";  // not allowed in most families: invalid or ignored
            }
            break;
        case 7:  // default port or scheme alias
            if (s.type == model_type::http) authority += ":443";
            if (s.type == model_type::s3 && s.https) authority += ":443";
            break;
        default:
            break;
    }
    out += scheme;
    out += "://";
    if (!userinfo.empty()) {
        out += userinfo;
        out += '@';
    }
    out += authority;
    out += path;
    out += object;
    out += query;
    return tricky ? url_kind::tricky : url_kind::owned;
}

/// `count` URLs over `stores`, seeded: the same inputs give the same corpus everywhere.
inline corpus make_corpus(const std::vector<store_model>& stores,
                          std::size_t count,
                          std::uint64_t seed = 0xC0FFEE) {
    rng r(seed);
    return corpus::build(count, [&](std::string& out) { append_url(stores, r, out); });
}

}  // namespace imgstore::bench
