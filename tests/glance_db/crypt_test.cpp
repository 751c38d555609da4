#include "imgstore/glance_db/crypt.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.hpp"
#include "tsv_table.hpp"

namespace imgstore::glance_db {
namespace {

// Rows made by Glance's own urlsafe_encrypt (tests/data/glance-crypt-vectors.tsv says how).
std::vector<test::tsv_row> crypt_vectors() {
    return test::read_tsv(test::data_dir + "/glance-crypt-vectors.tsv", 3);
}

class GlanceCryptVectors : public testing::TestWithParam<test::tsv_row> {};

TEST_P(GlanceCryptVectors, DecryptsWhatGlanceEncrypted) {
    const auto& row = GetParam();
    auto plain = decrypt_location(secret(row.fields[0]), row.fields[2]);
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(*plain, row.fields[1]);
}

TEST_P(GlanceCryptVectors, EncryptsWhatGlanceDecrypts) {
    const auto& row = GetParam();
    auto cipher = location_cipher::create(secret(row.fields[0]));
    ASSERT_TRUE(cipher) << cipher.error().message;
    auto once = cipher->encrypt(row.fields[1]);
    auto twice = cipher->encrypt(row.fields[1]);
    ASSERT_TRUE(once && twice);
    // Random IV and padding: different text, same plaintext, Glance's length.
    EXPECT_NE(*once, *twice);
    std::size_t blocks = row.fields[1].size() / 16 + 1;
    EXPECT_EQ(once->size(), (16 * (blocks + 1) + 2) / 3 * 4);
    EXPECT_EQ(once->find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="),
              std::string::npos);
    auto back = cipher->decrypt(*once);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, row.fields[1]);
}

TEST_P(GlanceCryptVectors, DecodesBase64AsLenientlyAsPython) {
    const auto& row = GetParam();
    std::string std_alphabet = row.fields[2];
    std::replace(std_alphabet.begin(), std_alphabet.end(), '-', '+');
    std::replace(std_alphabet.begin(), std_alphabet.end(), '_', '/');
    std::string with_junk = row.fields[2];
    with_junk.insert(8, "\n");
    with_junk.insert(20, " ");
    for (const std::string& text : {std_alphabet, with_junk}) {
        auto plain = decrypt_location(secret(row.fields[0]), text);
        ASSERT_TRUE(plain) << plain.error().message;
        EXPECT_EQ(*plain, row.fields[1]);
    }
}

TEST_P(GlanceCryptVectors, WrongKeyNeverYieldsThePlaintext) {
    const auto& row = GetParam();
    std::string key = row.fields[0];
    key[0] = key[0] == 'x' ? 'y' : 'x';
    auto plain = decrypt_location(secret(key), row.fields[2]);
    if (plain) {
        EXPECT_NE(*plain, row.fields[1]);
    }
}

INSTANTIATE_TEST_SUITE_P(GlanceDb,
                         GlanceCryptVectors,
                         testing::ValuesIn(crypt_vectors()),
                         [](const testing::TestParamInfo<test::tsv_row>& p) {
                             return "L" + std::to_string(p.param.line);
                         });

TEST(LocationCrypt, RejectsKeysThatAreNotAesSizes) {
    for (std::size_t n : {0u, 1u, 15u, 17u, 23u, 25u, 31u, 33u, 64u}) {
        std::string key(n, 'k');
        auto cipher = location_cipher::create(secret(key));
        ASSERT_FALSE(cipher) << n;
        EXPECT_EQ(cipher.error().code, make_error_code(db_errc::bad_key));
        EXPECT_NE(cipher.error().message.find(std::to_string(n) + " bytes"), std::string::npos);
        if (n >= 8) {
            EXPECT_EQ(cipher.error().message.find(key), std::string::npos);
        }
    }
}

TEST(LocationCrypt, CountsKeyBytesNotCharacters) {
    // 15 characters, 16 UTF-8 bytes: AES-128, as Glance encodes the key before use.
    std::string key = "k\xC3\xA9y-0123456789a";
    ASSERT_EQ(key.size(), 16u);
    auto cipher = location_cipher::create(secret(key));
    ASSERT_TRUE(cipher);
    auto round = cipher->encrypt("file:///x");
    ASSERT_TRUE(round);
    EXPECT_EQ(cipher->decrypt(*round).value(), "file:///x");
}

TEST(LocationCrypt, RejectsValuesThatAreNotCiphertext) {
    auto cipher = location_cipher::create(secret(std::string("0123456789abcdef"))).value();
    const std::vector<std::string> bad = {
        "",                                 // nothing
        "file:///var/lib/glance/images/x",  // a plaintext URL (never encrypted)
        "AAAAAAAAAAAAAAAAAAAAAA",           // one block's worth, no padding
        "AAAAAAAAAAAAAAAAAAAAAA==",         // 16 bytes: an IV and no block
        std::string(48, 'A'),               // 36 bytes: not whole blocks
        "QUJD",                             // 3 bytes
        "QUJ",                              // missing padding
        "Q",                                // one sextet
    };
    for (const auto& value : bad) {
        auto plain = cipher.decrypt(value);
        EXPECT_FALSE(plain) << "'" << value << "' decrypted to '" << *plain << "'";
        if (!plain) {
            EXPECT_EQ(plain.error().code, make_error_code(db_errc::bad_ciphertext));
        }
    }
}

TEST(LocationCrypt, EncryptsEveryLengthAroundTheBlockSize) {
    auto cipher = location_cipher::create(secret(std::string(32, 'z'))).value();
    for (std::size_t n = 0; n <= 48; ++n) {
        std::string url = "s3://h/" + std::string(n, 'p');
        auto round = cipher.encrypt(url);
        ASSERT_TRUE(round);
        auto back = cipher.decrypt(*round);
        ASSERT_TRUE(back) << n;
        EXPECT_EQ(*back, url);
    }
}

}  // namespace
}  // namespace imgstore::glance_db
