// Reads the tab-separated tables under tests/data that the TEST_P suites run over.
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
