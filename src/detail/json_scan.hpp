// A structural walk over JSON text that a strict parser (Boost.JSON) has already accepted: where
// each value begins and ends, and object keys decoded. Nothing is validated. The tool's record
// editing and the Glance database layer's meta_data splicing both edit such text in place, so
// that every byte outside the edit stays as written, and share this walk.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace imgstore::detail {

/// Appends the value of the body of a JSON string (the text between its quotes) from accepted
/// text: escapes decoded, a \uXXXX surrogate pair joined. Boost.JSON rejects a lone surrogate
/// escape, so none reaches here; one would be decoded as U+FFFD. O(size).
void decode_json_string(std::string_view body, std::string& out);

/// The walk over one accepted text; holds a view of it (which must outlive the walk). Offsets
/// past the end read as '\0'. Thread-compatible (const).
class json_scan {
  public:
    explicit json_scan(std::string_view accepted) : s_(accepted) {}

    /// The first offset at or after `i` that is not JSON white space.
    std::size_t skip_space(std::size_t i) const noexcept;

    char at(std::size_t i) const noexcept { return i < s_.size() ? s_[i] : '\0'; }

    /// `i` is at a string's opening quote: the offset just after its closing quote. O(length).
    std::size_t string_end(std::size_t i) const noexcept;

    /// `i` is at the first byte of a value: the offset just after its last. O(length).
    std::size_t value_end(std::size_t i) const noexcept;

    /// Calls f(key, value_begin, value_end) for each member of the object whose '{' is at
    /// `open`, in text order. `key` is decoded (a key written "loc\u0061tions" is "locations")
    /// and lives until f returns.
    template <class F>
    void members(std::size_t open, F&& f) const {
        std::size_t i = skip_space(open + 1);
        if (at(i) == '}') return;
        std::string decoded;
        for (;;) {
            const std::size_t key_end = string_end(i);
            std::string_view key = s_.substr(i + 1, key_end - i - 2);
            if (key.find('\\') != std::string_view::npos) {
                decoded.clear();
                decode_json_string(key, decoded);
                key = decoded;
            }
            const std::size_t value = skip_space(skip_space(key_end) + 1);  // past ':'
            const std::size_t value_stop = value_end(value);
            f(key, value, value_stop);
            i = skip_space(value_stop);
            if (at(i) != ',') return;
            i = skip_space(i + 1);
        }
    }

    /// Calls f(begin, end) for each element of the array whose '[' is at `open`.
    template <class F>
    void elements(std::size_t open, F&& f) const {
        std::size_t i = skip_space(open + 1);
        if (at(i) == ']') return;
        for (;;) {
            const std::size_t stop = value_end(i);
            f(i, stop);
            i = skip_space(stop);
            if (at(i) != ',') return;
            i = skip_space(i + 1);
        }
    }

  private:
    std::string_view s_;
};

}  // namespace imgstore::detail
