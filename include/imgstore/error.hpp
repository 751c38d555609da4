// Error codes and the result<T> type returned by every fallible imgstore call.
// Laid out like Boost.URL's error.hpp: an enum, a category, and make_error_code so that
// `imgstore::errc` converts to boost::system::error_code.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace imgstore {

/// Error conditions of single calls (config loading reports diagnostics instead, see config.hpp;
/// resolving reports reason codes, see resolver.hpp). Each is produced by some call: a code
/// that nothing returns is not listed. Messages name the condition only: they never contain a
/// URL, a value or a secret.
enum class errc {
    bad_uri = 1,     ///< a location URL that its location class cannot parse (store.hpp)
    unknown_scheme,  ///< a URL whose scheme the store's location class does not handle
};

/// The category of imgstore::errc. Thread-safe; the object lives for the whole program.
const boost::system::error_category& error_category() noexcept;

/// Makes an error_code from an errc (found by ADL).
inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// The return type of fallible calls: a value or an error_code. Boost 1.81's result has no
/// value_or/and_then: test it (`if (!r) return r.error();`).
template <class T>
using result = boost::system::result<T>;

}  // namespace imgstore

namespace boost::system {
template <>
struct is_error_code_enum<::imgstore::errc> : std::true_type {};
}  // namespace boost::system
