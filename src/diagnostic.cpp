#include "imgstore/diagnostic.hpp"

#include <algorithm>

namespace imgstore {

std::string to_string(const diagnostic& d) {
    std::string out;
    if (d.level == severity::warning) out += "warning: ";
    if (!d.file.empty()) {
        out += d.file;
        if (d.line != 0) {
            out += ':';
            out += std::to_string(d.line);
        }
        out += ": ";
    }
    if (!d.section.empty()) {
        out += '[';
        out += d.section;
        // "[fast] key: message", or "[fast]: message" when the problem has no key.
        out += d.key.empty() ? "]: " : "] ";
    }
    if (!d.key.empty()) {
        out += d.key;
        out += ": ";
    }
    out += d.message;
    return out;
}

bool has_errors(const std::vector<diagnostic>& ds) noexcept {
    return std::any_of(ds.begin(), ds.end(),
                       [](const diagnostic& d) { return d.level == severity::error; });
}

}  // namespace imgstore
