// The db_errc names the glance_db test tables use.
#pragma once

#include <string_view>

#include "imgstore/glance_db/error.hpp"

namespace imgstore::test {

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
