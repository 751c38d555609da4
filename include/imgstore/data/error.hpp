// Errors of the store data plane (imgstore::data): what get, add and remove can fail with, as an
// error-code enum and category laid out like imgstore/error.hpp.
#pragma once

#include <boost/system/error_code.hpp>

#include "imgstore/error.hpp"

namespace imgstore::data {

/// Why a data-plane call failed. Messages name the condition only: never a URL, a path, a
/// credential or a value. The comment says which glance_store exception each one stands for.
enum class errc {
    not_supported = 1,   ///< the store type has no data plane here (rbd, s3, swift, cinder,
                         ///< vmware unless an embedder registered one), or the call is not
                         ///< one the type offers (http add/remove)
    invalid_location,    ///< the URL is malformed for the store's location class (BadStoreUri)
    forbidden_location,  ///< well-formed, but not this store's: outside its datadirs, owned by
                         ///< another store, a symlink, or not a regular file
    not_found,           ///< no object at the location (NotFound)
    duplicate,           ///< add: an object already exists for the image id (Duplicate)
    invalid_image_id,    ///< add: an id that cannot name an object (empty, '/', "..", ...)
    too_large,           ///< add: more data than the size limit or the expected size
    size_mismatch,       ///< add: less data than the expected size (upstream's Invalid)
    storage_full,        ///< add: no space left, or no datadir with room (StorageFull)
    permission_denied,   ///< the operating system refused access (StorageWriteDenied, Forbidden)
    bad_range,           ///< a byte range that does not overlap the object (HTTP 416)
    io_error,            ///< reading or writing failed
    truncated,           ///< the object ended before the size it announced
    unavailable,         ///< the remote server cannot be reached (RemoteServiceUnavailable)
    timeout,             ///< the remote server did not answer in time
    too_many_redirects,  ///< more redirects than upstream's MAX_REDIRECTS (MaxRedirectsExceeded)
    upstream_error,      ///< the remote server answered with an error or a malformed response
    bad_certificate,     ///< https: the server's certificate failed verification (unknown CA,
                         ///< expired, another name or address); upstream's SSLError
    tls_failed,          ///< https: no TLS session (not a TLS server, no common protocol)
};

/// The category of imgstore::data::errc ("imgstore.data"). Thread-safe; lives for the program.
const boost::system::error_category& error_category() noexcept;

/// Makes an error_code from an errc (found by ADL).
inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

}  // namespace imgstore::data

namespace boost::system {
template <>
struct is_error_code_enum<::imgstore::data::errc> : std::true_type {};
}  // namespace boost::system
