// A store's data plane, glance_store's get / add / delete: the backend interface that the
// built-in file and http backends implement and that an embedder implements for its own S3 or
// RBD client, with the reader it returns, the source it consumes and what add returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "imgstore/data/error.hpp"
#include "imgstore/store.hpp"

namespace imgstore::data {

/// Which bytes of an object to read, as an HTTP `Range: bytes=...` spec. Resolved against the
/// object's size as RFC 9110 does: a `last` past the end is clamped; a `first` at or past the
/// end, or a zero suffix, is errc::bad_range (except all() of an empty object).
struct byte_range {
    /// The whole object.
    static constexpr byte_range all() noexcept { return {}; }
    /// From `first` to the end (`bytes=first-`); from(0) is all().
    static constexpr byte_range from(std::uint64_t first) noexcept { return {first, {}, {}}; }
    /// `first` to `last` inclusive (`bytes=first-last`); last < first is errc::bad_range.
    static constexpr byte_range between(std::uint64_t first, std::uint64_t last) noexcept {
        return {first, last, {}};
    }
    /// The last `length` bytes (`bytes=-length`); the whole object if it is shorter.
    static constexpr byte_range suffix(std::uint64_t length) noexcept { return {0, {}, length}; }

    std::uint64_t first = 0;
    std::optional<std::uint64_t> last;           ///< inclusive; none = to the end
    std::optional<std::uint64_t> suffix_length;  ///< set: a suffix range (first, last unused)

    bool is_all() const noexcept { return first == 0 && !last && !suffix_length; }
    friend bool operator==(const byte_range&, const byte_range&) = default;
};

/// What a reader yields: `length` bytes starting at `offset` of an object of `object_size`
/// bytes (an HTTP 206's Content-Range `bytes offset-(offset+length-1)/object_size`).
struct extent {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::uint64_t object_size = 0;
    friend bool operator==(const extent&, const extent&) = default;
};

/// Pull reader over one object's bytes, returned by backend::get(). One thread at a time;
/// movable only through its owner (unique_ptr). A reader owns its file descriptor or
/// connection and refers to no backend, plane or registry: it may outlive all of them (a
/// download in flight across a reload). Destroying it releases everything.
class reader {
  public:
    virtual ~reader() = default;
    reader(const reader&) = delete;
    reader& operator=(const reader&) = delete;

    /// The bytes this reader yields; known before the first read.
    const extent& range() const noexcept { return extent_; }
    /// Bytes still to come.
    std::uint64_t remaining() const noexcept { return extent_.length - consumed_; }
    /// The backend's preferred read size (filesystem_store_chunk_size for file stores).
    std::size_t chunk_size() const noexcept { return chunk_size_; }

    /// Reads the next bytes into `out`: between 1 and out.size() while remaining() > 0 (and
    /// `out` is not empty), 0 at the end. Never yields more than range().length bytes; a
    /// source that ends early is errc::truncated. Other errors: io_error, timeout,
    /// upstream_error. After an error the reader is unusable. Blocks for file I/O or the
    /// network (bounded by the data_options timeouts).
    [[nodiscard]] result<std::size_t> read(std::span<std::byte> out);

  protected:
    reader(extent e, std::size_t chunk_size) noexcept : extent_(e), chunk_size_(chunk_size) {}
    /// Implementations read up to out.size() bytes (never more than remaining(), which read()
    /// guarantees by the span it passes); 0 means the source has ended.
    [[nodiscard]] virtual result<std::size_t> read_some(std::span<std::byte> out) = 0;

  private:
    extent extent_;
    std::size_t chunk_size_;
    std::uint64_t consumed_ = 0;
    bool failed_ = false;
};

/// Image data to store, pulled by backend::add(). Implemented by the caller (a request body, a
/// file, another store's reader). Used by one thread at a time.
class source {
  public:
    virtual ~source() = default;
    /// Reads up to out.size() bytes; 0 at the end of the data. An error aborts the add (it is
    /// returned unchanged by add()).
    [[nodiscard]] virtual result<std::size_t> read(std::span<std::byte> out) = 0;
};

/// Limits of one add().
struct add_options {
    /// Glance's image_size when the client announced one: more data is errc::too_large, less
    /// is errc::size_mismatch. None (or upstream's 0) = unknown.
    std::optional<std::uint64_t> expected_size;
    /// Glance's image_size_cap: more data is errc::too_large, detected while streaming.
    std::uint64_t size_limit = std::numeric_limits<std::uint64_t>::max();
};

/// What glance_store's add() returns, plus the store id Glance puts in the location metadata.
struct add_result {
    std::string location_url;   ///< canonical (resolves to store_id); no credentials
    std::uint64_t size = 0;     ///< bytes written
    std::string checksum;       ///< md5 hex
    std::string os_hash_algo;   ///< `[DEFAULT] hashing_algorithm` (default sha512)
    std::string os_hash_value;  ///< its hex digest
    std::string store_id;
};

/// One store's data plane. Made by a backend_factory for one store of a registry (see
/// data_plane.hpp); lives as long as the data_plane that made it. All calls are const and
/// thread-safe: any number of gets, adds and removes may run at once on one backend.
/// Location URLs come from Glance's database and are treated as hostile: they are checked
/// against the store (its location class, its prefixes, its datadirs) before anything is
/// opened, and no error or log line echoes them or their userinfo.
class backend {
  public:
    virtual ~backend() = default;

    /// The store this backend serves (lives as long as the data plane).
    virtual const store& config() const noexcept = 0;

    /// Opens the object at `location_url` for reading `range`. The returned reader knows the
    /// extent before any data is read. Errors: invalid_location, forbidden_location,
    /// not_found, bad_range, permission_denied, io_error; http: unavailable, timeout,
    /// too_many_redirects, upstream_error, and for https bad_certificate, tls_failed;
    /// not_supported. Cost: file: O(path depth) syscalls; http: one request (and for https one
    /// TLS handshake) per redirect (at most 5 requests, as upstream).
    [[nodiscard]] virtual result<std::unique_ptr<reader>> get(std::string_view location_url,
                                                              const byte_range& range) const = 0;

    /// Stores `data` as the object of image `image_id` and returns where. Whole or nothing:
    /// on any error nothing is left behind (file: the temporary file is removed) and the error
    /// is returned; errors of `data` are returned unchanged. Errors: invalid_image_id,
    /// duplicate, too_large, size_mismatch, storage_full, permission_denied, io_error,
    /// not_supported. Cost: linear in the data; blocks on disk writes and one fsync.
    [[nodiscard]] virtual result<add_result> add(std::string_view image_id,
                                                 source& data,
                                                 const add_options& options) const = 0;

    /// Deletes the object at `location_url` (glance_store's delete), with the same location
    /// checks as get(). Errors: invalid_location, forbidden_location, not_found,
    /// permission_denied, io_error, not_supported.
    [[nodiscard]] virtual result<void> remove(std::string_view location_url) const = 0;
};

}  // namespace imgstore::data
