#include "imgstore/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <system_error>
#include <utility>

#include "detail/store_options.hpp"
#include "detail/text.hpp"

namespace imgstore {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view lstrip(std::string_view s) noexcept {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    return s;
}

std::string_view rstrip(std::string_view s) noexcept {
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view strip(std::string_view s) noexcept { return lstrip(rstrip(s)); }

// Offset of the first byte that is not part of strict UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or npos when `s` is valid.
std::size_t invalid_utf8_at(std::string_view s) noexcept {
    const auto* begin = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = begin + s.size();
    const auto* p = begin;
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        std::ptrdiff_t n = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;  // overlong
            if (c == 0xED) hi = 0x9F;  // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;  // overlong
            if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
        } else {
            return static_cast<std::size_t>(p - begin);
        }
        if (end - p <= n || p[1] < lo || p[1] > hi) return static_cast<std::size_t>(p - begin);
        for (std::ptrdiff_t i = 2; i <= n; ++i) {
            if (p[i] < 0x80 || p[i] > 0xBF) return static_cast<std::size_t>(p - begin);
        }
        p += n + 1;
    }
    return std::string_view::npos;
}

std::string too_large_message(const config_limits& limits) {
    return fmt::format("config file is larger than the limit of {} bytes", limits.max_file_bytes);
}

// The oslo.config INI dialect (oslo_config/iniparser.py), one file at a time, collecting every
// problem instead of stopping at the first. See doc/config-dialect.md for the decisions.
class ini_reader {
  public:
    ini_reader(glance_config& into, std::string_view file, std::vector<diagnostic>& out)
        : into_(into), file_(file), out_(out) {}

    void read(std::string_view text) {
        if (text.starts_with(utf8_bom)) text.remove_prefix(utf8_bom.size());
        std::uint32_t line_no = 0;
        // Python's universal newlines, as oslo reads files in text mode: \n, \r\n and a lone \r.
        while (!text.empty()) {
            const std::size_t eol = text.find_first_of("\r\n");
            std::string_view line = text.substr(0, eol);
            std::size_t next = text.size();
            if (eol != std::string_view::npos) {
                next = eol + 1;
                if (text[eol] == '\r' && next < text.size() && text[next] == '\n') ++next;
            }
            text.remove_prefix(next);
            read_line(line, ++line_no);
        }
        flush();
    }

  private:
    enum class section_state { none, valid, broken };
    enum class pending_state { none, value, discard };

    void report(severity level, std::uint32_t line, std::string message, std::string_view key) {
        // Keys come from arbitrary lines (`cinder_store_password SENTINEL:x` has the key
        // `cinder_store_password SENTINEL`): only a bounded, value-free form is shown.
        out_.push_back({level, std::string(file_), line,
                        section_state_ == section_state::valid ? section_ : std::string(),
                        key.empty() ? std::string() : detail::printable_key(key),
                        std::move(message)});
    }
    void error(std::uint32_t line, std::string message, std::string_view key = {}) {
        report(severity::error, line, std::move(message), key);
    }
    void warning(std::uint32_t line, std::string message, std::string_view key = {}) {
        report(severity::warning, line, std::move(message), key);
    }

    // A line with a NUL byte or invalid UTF-8. It keeps its place in the structure (header,
    // key line or continuation) so that the lines around it are read as they would be, but
    // nothing from it reaches the config.
    void read_bad_line(std::string_view raw, std::uint32_t line_no) {
        std::string message;
        if (std::size_t nul = raw.find('\0'); nul != std::string_view::npos) {
            message = fmt::format("NUL byte (byte {} of the line)", nul + 1);
        } else {
            message = fmt::format("invalid UTF-8 (byte {} of the line)", invalid_utf8_at(raw) + 1);
        }
        const std::string_view line = rstrip(raw);
        if (is_blank(line.front())) {
            std::string key = pending_ == pending_state::value ? pending_key_ : std::string();
            if (pending_ == pending_state::value) pending_ = pending_state::discard;
            return error(line_no, std::move(message), key);
        }
        flush();
        if (line.front() == '[') {
            section_state_ = section_state::broken;  // the entries below belong to no known section
            return error(line_no, std::move(message));
        }
        if (line.front() == '#' || line.front() == ';') return error(line_no, std::move(message));
        pending_ = pending_state::discard;
        const std::size_t split = line.find_first_of(":=");
        std::string_view key;
        if (split != std::string_view::npos) key = strip(line.substr(0, split));
        if (key.find('\0') != std::string_view::npos ||
            invalid_utf8_at(key) != std::string_view::npos) {
            key = {};  // the bad byte is in the key itself: do not echo it
        }
        error(line_no, std::move(message), key);
    }

