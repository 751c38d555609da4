// What "safe for a terminal" means, as the tests and the fuzz targets check it: one definition,
// written apart from the library's escape_text (src/detail/utf8.hpp) so it checks that code
// instead of repeating it. Header-only: the fuzz targets include it without the test library.
#pragma once

#include <cstddef>
#include <string_view>

namespace imgstore::test {

/// The offset of the first byte of `text` that a terminal acts on, or npos: a C0 control (other
/// than '\n' when `newlines_allowed`), DEL, or the first byte of a C1 control (U+0080-U+009F,
/// C2 80-C2 9F). O(n).
inline std::size_t terminal_control_at(std::string_view text,
                                       bool newlines_allowed = true) noexcept {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        const bool c1 =
            b == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xA0;
        if ((b < 0x20 && !(newlines_allowed && b == '\n')) || b == 0x7F || c1) return i;
    }
    return std::string_view::npos;
}

}  // namespace imgstore::test
