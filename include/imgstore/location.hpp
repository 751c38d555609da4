// Parsed image locations: the components each upstream StoreLocation class has, one struct
// per store type, and their URL forms. Parsing is done by a store (store::parse_location) because
// some forms need the store's config (swift+config references, the cinder store id).
//
// Who uses this layer: the data plane (library imgstore::data) reads every location it serves
// through store::parse_location (the http backend takes its request and credentials from
// http_location) and writes the locations of new images with store::format_location; a backend
// an embedder registers for another type reads its fields the same way (bucket and key of an
// s3_location, pool and image of an rbd_location). Logs show only redacted_uri()/redact_url().
// There is one set of rules: parse_location first applies the resolver's canonical checks (the
// same code as location_resolver::resolve(): a URL the resolver calls invalid is never a
// location), then the type's own upstream rules, in its driver (src/drivers/<type>.cpp), which
// also formats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "imgstore/secret.hpp"

namespace imgstore {

/// file:// and filesystem:// (upstream filesystem.StoreLocation).
struct file_location {
    std::string scheme = "file";  ///< as written: "file" or "filesystem"
    std::string path;             ///< as written after the scheme, e.g. "/var/lib/glance/images/ID"
    friend bool operator==(const file_location&, const file_location&) = default;
};

/// http:// and https:// (upstream http.StoreLocation).
struct http_location {
    std::string scheme = "http";  ///< "http" or "https"
    std::optional<std::string> user;
    std::optional<secret> password;  ///< present iff user is
    std::string netloc;              ///< host[:port] without credentials
    std::string path;
    std::string query;  ///< without '?', may be empty
    friend bool operator==(const http_location&, const http_location&) = default;
};

/// rbd:// (upstream rbd.StoreLocation). Either the 4-part form (fsid, pool, image, snapshot all
/// set, percent-decoded) or the legacy 1-part form `rbd://<image>` (only image set, not decoded).
struct rbd_location {
    std::optional<std::string> fsid;
    std::optional<std::string> pool;
    std::string image;
    std::optional<std::string> snapshot;
    friend bool operator==(const rbd_location&, const rbd_location&) = default;
};

/// s3://, s3+http://, s3+https:// (upstream s3.StoreLocation). The secret key may hold a raw '/'.
struct s3_location {
    std::string scheme = "s3";
    std::optional<std::string> access_key;  ///< absent in the credential-free form
    std::optional<secret> secret_key;       ///< present iff access_key is
    std::string service_url;                ///< host[:port][/path prefix]
    std::string bucket;
    std::string key;
    friend bool operator==(const s3_location&, const s3_location&) = default;
};

/// swift://, swift+http://, swift+https://, swift+config:// (upstream swift.StoreLocation).
struct swift_location {
    std::string scheme = "swift+https";
    std::optional<std::string> user;  ///< decoded; may contain ':' (account:user)
    std::optional<secret> key;
    std::string auth_or_store_url;  ///< host[/path] without scheme (swift+config: the reference's)
    std::string container;
    std::string object;
    /// The account reference of a swift+config:// location; user, key and auth_or_store_url
    /// then come from the store's reference file (upstream does the same).
    std::optional<std::string> reference;
    friend bool operator==(const swift_location&, const swift_location&) = default;
};

/// cinder:// (upstream cinder.StoreLocation): `cinder://<store>/<volume>` or legacy
/// `cinder://<volume>`. volume_id is a canonical lower-case UUID.
struct cinder_location {
    std::optional<std::string> store;  ///< absent in the legacy form
    std::string volume_id;
    friend bool operator==(const cinder_location&, const cinder_location&) = default;
};

/// vsphere:// (upstream vmware_datastore.StoreLocation).
struct vsphere_location {
    std::string host;                            ///< IPv6 literals keep their brackets
    std::string path;                            ///< e.g. "/folder/openstack_glance/ID"
    std::optional<std::string> datastore_name;   ///< dsName
    std::optional<std::string> datacenter_path;  ///< dcPath
    std::string query;                           ///< raw query without '?'
    friend bool operator==(const vsphere_location&, const vsphere_location&) = default;
};

/// Any parsed location.
using location = std::variant<file_location,
                              http_location,
                              rbd_location,
                              s3_location,
                              swift_location,
                              cinder_location,
                              vsphere_location>;

/// The location's URL as upstream's get_uri() writes it, credentials included: for the service
/// to use, never to print. A swift+config location stays in its reference form. O(length).
std::string uri_with_credentials(const location& loc);

/// The same URL with any userinfo replaced by "***" (or left out when there is none): the only
/// form that may be logged or shown. O(length).
std::string redacted_uri(const location& loc);

/// Redacts the userinfo of a raw URL string without parsing it as a location: for s3 and swift
/// schemes the userinfo runs to the last '@' before the query (their keys may hold a raw '/'),
/// elsewhere to the last '@' of the authority. A string without "://" (a mistyped URL) loses
/// everything between its scheme (if any) and its last '@'. Total: never fails, never throws except
/// std::bad_alloc; thread-safe. O(length).
std::string redact_url(std::string_view url);

}  // namespace imgstore
