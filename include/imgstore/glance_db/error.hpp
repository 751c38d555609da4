// Errors of the Glance database layer: an error code for programs and a message for operators.
// Every message names what it is about (host and database, table, row id) and never holds a
// password, an encryption key or a location URL's userinfo.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>

namespace imgstore::glance_db {

/// What went wrong, for a caller to branch on (the tool maps these to exit statuses).
enum class db_errc {
    bad_url = 1,          ///< `[database] connection` is not a URL we can read
    unsupported_driver,   ///< a dialect or driver other than sqlite, postgresql, mysql/mariadb
    connect_failed,       ///< the server cannot be reached, refused us, or the password is wrong
    not_glance,           ///< the database lacks Glance's tables or columns
    query_failed,         ///< a statement failed (not a transient conflict)
    retries_exhausted,    ///< deadlocks, serialization failures, lock timeouts or SQLite busy
                          ///< persisted through every retry
    aborted,              ///< the caller's before-commit hook failed; the transaction rolled back
    bad_key,              ///< a metadata_encryption_key that is not 16, 24 or 32 bytes
    bad_ciphertext,       ///< a value that is not Glance's urlsafe AES ciphertext for this key
    malformed_meta_data,  ///< meta_data that is not a JSON object (or is ambiguous); never edited
    has_store,            ///< splice_store on meta_data that already names a store
    bad_store_id,         ///< a store id that is not valid UTF-8
    invalid_argument,     ///< a call's arguments break its contract (e.g. duplicate row ids)
};

/// The category of db_errc. Thread-safe; the object lives for the whole program.
const boost::system::error_category& db_category() noexcept;

/// Makes an error_code from a db_errc (found by ADL).
inline boost::system::error_code make_error_code(db_errc e) noexcept {
    return {static_cast<int>(e), db_category()};
}

/// An error with the sentence an operator reads, e.g. "cannot connect to postgresql database
/// 'glance' on db.example.com:5432: password authentication failed for user \"glance\"".
/// `message` is safe to print: it never contains a secret.
struct db_error {
    boost::system::error_code code;
    std::string message;
};

/// Thrown only by `db_result<T>::value()` on an error (the library itself never throws its
/// own exceptions); `what()` is the safe message.
class db_exception : public std::runtime_error {
  public:
    explicit db_exception(const db_error& e) : std::runtime_error(e.message), code_(e.code) {}
    const boost::system::error_code& code() const noexcept { return code_; }

  private:
    boost::system::error_code code_;
};

/// Found by ADL from boost::system::result<T, db_error>::value().
[[noreturn]] void throw_exception_from_error(const db_error& e, const boost::source_location&);

/// The return type of fallible calls of this layer (Boost 1.81's result has no value_or:
/// `if (!r) return r.error();`).
template <class T>
using db_result = boost::system::result<T, db_error>;

}  // namespace imgstore::glance_db

namespace boost::system {
template <>
struct is_error_code_enum<::imgstore::glance_db::db_errc> : std::true_type {};
}  // namespace boost::system
