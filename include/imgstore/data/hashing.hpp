// The image hashes Glance records on upload: `checksum` (md5) and the multihash
// (`os_hash_algo`, `os_hash_value`), computed in one pass through OpenSSL's EVP.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "imgstore/data/error.hpp"

namespace imgstore::data {

/// Hex digests of one image's data.
struct image_hashes {
    std::string checksum;       ///< md5, lower-case hex (Glance's `checksum`)
    std::string os_hash_algo;   ///< the algorithm's Glance (hashlib) name, e.g. "sha512"
    std::string os_hash_value;  ///< its digest, lower-case hex
};

/// Streams data through md5 and the configured multihash algorithm. Not thread-safe (one
/// upload); movable. Cost: linear in the bytes given; no allocation per update().
class image_hasher {
  public:
    /// A hasher for `algorithm`, a Python hashlib name as Glance's `[DEFAULT] hashing_algorithm`
    /// takes (sha512, sha256, sha384, sha224, sha1, md5, sha3_256, sha3_384, sha3_512,
    /// sha3_224, blake2b, blake2s; case-insensitive). Errors: errc::not_supported for any other
    /// name (including the variable-length shake_*).
    [[nodiscard]] static result<image_hasher> make(std::string_view algorithm);

    /// True if make(algorithm) would succeed.
    [[nodiscard]] static bool supports(std::string_view algorithm);

    void update(std::span<const std::byte> data);

    /// The digests of everything given to update(). The hasher is spent afterwards.
    [[nodiscard]] image_hashes finish();

    image_hasher(image_hasher&&) noexcept;
    image_hasher& operator=(image_hasher&&) noexcept;
    ~image_hasher();

  private:
    struct state;
    explicit image_hasher(std::unique_ptr<state> s);
    std::unique_ptr<state> state_;
};

}  // namespace imgstore::data
