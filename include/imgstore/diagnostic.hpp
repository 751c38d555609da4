// Diagnostics: the errors and warnings that config loading returns as data.
// Each one names where it comes from (file, line, section, key) and never holds a secret value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace imgstore {

/// How bad a diagnostic is. Any `error` makes a load fail as a whole.
enum class severity { warning, error };

/// One problem found while reading or checking configuration. The fields hold text as read:
/// a section name, a file name or a value quoted in the message may hold any byte the config
/// held (values quoted in a message are cut to 64 characters and "..."). Print a diagnostic
/// through `to_string`, which escapes it; a program that shows one field alone must escape it.
struct diagnostic {
    severity level = severity::error;
    std::string file;        ///< config file name, "<memory>" for text, "" when not from a file
    std::uint32_t line = 0;  ///< 1-based line; 0 when the problem has no single line
    std::string section;  ///< section as written in the file ("DEFAULT", "fast", ...), may be empty
    std::string key;      ///< option name, may be empty
    std::string message;  ///< what is wrong; never contains a secret value

    friend bool operator==(const diagnostic&, const diagnostic&) = default;
};

/// Formats as `file:line: [section] key: message` (parts that are empty are left out), prefixed
/// with `warning: ` for warnings. Safe for a terminal or a log: every part is escaped (`\\`,
/// `\n`, `\r`, `\t`, and `\xHH` for every other control byte, C1 control and byte that is not
/// UTF-8), so the text is one line without a byte a terminal acts on; the section and key are cut
/// to 64 characters. Never throws except std::bad_alloc. O(size of the diagnostic).
std::string to_string(const diagnostic& d);

/// True if any diagnostic in `ds` is an error.
bool has_errors(const std::vector<diagnostic>& ds) noexcept;

}  // namespace imgstore
