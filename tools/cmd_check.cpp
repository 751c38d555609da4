// imgstore check: validates the configuration like `nginx -t`; every problem on stdout.
#include <optional>
#include <string>

#include "cli_common.hpp"
#include "imgstore/registry.hpp"

namespace imgstore::cli {
namespace {

std::string count_of(std::size_t n, std::string_view word) {
    return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

int run_check(const common_options& o) {
    file_set files;
    files.add_stdout("stdout");
    const std::optional<load_result> loaded = load_checked("check", o, files);
    if (!loaded) return exit_usage;
    const load_result& r = *loaded;
    std::size_t errors = 0;
    std::size_t warnings = 0;
    std::string out;
    for (const auto& d : r.diagnostics) {
        out += to_string(d) + "\n";
        (d.level == severity::error ? errors : warnings) += 1;
    }
    if (!r.ok()) {
        out += "imgstore check: configuration invalid: " + count_of(errors, "error") + ", " +
               count_of(warnings, "warning") + "\n";
        return write_stdout("check", out) ? exit_config : exit_input;
    }
    std::size_t reserved = 0;
    std::size_t unresolvable = 0;
    for (const store& s : r.registry->stores()) {
        if (s.is_reserved()) ++reserved;
        if (s.status() == store_status::unresolvable) ++unresolvable;
    }
    out += "imgstore check: configuration valid: " + std::to_string(r.registry->stores().size()) +
           " stores (" + std::to_string(reserved) + " reserved, " + std::to_string(unresolvable) +
           " unresolvable), default '" + std::string(r.registry->default_store().id()) + "', " +
           count_of(warnings, "warning") + "\n";
    return write_stdout("check", out) ? exit_ok : exit_input;
}

}  // namespace

command add_check(CLI::App& app, common_options& common) {
    auto* sub = add_subcommand_with_common(
        app, common, "check",
        "Validate the configuration: every error and warning, then a summary");
    return {sub, [&common] { return run_check(common); }};
}

}  // namespace imgstore::cli
