// Certificates for the https tests (data_test), made at test time with OpenSSL's API: no key or
// certificate is committed. EC P-256 keys, so making them is fast even under ASan.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <string_view>

namespace imgstore::test {

/// A self-signed certificate authority (basicConstraints CA:TRUE, valid from an hour ago for a
/// day) that signs server certificates. Not thread-safe; use it before the servers start.
class test_ca {
  public:
    explicit test_ca(std::string_view common_name);
    ~test_ca();
    test_ca(const test_ca&) = delete;
    test_ca& operator=(const test_ca&) = delete;

    /// The CA certificate in PEM, for a CA file the store verifies with.
    std::string certificate_pem() const;

    /// A TLS 1.2+ server context holding a new key and a certificate for
    /// `subject_alt_names` (OpenSSL's syntax: "IP:127.0.0.1,DNS:localhost"), signed by this CA.
    std::shared_ptr<boost::asio::ssl::context> server_context(
        std::string_view subject_alt_names) const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace imgstore::test