    void read_line(std::string_view raw, std::uint32_t line_no) {
        if (raw.find('\0') != std::string_view::npos ||
            invalid_utf8_at(raw) != std::string_view::npos) {
            return read_bad_line(raw, line_no);
        }
        const std::string_view line = rstrip(raw);
        if (line.empty()) return flush();  // a blank line ends a multi-line value
        if (is_blank(line.front())) return read_continuation(lstrip(line), line_no);
        flush();
        if (line.front() == '[') return read_header(line, line_no);
        if (line.front() == '#' || line.front() == ';') return;  // comments start in column 1
        read_assignment(line, line_no);
    }

    void read_continuation(std::string_view text, std::uint32_t line_no) {
        const bool comment_like = text.front() == '#' || text.front() == ';';
        switch (pending_) {
            case pending_state::value:
                if (comment_like) {
                    warning(line_no,
                            "indented comment is read as part of the value above (oslo.config "
                            "continues a value on every indented line); start comments in "
                            "column 1",
                            pending_key_);
                }
                pending_value_ += '\n';
                pending_value_ += text;
                return;
            case pending_state::discard:
                return;  // continues a line that was already reported
            case pending_state::none:
                break;
        }
        if (comment_like) {
            return error(line_no,
                         "indented comment: oslo.config reads an indented line as the "
                         "continuation of a value and there is none here; start comments in "
                         "column 1");
        }
        error(line_no,
              "indented line continues no value (a blank line, comment or section header ended "
              "the previous one)");
    }

    void read_header(std::string_view line, std::uint32_t line_no) {
        if (line.back() != ']') {
            section_state_ = section_state::broken;
            return error(line_no, "section header has no closing ']'");
        }
        if (line.size() == 2) {
            section_state_ = section_state::broken;
            return error(line_no, "empty section name '[]'");
        }
        section_ = std::string(line.substr(1, line.size() - 2));
        section_state_ = section_state::valid;
        into_.add_section(section_, file_, line_no);
        if (is_blank(section_.front()) || is_blank(section_.back())) {
            warning(line_no,
                    "section name has leading or trailing blanks, which are part of the name "
                    "(oslo.config does not strip them)");
        }
    }

    void read_assignment(std::string_view line, std::uint32_t line_no) {
        pending_ = pending_state::discard;                   // until the line proves good
        const std::size_t split = line.find_first_of(":=");  // the first of either wins
        if (split == std::string_view::npos) {
            return error(line_no,
                         "line has no '=' or ':' (expected a [section] header, a comment or "
                         "key = value)");
        }
        const std::string_view key = strip(line.substr(0, split));
        std::string_view value = strip(line.substr(split + 1));
        if (key.empty()) return error(line_no, "empty key before '=' or ':'");
        if (section_state_ == section_state::none) {
            return error(line_no, "key before any [section] header", key);
        }
        if (section_state_ == section_state::broken) return;  // the header was reported
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.front() == value.back()) {
            value = value.substr(1, value.size() - 2);
        }
        pending_ = pending_state::value;
        pending_key_ = std::string(key);
        pending_value_ = std::string(value);
        pending_line_ = line_no;
    }

    void flush() {
        const bool have_value = pending_ == pending_state::value;
        pending_ = pending_state::none;
        if (!have_value) return;
        if (pending_value_.find('/') != std::string::npos &&
            (pending_value_.find(" #") != std::string::npos ||
             pending_value_.find("\t#") != std::string::npos) &&
            !detail::is_secret_option(detail::ascii_lower(pending_key_))) {
            warning(pending_line_,
                    "inline '#' is part of the value (oslo.config has no inline comments)",
                    pending_key_);
        }
        if (!detail::is_multi_valued_option(pending_key_)) {
            std::string id = detail::ascii_lower(section_);
            id += '\n';  // cannot occur in a section name or key
            id += pending_key_;
            auto [it, inserted] = seen_.try_emplace(std::move(id), pending_line_);
            if (!inserted) {
                warning(pending_line_,
                        fmt::format("repeated in this section; line {} wins over line {}",
                                    pending_line_, it->second),
                        pending_key_);
                it->second = pending_line_;
            }
        }
        into_.add(section_, pending_key_, pending_value_, file_, pending_line_);
    }

    glance_config& into_;
    std::string_view file_;
    std::vector<diagnostic>& out_;
    section_state section_state_ = section_state::none;
    std::string section_;
    pending_state pending_ = pending_state::none;
    std::string pending_key_;
    std::string pending_value_;
    std::uint32_t pending_line_ = 0;
    // "<lower-cased section>\n<key>" -> line of its latest occurrence in this file
    std::unordered_map<std::string, std::uint32_t> seen_;
};

