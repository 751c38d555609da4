#include "data_test_tls.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <stdexcept>

namespace imgstore::test {

// Outside the anonymous namespace: test_ca::impl, which has linkage, holds them.
struct test_ca_pkey_free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct test_ca_x509_free {
    void operator()(X509* p) const { X509_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, test_ca_pkey_free>;
using x509_ptr = std::unique_ptr<X509, test_ca_x509_free>;

namespace {

// Test setup that cannot fail on a working OpenSSL: a failure ends the test loudly.
void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test certificate: ") + what);
}

pkey_ptr make_ec_key() {
    pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    require(key != nullptr, "EC key generation");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    require(ext != nullptr, value);
    require(X509_add_ext(cert, ext, -1) == 1, "add extension");
    X509_EXTENSION_free(ext);
}

// A certificate for `key` named `common_name`, issued by `issuer` (itself when null).
x509_ptr make_certificate(EVP_PKEY* key, std::string_view common_name, X509* issuer) {
    static std::atomic<long> serial{1};
    x509_ptr cert(X509_new());
    require(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    const std::string cn(common_name);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509* signer = issuer ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    X509_set_pubkey(cert.get(), key);
    add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
    require(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign");
}

}  // namespace

struct test_ca::impl {
    pkey_ptr key;
    x509_ptr cert;
};

test_ca::test_ca(std::string_view common_name) : impl_(std::make_unique<impl>()) {
    impl_->key = make_ec_key();
    impl_->cert = make_certificate(impl_->key.get(), common_name, nullptr);
    add_extension(impl_->cert.get(), impl_->cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(impl_->cert.get(), impl_->cert.get(), NID_key_usage,
                  "critical,keyCertSign,cRLSign");
    sign(impl_->cert.get(), impl_->key.get());
}

test_ca::~test_ca() = default;

std::string test_ca::certificate_pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    require(bio && PEM_write_bio_X509(bio.get(), impl_->cert.get()) == 1, "PEM_write_bio_X509");
    char* data = nullptr;
    const long size = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, static_cast<void*>(&data));
    return std::string(data, static_cast<std::size_t>(size));
}

std::shared_ptr<boost::asio::ssl::context> test_ca::server_context(
    std::string_view subject_alt_names) const {
    pkey_ptr key = make_ec_key();
    x509_ptr cert = make_certificate(key.get(), "imgstore test server", impl_->cert.get());
    const std::string names(subject_alt_names);
    add_extension(cert.get(), impl_->cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), impl_->cert.get(), NID_subject_alt_name, names.c_str());
    add_extension(cert.get(), impl_->cert.get(), NID_ext_key_usage, "serverAuth");
    sign(cert.get(), impl_->key.get());
    auto context =
        std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    context->set_options(boost::asio::ssl::context::no_tlsv1 |
                         boost::asio::ssl::context::no_tlsv1_1);
    require(SSL_CTX_use_certificate(context->native_handle(), cert.get()) == 1,
            "SSL_CTX_use_certificate");
    require(SSL_CTX_use_PrivateKey(context->native_handle(), key.get()) == 1,
            "SSL_CTX_use_PrivateKey");
    return context;
}

}  // namespace imgstore::test
