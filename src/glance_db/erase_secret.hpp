// Private to imgstore::glance_db: the last line of defence for messages built from text we do
// not control (server errors, a URL's names), which might quote a password.
#pragma once

#include <string>
#include <string_view>

#include "imgstore/secret.hpp"

namespace imgstore::glance_db::internal {

/// Replaces every occurrence of `secret_text` in `text` by "***" (nothing when it is empty).
inline void erase_secret(std::string& text, std::string_view secret_text) {
    if (secret_text.empty()) return;
    for (auto at = text.find(secret_text); at != std::string::npos;
         at = text.find(secret_text, at + redacted_mark.size())) {
        text.replace(at, secret_text.size(), redacted_mark);
    }
}

}  // namespace imgstore::glance_db::internal
