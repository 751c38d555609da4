#include "imgstore/data/hashing.hpp"

#include <openssl/evp.h>

#include <array>
#include <utility>

#include "detail/text.hpp"

namespace imgstore::data {

// Owns an EVP digest context (not in the anonymous namespace: image_hasher::state holds two).
namespace detail {
struct evp_md_ctx_deleter {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
}  // namespace detail
using evp_md_ctx = std::unique_ptr<EVP_MD_CTX, detail::evp_md_ctx_deleter>;

namespace {

// hashlib name -> OpenSSL name, for the fixed-length algorithms hashlib always offers.
struct hash_name {
    std::string_view hashlib;
    const char* openssl;
};
constexpr std::array<hash_name, 12> hash_names{{
    {"md5", "MD5"},
    {"sha1", "SHA1"},
    {"sha224", "SHA224"},
    {"sha256", "SHA256"},
    {"sha384", "SHA384"},
    {"sha512", "SHA512"},
    {"sha3_224", "SHA3-224"},
    {"sha3_256", "SHA3-256"},
    {"sha3_384", "SHA3-384"},
    {"sha3_512", "SHA3-512"},
    {"blake2b", "BLAKE2b512"},
    {"blake2s", "BLAKE2s256"},
}};

const hash_name* find_hash(std::string_view algorithm) {
    for (const auto& h : hash_names) {
        if (::imgstore::detail::iequals(h.hashlib, algorithm)) return &h;
    }
    return nullptr;
}

evp_md_ctx start(const char* openssl_name) {
    const EVP_MD* md = EVP_get_digestbyname(openssl_name);
    if (!md) return nullptr;
    evp_md_ctx ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) return nullptr;
    return ctx;
}

std::string hex_digest(EVP_MD_CTX* ctx) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(ctx, digest.data(), &size) != 1) return {};
    std::string out;
    out.reserve(size * 2u);
    ::imgstore::detail::append_hex(out, {reinterpret_cast<const char*>(digest.data()), size});
    return out;
}

}  // namespace

struct image_hasher::state {
    evp_md_ctx md5;
    evp_md_ctx multihash;
    std::string algorithm;
};

image_hasher::image_hasher(std::unique_ptr<state> s) : state_(std::move(s)) {}
image_hasher::image_hasher(image_hasher&&) noexcept = default;
image_hasher& image_hasher::operator=(image_hasher&&) noexcept = default;
image_hasher::~image_hasher() = default;

bool image_hasher::supports(std::string_view algorithm) { return find_hash(algorithm) != nullptr; }

result<image_hasher> image_hasher::make(std::string_view algorithm) {
    const hash_name* h = find_hash(algorithm);
    if (!h) return make_error_code(errc::not_supported);
    auto s = std::make_unique<state>();
    s->md5 = start("MD5");
    s->multihash = start(h->openssl);
    // An OpenSSL built without one of them (FIPS mode refuses MD5) cannot hash as Glance does.
    if (!s->md5 || !s->multihash) return make_error_code(errc::not_supported);
    s->algorithm = std::string(h->hashlib);
    return image_hasher(std::move(s));
}

void image_hasher::update(std::span<const std::byte> data) {
    if (data.empty()) return;
    EVP_DigestUpdate(state_->md5.get(), data.data(), data.size());
    EVP_DigestUpdate(state_->multihash.get(), data.data(), data.size());
}

image_hashes image_hasher::finish() {
    return {hex_digest(state_->md5.get()), state_->algorithm, hex_digest(state_->multihash.get())};
}

}  // namespace imgstore::data