struct file_closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

std::string errno_message(int err) { return std::generic_category().message(err); }

void read_file(glance_config& into,
               const fs::path& path,
               std::vector<diagnostic>& out,
               const config_limits& limits) {
    const std::string name = path.string();
    auto fail = [&](std::string message) {
        out.push_back({severity::error, name, 0, "", "", std::move(message)});
    };
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (st.type() == fs::file_type::not_found) return fail("config file not found");
    if (ec) return fail("cannot read config file: " + ec.message());
    if (st.type() == fs::file_type::directory) {
        return fail("is a directory, not a config file (use --config-dir for a directory)");
    }
    if (st.type() == fs::file_type::regular) {
        const std::uintmax_t size = fs::file_size(path, ec);
        if (!ec && size > limits.max_file_bytes) return fail(too_large_message(limits));
    }
    // Other file types (a pipe from process substitution, /dev/stdin) are read as a stream;
    // the limit is enforced while reading, which also covers a file that grows meanwhile.
    errno = 0;
    std::unique_ptr<std::FILE, file_closer> f(std::fopen(path.c_str(), "rb"));
    if (!f) return fail("cannot open config file: " + errno_message(errno));
    std::string text;
    char buffer[64 * 1024];
    while (true) {
        const std::size_t n = std::fread(buffer, 1, sizeof buffer, f.get());
        text.append(buffer, n);
        if (text.size() > limits.max_file_bytes) return fail(too_large_message(limits));
        if (n < sizeof buffer) break;
    }
    if (std::ferror(f.get())) return fail("cannot read config file: " + errno_message(errno));
    parse_config_text(into, text, name, out, limits);
}

void read_directory(glance_config& into,
                    const fs::path& dir,
                    std::vector<diagnostic>& out,
                    const config_limits& limits) {
    auto fail = [&](const fs::path& where, severity level, std::string message) {
        out.push_back({level, where.string(), 0, "", "", std::move(message)});
    };
    std::error_code ec;
    const fs::file_status st = fs::status(dir, ec);
    if (st.type() == fs::file_type::not_found) {
        return fail(dir, severity::error, "config directory not found");
    }
    if (ec) return fail(dir, severity::error, "cannot read config directory: " + ec.message());
    if (st.type() != fs::file_type::directory) {
        return fail(dir, severity::error, "is not a directory (--config-dir needs a directory)");
    }
    // As oslo's glob(dir/*.conf): names starting with '.' are hidden and not read.
    std::vector<std::string> names;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.starts_with('.') || !name.ends_with(".conf")) continue;
        names.push_back(std::move(name));
    }
    if (ec) return fail(dir, severity::error, "cannot list config directory: " + ec.message());
    std::sort(names.begin(), names.end());  // byte order: char_traits<char> compares unsigned
    for (const std::string& name : names) {
        const fs::path path = dir / name;
        std::error_code type_ec;
        const fs::file_type type = fs::status(path, type_ec).type();
        if (type == fs::file_type::regular || type == fs::file_type::not_found) {
            read_file(into, path, out, limits);  // a dangling symlink is reported as not found
        } else {
            fail(path, severity::warning, "not a regular file; not read as config");
        }
    }
}

}  // namespace

void glance_config::add_section(std::string_view section,
                                std::string_view file,
                                std::uint32_t line) {
    auto [it, inserted] = index_.try_emplace(detail::ascii_lower(section));
    if (inserted) sections_.push_back({std::string(section), "", "", std::string(file), line});
}

const config_entry* glance_config::section_origin(std::string_view name) const {
    if (!has_section(name)) return nullptr;
    for (const config_entry& s : sections_) {
        if (detail::iequals(s.section, name)) return &s;
    }
    return nullptr;
}

