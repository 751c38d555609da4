#include "volume_types.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "cli_io.hpp"
#include "detail/text.hpp"
#include "detail/utf8.hpp"

namespace imgstore::cli {
namespace {

using detail::ascii_lower;
using detail::is_valid_utf8;
using detail::strip_blanks;

constexpr std::size_t max_volume_types_line = 64u << 10;

// What is wrong with one line (after its line end is dropped), or "" when it is a pair or
// ignored. `id` and `type` are set for a pair.
std::string parse_volume_type_line(std::string_view line,
                                   std::string_view& id,
                                   std::string_view& type) {
    id = type = {};
    if (line.find('\0') != std::string_view::npos) return "NUL byte";
    if (!is_valid_utf8(line)) return "not valid UTF-8";
    line = strip_blanks(line);
    if (line.empty() || line.front() == '#') return {};
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) return "expected volume-id<TAB>volume-type";
    id = strip_blanks(line.substr(0, tab));
    type = strip_blanks(line.substr(tab + 1));
    if (id.empty() || type.empty()) return "expected volume-id<TAB>volume-type";
    // Volume ids are UUIDs: a byte that is not printable ASCII (a blank, a BOM in the middle
    // of a concatenated file) would only make an id that never matches.
    for (const char c : id) {
        if (c <= ' ' || c > '~') return "volume id holds a blank or a byte outside printable ASCII";
    }
    for (const char c : type) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            return "control character (or tab) inside the volume type";
        }
    }
    return {};
}

}  // namespace

std::string volume_types::read(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rbe"),
                                                         &std::fclose);
    if (!file) return path + ": cannot open: " + std::strerror(errno);
    line_reader in(file.get(), max_volume_types_line);
    std::string_view line;
    bool newline = false;
    for (std::size_t number = 1;; ++number) {
        const auto st = in.next(line, newline);
        if (st == line_reader::status::end) return {};
        const std::string where = path + ":" + std::to_string(number) + ": ";
        if (st == line_reader::status::error)
            return path + ": cannot read: " + std::strerror(errno);
        if (st == line_reader::status::partial) return where + "line longer than 64 KiB";
        if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
        if (line.ends_with('\r')) line.remove_suffix(1);
        std::string_view id;
        std::string_view type;
        if (auto why = parse_volume_type_line(line, id, type); !why.empty()) return where + why;
        if (id.empty()) continue;
        auto [it, added] = types_.emplace(ascii_lower(id), std::string(type));
        if (!added && it->second != type) return where + "volume listed twice with different types";
    }
}

std::optional<std::string> volume_types::type_of(std::string_view volume_id) const {
    const auto it = types_.find(ascii_lower(volume_id));
    if (it == types_.end()) return std::nullopt;
    return it->second;
}

}  // namespace imgstore::cli
