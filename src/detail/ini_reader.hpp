// The oslo.config INI dialect (oslo_config/iniparser.py), one file's text at a time. It knows
// nothing of glance's options: what it must know of keys is passed in (ini_key_rules).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/config.hpp"
#include "imgstore/diagnostic.hpp"

namespace imgstore::detail {

/// The section both dialects treat apart: oslo.config's [DEFAULT] group, configparser's
/// defaults section (which may repeat, and whose keys are every section's defaults).
inline constexpr std::string_view defaults_section = "DEFAULT";

/// What the reader is told about keys (and repeats) by the layer that declares the options.
struct ini_key_rules {
    /// Keys whose repeats accumulate (no "repeated in this section" warning). Null: none.
    bool (*multi_valued)(std::string_view key) noexcept = nullptr;
    /// Secret keys (lower case): no warning hints at their values. Null: none.
    bool (*secret)(std::string_view lower_key) noexcept = nullptr;
    /// A key as diagnostics show it: bounded, and never anything that may be a value (a line
    /// `password SECRET:x` has the key `password SECRET`). Must be set.
    std::string (*printable_key)(std::string_view key) = nullptr;
    /// Python configparser's strict reading instead of oslo.config's merging, for a file glance
    /// reads with configparser (the swift reference file): a section header repeated in the
    /// file (DuplicateSectionError; `[DEFAULT]` may repeat) or a key repeated in one section
    /// (DuplicateOptionError; keys compared lower-cased, as configparser's optionxform) is an
    /// error at the second occurrence, naming the first. Two headers that differ only in case
    /// are an error too: configparser keeps them apart, glance_config cannot. Keys are then
    /// stored lower-cased, as configparser gives them to glance_store.
    bool strict_repeats = false;
};

/// Reads `text` (one file, `file_name` in entries and diagnostics) into `into`, collecting
/// every problem in `out`; never throws on bad input. O(text size).
void read_ini(glance_config& into,
              std::string_view text,
              std::string_view file_name,
              std::vector<diagnostic>& out,
              const ini_key_rules& rules);

/// Reads the config file `path` as read_config() does (size limit, every problem naming the
/// file) with the key rules given: the swift reference file is read with its own. Defined in
/// src/config.cpp beside read_config, whose file handling it shares.
[[nodiscard]] config_load read_config_file(const std::filesystem::path& path,
                                           const config_limits& limits,
                                           const ini_key_rules& rules);

}  // namespace imgstore::detail
