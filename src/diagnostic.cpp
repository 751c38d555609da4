#include "imgstore/diagnostic.hpp"

#include <algorithm>

#include "detail/utf8.hpp"

namespace imgstore {

// Every part is escaped here, where each diagnostic becomes text, so that no byte of a config
// value, a section name or a file name (a --config-dir entry is named by whoever can write
// there) reaches a terminal or a log as a control byte, whichever of the many places that
// build diagnostics it came through. The section and key are cut as quoted values are; the
// message was bounded where it was built (values quoted with detail::cut_text).
std::string to_string(const diagnostic& d) {
    using detail::cut_text;
    using detail::escape_text;
    std::string out;
    if (d.level == severity::warning) out += "warning: ";
    if (!d.file.empty()) {
        out += escape_text(d.file);
        if (d.line != 0) {
            out += ':';
            out += std::to_string(d.line);
        }
        out += ": ";
    }
    if (!d.section.empty()) {
        out += '[';
        out += escape_text(cut_text(d.section));
        // "[fast] key: message", or "[fast]: message" when the problem has no key.
        out += d.key.empty() ? "]: " : "] ";
    }
    if (!d.key.empty()) {
        out += escape_text(cut_text(d.key));
        out += ": ";
    }
    out += escape_text(d.message);
    return out;
}

bool has_errors(const std::vector<diagnostic>& ds) noexcept {
    return std::any_of(ds.begin(), ds.end(),
                       [](const diagnostic& d) { return d.level == severity::error; });
}

}  // namespace imgstore
