// TLS for the http store's https locations: the client context made from one store's
// `https_insecure` and `https_ca_certificates_file` (doc/data-plane.md "https").
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>
#include <vector>

#include "imgstore/diagnostic.hpp"
#include "imgstore/store.hpp"

namespace imgstore::data::detail {

/// How one http store speaks TLS. Immutable once made; its connections share the context
/// (OpenSSL's SSL_CTX may be used by many threads once set up) and keep it alive, so a reader
/// may outlive the plane.
struct tls_client {
    std::shared_ptr<boost::asio::ssl::context> context;
    /// Whether the server's certificate chain and name are checked (then SSL_set1_host).
    bool verify = false;
};

/// The TLS settings of http store `s`, as upstream's `verify = ca_file if ca_file else not
/// https_insecure`: a CA file (or an OpenSSL hashed CA directory) turns verification on with
/// those CAs only, whatever https_insecure says; without one, https_insecure = false verifies
/// with OpenSSL's default CA store. TLS 1.2 or later. A CA file that cannot be loaded is an
/// error diagnostic (section = store id, key = the option, naming the file); nullopt then.
/// Reads the CA file or the default store when verifying (the only I/O of making a plane).
[[nodiscard]] std::optional<tls_client> make_tls_client(const store& s,
                                                        std::vector<diagnostic>& diagnostics);

}  // namespace imgstore::data::detail
