// imgstore: the command-line tool (semantics.md section 5): check, stores, resolve, stamp, and
// backfill (issue 13) when built with the database layer.
// Thin: it parses arguments, reads and writes files and JSON, and calls the library, which makes
// every decision about stores and URLs. Nothing it prints holds a secret: the library redacts
// what it returns, URLs are printed only in their canonical form (no userinfo), invalid input is
// never echoed, and argument errors are redacted before they are shown. One file per
// subcommand (cmd_<name>.cpp); this one only dispatches.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "cli_common.hpp"

namespace imgstore::cli {
namespace {

int run(int argc, char** argv) {
    CLI::App app{"imgstore " + std::string(tool_version) +
                     ": the store registry of a Glance config (check, stores), which store owns "
                     "a location URL (resolve), and stamping legacy image locations with their "
                     "store (stamp, and in Glance's database: backfill).\n"
                     "Exit status: 0 ok, 1 configuration invalid, 2 usage error, 3 input/output "
                     "error or malformed records, 4 internal error, 5 backfill --verify found "
                     "rows to stamp.",
                 "imgstore"};
    app.set_version_flag("--version", "imgstore " + std::string(tool_version));
    app.require_subcommand(1);

    common_options common;
    std::vector<command> commands{
        add_check(app, common),
        add_stores(app, common),
        add_resolve(app, common),
        add_stamp(app, common),
    };
#if IMGSTORE_WITH_BACKFILL
    commands.push_back(add_backfill(app, common));
#endif
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {  // --help, --version: an unwritable stdout fails as always
            std::ostringstream text;
            const int status = app.exit(e, text);
            return write_stdout("", text.str()) ? status : exit_input;
        }
        std::fprintf(stderr, "imgstore: %s\nRun 'imgstore --help' for usage.\n",
                     redact_words(e.what()).c_str());
        return exit_usage;
    }
    for (const command& c : commands) {
        if (c.app->parsed()) return c.run();
    }
    return exit_usage;  // require_subcommand(1) makes this unreachable
}

}  // namespace
}  // namespace imgstore::cli

int main(int argc, char** argv) {
    try {
        return imgstore::cli::run(argc, argv);
    } catch (const std::exception& e) {
        // Out of memory and the like; library messages never hold secrets.
        std::fprintf(stderr, "imgstore: fatal: %s\n", e.what());
        return imgstore::cli::exit_internal;
    }
}
