// GET and PUT /v2/images/{id}/file: which store serves a location (the stamped id, else the
// resolver, or every store of the scheme with --fallback-probe), and uploads into a store.
#include <fmt/format.h>

#include <charconv>

#include "detail/text.hpp"
#include "handlers.hpp"

namespace imgstore::service {
namespace http = boost::beast::http;

namespace {

std::optional<std::uint64_t> range_number(std::string_view s) noexcept {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// The stores a download tries for one location, in order.
std::vector<const data::backend*> candidates_for(const image_service::state& s,
                                                 const generation& gen,
                                                 const std::string& url,
                                                 const glance_db::meta_info& meta) {
    const data::data_plane& plane = *gen.plane;
    if (meta.kind == glance_db::meta_kind::has_store) {
        if (const data::backend* b = plane.find(meta.store)) return {b};
    }
    std::vector<const data::backend*> out;
    if (s.options.fallback_probe) {
        // Upstream: no store in the metadata, so try each store of the URL's scheme in turn.
        const auto colon = url.find("://");
        const std::string scheme = detail::ascii_lower(
            std::string_view(url).substr(0, colon == std::string::npos ? 0 : colon));
        for (const store* st : plane.registry().stores_for_scheme(scheme)) {
            if (const data::backend* b = plane.find(st->id())) out.push_back(b);
        }
        return out;
    }
    resolution r = gen.snap->resolver->resolve(url);
    if (r.status == resolve_status::matched) {
        if (const data::backend* b = plane.find(r.owner->id())) out.push_back(b);
    }
    return out;
}

http::status status_of(const boost::system::error_code& ec) {
    using data::errc;
    if (ec == errc::not_found || ec == errc::forbidden_location || ec == errc::invalid_location) {
        return http::status::not_found;
    }
    if (ec == errc::bad_range) return http::status::range_not_satisfiable;
    if (ec == errc::too_large || ec == errc::storage_full) return http::status::payload_too_large;
    if (ec == errc::size_mismatch || ec == errc::invalid_image_id) return http::status::bad_request;
    if (ec == errc::duplicate) return http::status::conflict;
    if (ec == errc::timeout) return http::status::request_timeout;
    return http::status::service_unavailable;
}

}  // namespace

std::optional<data::byte_range> parse_range_header(std::string_view value) noexcept {
    constexpr std::string_view unit = "bytes=";
    if (value.substr(0, unit.size()) != unit) return std::nullopt;
    value.remove_prefix(unit.size());
    const auto dash = value.find('-');
    if (dash == std::string_view::npos || value.find(',') != std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view first = value.substr(0, dash);
    const std::string_view last = value.substr(dash + 1);
    if (first.empty()) {
        auto n = range_number(last);
        if (!n || *n == 0) return std::nullopt;
        return data::byte_range::suffix(*n);
    }
    auto a = range_number(first);
    if (!a) return std::nullopt;
    if (last.empty()) return data::byte_range::from(*a);
    auto b = range_number(last);
    if (!b || *b < *a) return std::nullopt;
    return data::byte_range::between(*a, *b);
}

download open_download(image_service::state& s,
                       const generation& gen,
                       const std::string& id,
                       std::optional<std::string_view> range_header) {
    download out;
    data::byte_range range = data::byte_range::all();
    if (range_header) {
        auto parsed = parse_range_header(*range_header);
        if (!parsed) {
            out.refused = error_reply(http::status::range_not_satisfiable,
                                      "Range: one 'bytes=first-last', 'bytes=first-' or "
                                      "'bytes=-suffix' range only");
            return out;
        }
        range = *parsed;
        out.partial = true;
    }
    glance_db::db_result<std::optional<glance_db::image_row>> read = glance_db::image_row{};
    {
        auto lease = s.db->acquire();
        if (!lease) {
            out.refused = error_reply(http::status::service_unavailable, lease.error().message);
            return out;
        }
        read = glance_db::read_image(**lease, id);
        if (!read) lease->discard();
    }
    if (!read) {
        out.refused = error_reply(http::status::service_unavailable, read.error().message);
        return out;
    }
    if (!*read) {
        out.refused = error_reply(http::status::not_found, "no image " + id);
        return out;
    }
    const glance_db::image_row& row = **read;
    if (row.status == "deactivated") {
        out.refused = error_reply(http::status::forbidden, "image " + id + " is deactivated");
        return out;
    }
    if (row.locations.empty()) {  // Glance: an image without data answers 204
        out.refused = reply{http::status::no_content, {}, "no data"};
        return out;
    }
    out.checksum = row.checksum.value_or("");
    boost::system::error_code last = data::errc::not_found;
    std::size_t tried = 0;
    for (const glance_db::location_row& l : row.locations) {
        std::string url = l.value;
        if (s.cipher) {
            auto plain = s.cipher->decrypt(l.value);
            if (!plain) continue;
            url = std::move(*plain);
        }
        const glance_db::meta_info meta = glance_db::inspect_meta(l.meta_data);
        for (const data::backend* b : candidates_for(s, gen, url, meta)) {
            ++tried;
            auto opened = b->get(url, range);
            if (opened) {
                out.reader = std::move(*opened);
                out.store_id = std::string(b->config().id());
                return out;
            }
            last = opened.error();
            if (last == data::errc::bad_range) {
                out.refused = error_reply(http::status::range_not_satisfiable,
                                          "the range does not overlap the image data");
                return out;
            }
        }
    }
    out.refused = error_reply(
        status_of(last), fmt::format("image {}: no store served its data ({} tried: {})", id, tried,
                                     last.message()));
    return out;
}

reply upload(image_service::state& s,
             const generation& gen,
             const std::string& id,
             std::optional<std::string_view> store_header,
             std::optional<std::uint64_t> content_length,
             data::source& body) {
    const data::data_plane& plane = *gen.plane;
    const data::backend* target = &plane.default_backend();
    if (store_header) {
        target = plane.find(*store_header);
        // Reserved stores hold Glance's own staging data: never a client's upload target.
        if (!target || target->config().is_reserved()) {
            return error_reply(http::status::bad_request,
                               "X-Image-Meta-Store: no such store (GET /v2/info/stores)");
        }
    }
    auto lease = s.db->acquire();
    if (!lease) return error_reply(http::status::service_unavailable, lease.error().message);
    auto begun = glance_db::begin_upload(**lease, id);
    if (!begun) {
        lease->discard();
        return error_reply(http::status::service_unavailable, begun.error().message);
    }
    if (*begun == glance_db::upload_state::no_image) {
        return error_reply(http::status::not_found, "no image " + id);
    }
    if (*begun == glance_db::upload_state::wrong_status) {
        return error_reply(http::status::conflict,
                           "image " + id + " is not queued: only a queued image takes data");
    }
    data::add_options options;
    if (content_length && *content_length > 0) options.expected_size = content_length;
    options.size_limit = s.size_cap;
    auto added = target->add(id, body, options);
    if (!added) {
        if (auto undo = glance_db::abort_upload(**lease, id); !undo) {
            lease->discard();
            s.log->error("image {}: left in saving: {}", id, undo.error().message);
        }
        return error_reply(status_of(added.error()),
                           fmt::format("image {}: upload to store {} failed: {}", id,
                                       target->config().id(), added.error().message()));
    }
    glance_db::upload_record record;
    record.location_value = added->location_url;
    if (s.cipher) {
        auto enc = s.cipher->encrypt(added->location_url);
        if (!enc) return error_reply(http::status::internal_server_error, enc.error().message);
        record.location_value = std::move(*enc);
    }
    auto store_json = glance_db::python_json_string(added->store_id);
    record.meta_data = "{\"store\": " + store_json.value() + "}";
    record.size = static_cast<std::int64_t>(added->size);
    record.checksum = added->checksum;
    record.os_hash_algo = added->os_hash_algo;
    record.os_hash_value = added->os_hash_value;
    auto finished = glance_db::finish_upload(**lease, id, record);
    if (!finished || *finished != glance_db::upload_state::applied) {
        // The image was deleted or changed meanwhile (or the database failed): the data must
        // not stay behind unreferenced.
        if (auto removed = target->remove(added->location_url); !removed) {
            s.log->error("image {}: stored data not removed: {}", id, removed.error().message());
        }
        if (!finished) {
            lease->discard();
            return error_reply(http::status::service_unavailable, finished.error().message);
        }
        return *finished == glance_db::upload_state::no_image
                   ? error_reply(http::status::gone, "image " + id + " was deleted during upload")
                   : error_reply(http::status::conflict, "image " + id + " changed during upload");
    }
    return {http::status::no_content,
            {},
            fmt::format("store={} size={}", added->store_id, added->size)};
}

}  // namespace imgstore::service
