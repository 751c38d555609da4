// The operator's Glance configuration as read from oslo.config-style INI files
// (`--config-file`, `--config-dir`), from text, or built in code by a service without files.
// Only the raw key/value layer lives here; store_registry (registry.hpp) interprets it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "imgstore/diagnostic.hpp"

namespace imgstore {

/// One `key = value` occurrence, with where it was read.
struct config_entry {
    std::string section;     ///< section name as written
    std::string key;         ///< key as written (oslo option names are lower-case)
    std::string value;       ///< stripped, quotes removed, continuation lines joined with '\n'
    std::string file;        ///< file name, "<memory>" or a caller-supplied name
    std::uint32_t line = 0;  ///< line of the key (0 for entries added in code)
};

/// Where to read config from, as oslo.config's command-line options.
struct config_sources {
    std::vector<std::filesystem::path> files;  ///< `--config-file`, later override earlier
    std::optional<std::filesystem::path>
        directory;  ///< `--config-dir`: `*.conf`, sorted, read last
};

/// Limits that protect the loader from hostile or mistaken input.
struct config_limits {
    std::size_t max_file_bytes = 8u << 20;  ///< per file; larger is an error naming the file
};

/// The merged config: every occurrence of every key, in read order (files in the order given,
/// then `--config-dir` files sorted by name). Sections are matched case-insensitively, as
/// oslo.config lower-cases group names. A value type: copyable, no shared state; concurrent
/// const use is safe, mutation needs external synchronisation.
class glance_config {
  public:
    /// Appends an occurrence; used by the parser and by services that build config in code.
    void add(std::string_view section,
             std::string_view key,
             std::string_view value,
             std::string_view file = "<api>",
             std::uint32_t line = 0);

    /// Every occurrence of `key` in `section` (section case-insensitive, key exact), in read
    /// order. Views point into this object and live until it is modified or destroyed.
    /// O(entries of the section), as are last() and section().
    std::vector<const config_entry*> all(std::string_view section, std::string_view key) const;

    /// The last occurrence of `key` in `section` (oslo: later files override), or nullptr.
    const config_entry* last(std::string_view section, std::string_view key) const;

    /// Every entry of `section`, in read order. Empty when the section does not exist.
    std::vector<const config_entry*> section(std::string_view section) const;

    /// True if a `[section]` header or entry was seen (case-insensitive).
    bool has_section(std::string_view section) const;

    /// Section names in first-seen order, as first written.
    std::vector<std::string> section_names() const;

    /// Every entry, in read order.
    std::span<const config_entry> entries() const noexcept { return entries_; }

    /// Records a section header without entries (so `has_section` sees empty sections).
    /// `file` and `line` say where it was first seen (see `section_origin`).
    void add_section(std::string_view section,
                     std::string_view file = "<api>",
                     std::uint32_t line = 0);

    /// Where `section` was first declared (its header, or its first entry when built in code):
    /// an entry with empty key and value, or nullptr when the section does not exist.
    const config_entry* section_origin(std::string_view section) const;

    /// The sources this config was read from (set by read_config; empty for config built in
    /// code unless the caller sets them). Files the config names (`swift_store_config_file`)
    /// are looked up beside them, as oslo.config's find_file does.
    const config_sources& sources() const noexcept { return sources_; }
    void set_sources(config_sources sources) { sources_ = std::move(sources); }

  private:
    std::vector<config_entry> entries_;
    std::vector<config_entry> sections_;  // name as first written and where, first-seen order
    // lower-cased section name -> indices into entries_, in read order
    std::unordered_map<std::string, std::vector<std::size_t>> index_;
    config_sources sources_;
};

/// Outcome of reading config: the config (complete only when `diagnostics` has no error) and
/// every problem found, errors and warnings, each with file and line.
struct config_load {
    glance_config config;
    std::vector<diagnostic> diagnostics;
    bool ok() const noexcept { return !has_errors(diagnostics); }
};

/// Parses one file's text in the oslo.config INI dialect and appends it to `into`; problems go to
/// `out` (never throws on bad input). `file_name` is used in entries and diagnostics.
void parse_config_text(glance_config& into,
                       std::string_view text,
                       std::string_view file_name,
                       std::vector<diagnostic>& out,
                       const config_limits& limits = {});

/// Parses one text as a whole config. Thread-safe (no shared state).
[[nodiscard]] config_load parse_config(std::string_view text,
                                       std::string_view file_name = "<memory>",
                                       const config_limits& limits = {});

/// Outcome of looking a file up as oslo.config's `find_file` does.
struct file_search {
    std::optional<std::filesystem::path> found;   ///< the first existing candidate
    std::vector<std::filesystem::path> searched;  ///< every directory tried, in order
};

/// Finds a file named inside the config (`swift_store_config_file`) as oslo.config's
/// `ConfigOpts.find_file` does: an absolute `name` as is; a relative one in the `--config-dir`
/// directory, then beside each `--config-file` from the last given to the first, then in
/// `~/.glance/`, `~/`, `/etc/glance/`, `/etc/` (`~` is $HOME); never in the current directory.
/// Reads no file; one stat per candidate. Thread-safe.
[[nodiscard]] file_search find_config_file(const std::filesystem::path& name,
                                           const config_sources& sources);

/// Reads `sources` in oslo order. An unreadable, missing or oversize file or directory is an
/// error diagnostic naming it. O(total bytes read). The config records `sources`
/// (glance_config::sources). Thread-safe (no shared state).
[[nodiscard]] config_load read_config(const config_sources& sources,
                                      const config_limits& limits = {});

}  // namespace imgstore
