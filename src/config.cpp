#include "imgstore/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <system_error>
#include <utility>

#include "detail/ini_reader.hpp"
#include "detail/text.hpp"
#include "drivers/driver.hpp"
#include "imgstore/location.hpp"  // redact_url

namespace imgstore {
namespace {

namespace fs = std::filesystem;

std::string too_large_message(const config_limits& limits) {
    return fmt::format("config file is larger than the limit of {} bytes", limits.max_file_bytes);
}

struct file_closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

std::string errno_message(int err) { return std::generic_category().message(err); }

// How a config path is named in diagnostics: a URL pasted where a path belongs
// (`--config-file 's3://AK:SECRET@host/x'`) is shown without its userinfo.
std::string display_path(const fs::path& path) {
    const std::string text = path.string();
    return text.find("://") == std::string::npos ? text : redact_url(text);
}

// One file's text, read in the INI dialect with `rules`.
void parse_text(glance_config& into,
                std::string_view text,
                std::string_view file_name,
                std::vector<diagnostic>& out,
                const config_limits& limits,
                const detail::ini_key_rules& rules) {
    if (text.size() > limits.max_file_bytes) {
        out.push_back(
            {severity::error, std::string(file_name), 0, "", "", too_large_message(limits)});
        return;
    }
    detail::read_ini(into, text, file_name, out, rules);
}

void read_file(glance_config& into,
               const fs::path& path,
               std::vector<diagnostic>& out,
               const config_limits& limits,
               const detail::ini_key_rules& rules) {
    const std::string name = display_path(path);
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
    parse_text(into, text, name, out, limits, rules);
}

void read_directory(glance_config& into,
                    const fs::path& dir,
                    std::vector<diagnostic>& out,
                    const config_limits& limits) {
    auto fail = [&](const fs::path& where, severity level, std::string message) {
        out.push_back({level, display_path(where), 0, "", "", std::move(message)});
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
            // A dangling symlink is reported as not found.
            read_file(into, path, out, limits, detail::option_name_rules());
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
    // What the INI reader must know of glance's options (which accumulate, which are secret,
    // how a mistyped key is shown), from the drivers' declarations.
    parse_text(into, text, file_name, out, limits, detail::option_name_rules());
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
        read_file(result.config, file, result.diagnostics, limits, detail::option_name_rules());
    }
    if (sources.directory) {
        read_directory(result.config, *sources.directory, result.diagnostics, limits);
    }
    return result;
}

config_load detail::read_config_file(const fs::path& path,
                                     const config_limits& limits,
                                     const ini_key_rules& rules) {
    config_load result;
    result.config.set_sources({.files = {path}});
    read_file(result.config, path, result.diagnostics, limits, rules);
    return result;
}

}  // namespace imgstore
