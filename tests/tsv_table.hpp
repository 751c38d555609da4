// Reads the tab-separated tables under tests/data that the TEST_P suites run over, and
// decodes the escapes their text fields use.
#pragma once

#include <cctype>
#include <cstddef>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace imgstore::test {

/// One row of a table: its fields (tab-separated, not trimmed) and its line in the file.
struct tsv_row {
    std::vector<std::string> fields;
    std::size_t line = 0;

    /// Field `i`, with "-" meaning empty. Throws std::out_of_range for a missing field, so a
    /// short row fails loudly instead of testing nothing.
    std::string field(std::size_t i) const {
        const std::string& f = fields.at(i);
        return f == "-" ? std::string() : f;
    }
};

/// Every row of `path`: blank lines and lines starting with '#' are skipped. Throws
/// std::runtime_error when the file cannot be read or a row has fewer than `min_fields`.
inline std::vector<tsv_row> read_tsv(const std::string& path, std::size_t min_fields) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::vector<tsv_row> rows;
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line.front() == '#') continue;
        tsv_row row;
        row.line = n;
        std::size_t start = 0;
        while (true) {
            const std::size_t tab = line.find('\t', start);
            row.fields.push_back(line.substr(start, tab - start));
            if (tab == std::string::npos) break;
            start = tab + 1;
        }
        if (row.fields.size() < min_fields) {
            throw std::runtime_error(path + ":" + std::to_string(n) + ": expected " +
                                     std::to_string(min_fields) + " tab-separated fields");
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

/// Table text to bytes: \n \r \t \\, \xNN (a byte) and \{N}c (N copies of c, for long inputs);
/// every other character as written, a lone '\' at the end too. Throws std::runtime_error on
/// any other escape, so a mistyped row fails instead of testing something else.
inline std::string unescape_table_text(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out.push_back(s[i]);
            continue;
        }
        char e = s[++i];
        switch (e) {
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case '\\':
                out.push_back('\\');
                break;
            case 'x':
                if (i + 2 >= s.size()) {
                    throw std::runtime_error("table: \\x needs two hex digits");
                }
                out.push_back(
                    static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
                i += 2;
                break;
            case '{': {
                const std::size_t close = s.find('}', i);
                if (close == std::string_view::npos || close + 1 >= s.size()) {
                    throw std::runtime_error("table: \\{N} needs a count and a character");
                }
                out.append(std::stoul(std::string(s.substr(i + 1, close - i - 1))), s[close + 1]);
                i = close + 1;
                break;
            }
            default:
                throw std::runtime_error("table: unknown escape \\" + std::string(1, e));
        }
    }
    return out;
}

/// A gtest-safe name for a row: letters and digits of `text` (others dropped), then "Line" and
/// the line number (a bare "L<n>" would read as an upstream vector code, doc/upstream.md).
inline std::string row_name(std::string_view text, std::size_t line) {
    std::string out;
    bool upper = true;
    for (char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
            upper = false;
        } else {
            upper = true;
        }
    }
    return out + "Line" + std::to_string(line);
}

}  // namespace imgstore::test
