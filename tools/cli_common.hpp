// What every subcommand of the imgstore tool shares: exit statuses, the common options
// (--config-file, --config-dir, --strict), loading the registry, the check that no two files of
// a run are one, and the shape of a subcommand (tools/cmd_<name>.cpp, dispatched by imgstore.cpp).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "file_identity.hpp"
#include "imgstore/registry.hpp"

namespace imgstore::cli {

// Exit statuses (README, "The imgstore tool").
constexpr int exit_ok = 0;
constexpr int exit_config = 1;    // configuration invalid
constexpr int exit_usage = 2;     // usage error
constexpr int exit_input = 3;     // unreadable/unwritable file, or malformed records
constexpr int exit_internal = 4;  // out of memory, or a bug

/// The tool's version: the CMake project version.
constexpr std::string_view tool_version = IMGSTORE_VERSION;

struct common_options {
    std::vector<std::string> config_files;
    std::string config_dir;
    bool strict = false;
};

/// A subcommand: its CLI11 app, and what runs it once parsed (the exit status).
struct command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

/// Each subcommand adds itself to `app`, its options bound to state the returned run owns.
command add_check(CLI::App& app, common_options& common);
command add_stores(CLI::App& app, common_options& common);
command add_resolve(CLI::App& app, common_options& common);
command add_stamp(CLI::App& app, common_options& common);
/// Built only with the database layer (IMGSTORE_WITH_BACKFILL).
command add_backfill(CLI::App& app, common_options& common);

/// Adds the subcommand `name` to `app`, with --config-file, --config-dir and --strict.
CLI::App* add_subcommand_with_common(CLI::App& app,
                                     common_options& common,
                                     const std::string& name,
                                     const std::string& description);

/// A CLI11 check that refuses an empty argument (`--output ''` is a usage error, not "not
/// given").
const CLI::Validator& non_empty_path();

/// Adds an option naming a file (`type_name` FILE or DIR), whose value must not be empty.
CLI::Option* add_path_option(CLI::App& sub,
                             const std::string& name,
                             std::string& value,
                             const std::string& help,
                             const std::string& type_name = "FILE");

/// The config the common options name (the default file when neither option is given).
config_sources sources_of(const common_options& o);
registry_options registry_options_of(const common_options& o);

/// Reads the config and builds the registry, refusing a run two of whose files are one: `files`
/// holds the other files the run reads and writes (stdout included). stderr and the config
/// files are added and checked before anything is read, the files the config names (swift
/// reference file, ceph.conf: load_result::referenced_files) once they are known. A clash is
/// reported (report_clash) and gives nullopt (exit_usage); nothing else is printed.
[[nodiscard]] std::optional<load_result> load_checked(std::string_view sub,
                                                      const common_options& o,
                                                      file_set& files);

/// Prints the config's problems to stderr (a subcommand other than check) and gives the
/// registry: exit_ok with `registry` set, or exit_config. Called only after the run's last
/// report_clash (stderr may be a file of the run until then).
[[nodiscard]] int take_registry(load_result& loaded,
                                std::shared_ptr<const store_registry>& registry);

/// load_checked() then take_registry(), for a subcommand other than check whose files are all
/// known before the config is read. exit_ok with `registry` set, exit_usage (two files are one)
/// or exit_config.
[[nodiscard]] int load_registry(std::string_view sub,
                                const common_options& o,
                                file_set& files,
                                std::shared_ptr<const store_registry>& registry);

/// Prints "imgstore <sub>: <clash>" and returns true when two files of `files` are one. When
/// stderr is one of them nothing is printed (it would write into the file the check protects):
/// the exit status alone says it.
[[nodiscard]] bool report_clash(std::string_view sub, const file_set& files);

/// Writes `text` to stdout and flushes; false (with a message on stderr) when it cannot. `sub`
/// may be empty (the tool's own --help and --version).
[[nodiscard]] bool write_stdout(std::string_view sub, std::string_view text);

/// `text` with every word that parses as a URL redacted (CLI11 quotes arguments in its errors;
/// a URL given by mistake may hold credentials).
std::string redact_words(std::string_view text);

}  // namespace imgstore::cli
