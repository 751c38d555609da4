// A string that holds a credential (s3 keys, swift keys, passwords).
// It cannot be streamed or formatted as its value: every printable form is "***".
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace imgstore {

/// Owns a secret value. Printing it (operator<<, fmt, to_string) gives "***"; the value is
/// reachable only through `reveal()`, so a grep for reveal() finds every place that uses it.
class secret {
  public:
    secret() = default;
    explicit secret(std::string value) : value_(std::move(value)) {}

    /// The secret itself. Never log or format what this returns.
    std::string_view reveal() const noexcept { return value_; }
    bool empty() const noexcept { return value_.empty(); }

    friend bool operator==(const secret&, const secret&) = default;
    friend std::ostream& operator<<(std::ostream& os, const secret&) { return os << "***"; }

  private:
    std::string value_;
};

/// The redaction mark used wherever a secret would be printed.
inline constexpr std::string_view redacted_mark = "***";

inline std::string to_string(const secret&) { return std::string(redacted_mark); }

}  // namespace imgstore
