#include "cli_common.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "imgstore/location.hpp"

namespace imgstore::cli {
namespace {

constexpr std::string_view default_config_file = "/etc/glance/glance-api.conf";

// Adds the config files a run reads (the files, and the *.conf of the directory) to `files`.
void add_config_files(file_set& files, const common_options& o) {
    const config_sources s = sources_of(o);
    for (const auto& f : s.files) files.add_input("--config-file", f.string());
    if (!s.directory) return;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(*s.directory, ec)) {
        if (e.path().extension() == ".conf") files.add_input("--config-dir", e.path().string());
    }
}

}  // namespace

const CLI::Validator& non_empty_path() {
    static const CLI::Validator check(
        [](const std::string& value) {
            return value.empty() ? std::string("an empty path names no file") : std::string();
        },
        "", "NON_EMPTY");
    return check;
}

CLI::Option* add_path_option(CLI::App& sub,
                             const std::string& name,
                             std::string& value,
                             const std::string& help,
                             const std::string& type_name) {
    return sub.add_option(name, value, help)->type_name(type_name)->check(non_empty_path());
}

CLI::App* add_subcommand_with_common(CLI::App& app,
                                     common_options& o,
                                     const std::string& name,
                                     const std::string& description) {
    CLI::App& sub = *app.add_subcommand(name, description);
    sub.add_option("--config-file", o.config_files,
                   "Config file to read (repeatable; later files override earlier ones). "
                   "Without --config-file and --config-dir: " +
                       std::string(default_config_file))
        ->type_name("FILE")
        ->check(non_empty_path())
        ->allow_extra_args(false);
    add_path_option(sub, "--config-dir", o.config_dir,
                    "Directory whose *.conf files are read, sorted by name, after the files",
                    "DIR");
    sub.add_flag("--strict", o.strict, "Unknown keys in store sections are errors, not warnings");
    return &sub;
}

config_sources sources_of(const common_options& o) {
    config_sources s;
    for (const auto& f : o.config_files) s.files.emplace_back(f);
    if (!o.config_dir.empty()) s.directory = o.config_dir;
    if (s.files.empty() && !s.directory) s.files.emplace_back(default_config_file);
    return s;
}

registry_options registry_options_of(const common_options& o) {
    registry_options r;
    r.strict = o.strict;
    return r;
}

std::optional<load_result> load_checked(std::string_view sub,
                                        const common_options& o,
                                        file_set& files) {
    files.add_stderr("stderr");
    add_config_files(files, o);
    if (report_clash(sub, files)) return std::nullopt;
    load_result r = store_registry::load(sources_of(o), registry_options_of(o));
    for (const auto& f : r.referenced_files) files.add_input("a file the config names", f.string());
    if (report_clash(sub, files)) return std::nullopt;
    return r;
}

int take_registry(load_result& loaded, std::shared_ptr<const store_registry>& registry) {
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", to_string(d).c_str());
    if (!loaded.ok()) {
        std::fprintf(stderr,
                     "imgstore: configuration invalid (%zu problems above); see imgstore check\n",
                     loaded.diagnostics.size());
        return exit_config;
    }
    registry = std::move(loaded.registry);
    return exit_ok;
}

int load_registry(std::string_view sub,
                  const common_options& o,
                  file_set& files,
                  std::shared_ptr<const store_registry>& registry) {
    std::optional<load_result> r = load_checked(sub, o, files);
    if (!r) return exit_usage;
    return take_registry(*r, registry);
}

bool report_clash(std::string_view sub, const file_set& files) {
    const std::string clash = files.clash();
    if (clash.empty()) return false;
    if (files.stderr_is_a_file_of_the_run()) return true;  // the message would go into that file
    std::fprintf(stderr, "imgstore %.*s: %s\n", static_cast<int>(sub.size()), sub.data(),
                 clash.c_str());
    return true;
}

bool write_stdout(std::string_view sub, std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
        std::fflush(stdout) == 0) {
        return true;
    }
    std::fprintf(stderr, "imgstore%s%.*s: cannot write the output: %s\n", sub.empty() ? "" : " ",
                 static_cast<int>(sub.size()), sub.data(), std::strerror(errno));
    return false;
}

std::string redact_words(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t stop = std::min(text.find_first_of(" \t\n", i), text.size());
        out += redact_url(text.substr(i, stop - i));
        if (stop < text.size()) out += text[stop];
        i = stop + 1;
    }
    return out;
}

}  // namespace imgstore::cli
