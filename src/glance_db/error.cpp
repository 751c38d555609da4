#include "imgstore/glance_db/error.hpp"

#include <string>

namespace imgstore::glance_db {
namespace {

class db_category_impl final : public boost::system::error_category {
  public:
    // A fixed id keeps codes comparable across shared objects (as imgstore's own category).
    constexpr db_category_impl() noexcept : error_category(0x696d67676c646231ULL) {}

    const char* name() const noexcept override { return "imgstore.glance_db"; }

    std::string message(int ev) const override { return message(ev, nullptr, 0); }

    const char* message(int ev, char*, std::size_t) const noexcept override {
        switch (static_cast<db_errc>(ev)) {
            case db_errc::bad_url:
                return "malformed database connection URL";
            case db_errc::unsupported_driver:
                return "unsupported database driver";
            case db_errc::connect_failed:
                return "cannot connect to the database";
            case db_errc::not_glance:
                return "not a Glance database";
            case db_errc::query_failed:
                return "database statement failed";
            case db_errc::retries_exhausted:
                return "database conflicts persisted through every retry";
            case db_errc::aborted:
                return "transaction aborted before commit";
            case db_errc::bad_key:
                return "metadata_encryption_key is not 16, 24 or 32 bytes";
            case db_errc::bad_ciphertext:
                return "not an encrypted location value for this key";
            case db_errc::malformed_meta_data:
                return "meta_data is not a JSON object";
            case db_errc::has_store:
                return "meta_data already names a store";
            case db_errc::bad_store_id:
                return "store id is not UTF-8";
            case db_errc::invalid_argument:
                return "invalid argument";
        }
        return "unknown glance_db error";
    }
};

}  // namespace

const boost::system::error_category& db_category() noexcept {
    static const db_category_impl instance;
    return instance;
}

void throw_exception_from_error(const db_error& e, const boost::source_location&) {
    throw db_exception(e);
}

}  // namespace imgstore::glance_db
