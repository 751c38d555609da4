// What each endpoint answers, apart from the HTTP transport (http.cpp): plain functions over
// the service state and the generation a request started on.
#pragma once

#include <boost/beast/http/status.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "imgstore/data/backend.hpp"
#include "state.hpp"

namespace imgstore::service {

/// A complete (non-streamed) answer. `note` goes to the request's log line only.
struct reply {
    boost::beast::http::status status = boost::beast::http::status::ok;
    std::string body;  ///< JSON, or empty
    std::string note;
};

/// A JSON error body as the service writes them: {"code", "title", "message"}.
reply error_reply(boost::beast::http::status status, std::string message);

/// GET /v2/info/stores: Glance's store discovery (reserved stores not listed).
reply stores_reply(const generation& gen);

/// GET /v2/images/{id}: the image in Glance's JSON shape, its locations stamped and the
/// stamps saved with one compare-and-swap.
reply image_reply(image_service::state& s, const generation& gen, const std::string& id);

/// GET /v2/images/{id}/file: an open reader, or the error to answer instead.
struct download {
    std::optional<reply> refused;
    std::unique_ptr<data::reader> reader;
    bool partial = false;  ///< a Range was asked: 206 with Content-Range
    std::string checksum;  ///< the image's md5 (Content-MD5 of a whole download)
    std::string store_id;  ///< which store served it
};
download open_download(image_service::state& s,
                       const generation& gen,
                       const std::string& id,
                       std::optional<std::string_view> range_header);

/// PUT /v2/images/{id}/file: `body` is the request body; `store_header` X-Image-Meta-Store.
reply upload(image_service::state& s,
             const generation& gen,
             const std::string& id,
             std::optional<std::string_view> store_header,
             std::optional<std::uint64_t> content_length,
             data::source& body);

/// Parses a Range header (`bytes=a-b`, `bytes=a-`, `bytes=-n`; one range only). nullopt:
/// malformed or several ranges.
std::optional<data::byte_range> parse_range_header(std::string_view value) noexcept;

}  // namespace imgstore::service
