// Decoding of the escapes the glance_db test tables use, and db_errc names.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "imgstore/glance_db/error.hpp"

namespace imgstore::test {

/// Table text to bytes: \n \r \t \\ and \xNN (a byte); every other character as written.
inline std::string unescape_table_text(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out.push_back(s[i]);
            continue;
        }
        char e = s[++i];
        switch (e) {
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case '\\':
                out.push_back('\\');
                break;
            case 'x':
                if (i + 2 >= s.size()) {
                    throw std::runtime_error("table: \\x needs two hex digits");
                }
                out.push_back(
                    static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
                i += 2;
                break;
            default:
                throw std::runtime_error("table: unknown escape \\" + std::string(1, e));
        }
    }
    return out;
}

/// The db_errc a table names (its enumerator's name).
inline glance_db::db_errc db_errc_named(std::string_view name) {
    using glance_db::db_errc;
    struct entry {
        std::string_view name;
        db_errc code;
    };
    static constexpr entry names[] = {
        {"bad_url", db_errc::bad_url},
        {"unsupported_driver", db_errc::unsupported_driver},
        {"connect_failed", db_errc::connect_failed},
        {"not_glance", db_errc::not_glance},
        {"query_failed", db_errc::query_failed},
        {"retries_exhausted", db_errc::retries_exhausted},
        {"aborted", db_errc::aborted},
        {"bad_key", db_errc::bad_key},
        {"bad_ciphertext", db_errc::bad_ciphertext},
        {"malformed_meta_data", db_errc::malformed_meta_data},
        {"has_store", db_errc::has_store},
        {"bad_store_id", db_errc::bad_store_id},
        {"invalid_argument", db_errc::invalid_argument},
    };
    for (const auto& e : names) {
        if (e.name == name) return e.code;
    }
    throw std::runtime_error("table: unknown db_errc " + std::string(name));
}

}  // namespace imgstore::test