void glance_config::add(std::string_view section,
                        std::string_view key,
                        std::string_view value,
                        std::string_view file,
                        std::uint32_t line) {
    auto [it, inserted] = index_.try_emplace(detail::ascii_lower(section));
    if (inserted) sections_.push_back({std::string(section), "", "", std::string(file), line});
    entries_.push_back(
        {std::string(section), std::string(key), std::string(value), std::string(file), line});
    try {
        it->second.push_back(entries_.size() - 1);
    } catch (...) {
        entries_.pop_back();
        throw;
    }
}

std::vector<const config_entry*> glance_config::all(std::string_view section,
                                                    std::string_view key) const {
    std::vector<const config_entry*> out;
    auto it = index_.find(detail::ascii_lower(section));
    if (it == index_.end()) return out;
    for (std::size_t i : it->second) {
        if (entries_[i].key == key) out.push_back(&entries_[i]);
    }
    return out;
}

const config_entry* glance_config::last(std::string_view section, std::string_view key) const {
    auto it = index_.find(detail::ascii_lower(section));
    if (it == index_.end()) return nullptr;
    for (auto i = it->second.rbegin(); i != it->second.rend(); ++i) {
        if (entries_[*i].key == key) return &entries_[*i];
    }
    return nullptr;
}

std::vector<const config_entry*> glance_config::section(std::string_view name) const {
    std::vector<const config_entry*> out;
    auto it = index_.find(detail::ascii_lower(name));
    if (it == index_.end()) return out;
    out.reserve(it->second.size());
    for (std::size_t i : it->second) out.push_back(&entries_[i]);
    return out;
}

bool glance_config::has_section(std::string_view name) const {
    return index_.find(detail::ascii_lower(name)) != index_.end();
}

std::vector<std::string> glance_config::section_names() const {
    std::vector<std::string> out;
    out.reserve(sections_.size());
    for (const config_entry& s : sections_) out.push_back(s.section);
    return out;
}

void parse_config_text(glance_config& into,
                       std::string_view text,
                       std::string_view file_name,
                       std::vector<diagnostic>& out,
                       const config_limits& limits) {
    if (text.size() > limits.max_file_bytes) {
        out.push_back(
            {severity::error, std::string(file_name), 0, "", "", too_large_message(limits)});
        return;
    }
    ini_reader(into, file_name, out).read(text);
}

config_load parse_config(std::string_view text,
                         std::string_view file_name,
                         const config_limits& limits) {
    config_load result;
    parse_config_text(result.config, text, file_name, result.diagnostics, limits);
    return result;
}

namespace {

// oslo's _fixpath: `~` expanded, then made absolute and normalised (os.path.abspath).
fs::path oslo_fixpath(const fs::path& p) {
    fs::path out = p;
    const std::string text = p.string();
    if (text == "~" || text.starts_with("~/")) {
        if (const char* home = std::getenv("HOME"); home && *home) {
            out = fs::path(home) / text.substr(std::min<std::size_t>(text.size(), 2));
        }
    }
    std::error_code ec;
    fs::path absolute = fs::absolute(out, ec);
    out = (ec ? out : absolute).lexically_normal();
    // abspath drops a trailing separator: "/home/u/" is "/home/u".
    if (!out.has_filename() && out != out.root_path()) out = out.parent_path();
    return out;
}

}  // namespace

file_search find_config_file(const fs::path& name, const config_sources& sources) {
    file_search result;
    auto try_path = [&](const fs::path& candidate) {
        std::error_code ec;
        if (fs::exists(candidate, ec)) result.found = candidate;
        return result.found.has_value();
    };
    if (name.is_absolute()) {
        try_path(name);
        return result;
    }
    std::vector<fs::path> dirs;
    if (sources.directory) dirs.push_back(oslo_fixpath(*sources.directory));
    for (auto f = sources.files.rbegin(); f != sources.files.rend(); ++f) {
        dirs.push_back(oslo_fixpath(*f).parent_path());
    }
    for (std::string_view d : {"~/.glance", "~"}) dirs.push_back(oslo_fixpath(fs::path(d)));
    dirs.emplace_back("/etc/glance");
    dirs.emplace_back("/etc");
    for (const fs::path& dir : dirs) {
        result.searched.push_back(dir);
        if (try_path(dir / name)) break;
    }
    return result;
}

config_load read_config(const config_sources& sources, const config_limits& limits) {
    config_load result;
    result.config.set_sources(sources);
    for (const fs::path& file : sources.files) {
        read_file(result.config, file, result.diagnostics, limits);
    }
    if (sources.directory) {
        read_directory(result.config, *sources.directory, result.diagnostics, limits);
    }
    return result;
}

}  // namespace imgstore
