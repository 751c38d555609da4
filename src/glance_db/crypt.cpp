#include "imgstore/glance_db/crypt.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "imgstore/glance_db/meta_data.hpp"

namespace imgstore::glance_db {
namespace {

constexpr std::size_t aes_block = 16;

db_error crypt_error(db_errc code, std::string message) {
    return {make_error_code(code), std::move(message)};
}

const EVP_CIPHER* cipher_for(std::size_t key_bytes) {
    switch (key_bytes) {
        case 16:
            return EVP_aes_128_cbc();
        case 24:
            return EVP_aes_192_cbc();
        case 32:
            return EVP_aes_256_cbc();
        default:
            return nullptr;
    }
}

// The URL-safe alphabet, with '+' and '/' accepted too: Python's urlsafe_b64decode maps
// '-'/'_' to '+'/'/' and then b64decode skips every byte outside the standard alphabet.
int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
}

// binascii.a2b_base64 (non-strict): data bytes outside the alphabet are skipped, '=' padding
// must complete the last quantum, and decoding stops at the first complete padding.
std::optional<std::vector<unsigned char>> urlsafe_b64decode(std::string_view text) {
    std::vector<unsigned char> out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t acc = 0;
    int quantum = 0;  // sextets in `acc`
    int pads = 0;
    for (char c : text) {
        if (c == '=') {
            // A pad counts only after two or three data sextets; it ends the data when the
            // quantum is complete (two pads after two sextets, one after three).
            if (quantum >= 2 && quantum + ++pads >= 4) break;
            continue;
        }
        int v = base64_value(c);
        if (v < 0) continue;
        pads = 0;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        if (++quantum == 4) {
            out.push_back(static_cast<unsigned char>(acc >> 16));
            out.push_back(static_cast<unsigned char>(acc >> 8));
            out.push_back(static_cast<unsigned char>(acc));
            acc = 0;
            quantum = 0;
        }
    }
    if (quantum == 0) return out;
    if (quantum == 1 || quantum + pads < 4) return std::nullopt;  // "Incorrect padding"
    if (quantum == 2) {
        out.push_back(static_cast<unsigned char>(acc >> 4));
    } else {
        out.push_back(static_cast<unsigned char>(acc >> 10));
        out.push_back(static_cast<unsigned char>(acc >> 2));
    }
    return out;
}

std::string urlsafe_b64encode(const std::vector<unsigned char>& bytes) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v =
            (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        for (int shift = 18; shift >= 0; shift -= 6) out.push_back(alphabet[(v >> shift) & 63]);
    }
    std::size_t rest = bytes.size() - i;
    if (rest != 0) {
        std::uint32_t v = std::uint32_t{bytes[i]} << 16;
        if (rest == 2) v |= std::uint32_t{bytes[i + 1]} << 8;
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(rest == 2 ? alphabet[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// AES-CBC over whole blocks, padding off in both directions (Glance pads by itself).
std::optional<std::vector<unsigned char>> aes_cbc(bool encrypt,
                                                  std::string_view key,
                                                  const unsigned char* iv,
                                                  const unsigned char* in,
                                                  std::size_t len) {
    cipher_ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    if (!ctx) return std::nullopt;
    const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_CipherInit_ex(ctx.get(), cipher_for(key.size()), nullptr, key_bytes, iv,
                          encrypt ? 1 : 0) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
        return std::nullopt;
    }
    std::vector<unsigned char> out(len + aes_block);
    int n = 0;
    int tail = 0;
    if (EVP_CipherUpdate(ctx.get(), out.data(), &n, in, static_cast<int>(len)) != 1 ||
        EVP_CipherFinal_ex(ctx.get(), out.data() + n, &tail) != 1) {
        return std::nullopt;
    }
    out.resize(static_cast<std::size_t>(n + tail));
    return out;
}

}  // namespace

db_result<location_cipher> location_cipher::create(const secret& key) {
    if (!cipher_for(key.reveal().size())) {
        return crypt_error(db_errc::bad_key,
                           fmt::format("metadata_encryption_key is {} bytes long; Glance needs "
                                       "16, 24 or 32 (AES-128, -192 or -256)",
                                       key.reveal().size()));
    }
    return location_cipher(key);
}

db_result<std::string> location_cipher::decrypt(std::string_view value) const {
    auto bytes = urlsafe_b64decode(value);
    if (!bytes) {
        return crypt_error(db_errc::bad_ciphertext, "not base64 with '=' padding");
    }
    if (bytes->size() < 2 * aes_block || bytes->size() % aes_block != 0) {
        return crypt_error(db_errc::bad_ciphertext,
                           "not an IV and whole AES blocks (wrong length)");
    }
    auto plain = aes_cbc(false, key_.reveal(), bytes->data(), bytes->data() + aes_block,
                         bytes->size() - aes_block);
    if (!plain) return crypt_error(db_errc::bad_ciphertext, "AES decryption failed");
    // The last 0x00 starts Glance's padding, and it is always in the last block.
    std::size_t end = plain->size();
    std::size_t last_block = plain->size() - aes_block;
    while (end > last_block && (*plain)[end - 1] != 0) --end;
    if (end == last_block) {
        return crypt_error(db_errc::bad_ciphertext,
                           "no padding delimiter in the last block (wrong key?)");
    }
    std::string text(reinterpret_cast<const char*>(plain->data()), end - 1);
    // Glance decodes the plaintext as UTF-8; a wrong key usually fails here.
    if (!python_json_string(text)) {
        return crypt_error(db_errc::bad_ciphertext,
                           "decrypts to bytes that are not UTF-8 (wrong key?)");
    }
    return text;
}

db_result<std::string> location_cipher::encrypt(std::string_view url) const {
    std::size_t pad = aes_block - url.size() % aes_block;  // 1..16: a 0x00, then random non-zero
    std::vector<unsigned char> block_data(url.begin(), url.end());
    block_data.push_back(0);
    std::vector<unsigned char> filler(pad - 1);
    std::array<unsigned char, aes_block> iv{};
    if (RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1 ||
        (!filler.empty() && RAND_bytes(filler.data(), static_cast<int>(filler.size())) != 1)) {
        return crypt_error(db_errc::bad_ciphertext, "no random bytes from OpenSSL");
    }
    // Glance pads with bytes drawn from 1..255: a zero byte is drawn again.
    for (unsigned char& b : filler) {
        while (b == 0) {
            if (RAND_bytes(&b, 1) != 1) {
                return crypt_error(db_errc::bad_ciphertext, "no random bytes from OpenSSL");
            }
        }
        block_data.push_back(b);
    }
    auto cipher = aes_cbc(true, key_.reveal(), iv.data(), block_data.data(), block_data.size());
    if (!cipher) return crypt_error(db_errc::bad_ciphertext, "AES encryption failed");
    std::vector<unsigned char> all(iv.begin(), iv.end());
    all.insert(all.end(), cipher->begin(), cipher->end());
    return urlsafe_b64encode(all);
}

db_result<std::string> decrypt_location(const secret& key, std::string_view value) {
    auto cipher = location_cipher::create(key);
    if (!cipher) return cipher.error();
    return cipher->decrypt(value);
}

db_result<std::string> encrypt_location(const secret& key, std::string_view url) {
    auto cipher = location_cipher::create(key);
    if (!cipher) return cipher.error();
    return cipher->encrypt(url);
}

}  // namespace imgstore::glance_db
