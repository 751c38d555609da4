// Glance's location-URL encryption (glance/common/crypt.py: urlsafe_encrypt/urlsafe_decrypt), used
// when `[DEFAULT] metadata_encryption_key` is set: AES-CBC with the key's UTF-8 bytes as the key
// (16, 24 or 32 bytes), a random IV in front, Glance's own zero-byte padding, urlsafe base64.
#pragma once

#include <string>
#include <string_view>

#include "imgstore/glance_db/error.hpp"
#include "imgstore/secret.hpp"

namespace imgstore::glance_db {

/// Encrypts and decrypts location values with one key. Immutable once made: const calls are
/// safe from any number of threads. Holds a copy of the key (never printed).
class location_cipher {
  public:
    /// Errors: db_errc::bad_key when the key is not 16, 24 or 32 bytes (the message says how
    /// many it has, never the key).
    [[nodiscard]] static db_result<location_cipher> create(const secret& key);

    /// urlsafe_decrypt: base64 decoded as Python's urlsafe_b64decode does (also '+' and '/',
    /// bytes outside the alphabet skipped, '=' padding required), AES-CBC without padding, the
    /// plaintext is what precedes the last 0x00 byte and must be UTF-8. Errors:
    /// db_errc::bad_ciphertext (bad base64, wrong length, no delimiter, not UTF-8: usually a
    /// wrong key or a value that was never encrypted). O(length).
    [[nodiscard]] db_result<std::string> decrypt(std::string_view value) const;

    /// urlsafe_encrypt: a fresh random IV and random padding bytes (OpenSSL's RAND_bytes), so
    /// two calls give different values that both decrypt to `url`. For tests and undo.
    [[nodiscard]] db_result<std::string> encrypt(std::string_view url) const;

  private:
    explicit location_cipher(secret key) : key_(std::move(key)) {}
    secret key_;
};

/// One-shot forms of the above (validate the key on every call).
[[nodiscard]] db_result<std::string> decrypt_location(const secret& key, std::string_view value);
[[nodiscard]] db_result<std::string> encrypt_location(const secret& key, std::string_view url);

}  // namespace imgstore::glance_db
