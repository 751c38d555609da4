// imgstore: the command-line tool (semantics.md section 5): check, stores, resolve, stamp.
// Thin: it parses arguments, reads and writes files and JSON, and calls the library, which makes
// every decision about stores and URLs. Nothing it prints holds a secret: the library redacts
// what it returns, URLs are printed only in their canonical form (no userinfo), invalid input is
// never echoed, and argument errors are redacted before they are shown.
#include "imgstore/imgstore.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cli_io.hpp"
#include "record_edit.hpp"

namespace imgstore::cli {
namespace {

// Exit statuses (semantics.md section 5).
constexpr int exit_ok = 0;
constexpr int exit_config = 1;  // configuration invalid
constexpr int exit_usage = 2;   // usage error
constexpr int exit_input = 3;   // unreadable/unwritable file, or malformed records

constexpr std::string_view default_config_file = "/etc/glance/glance-api.conf";
constexpr std::size_t max_url_line = 1u << 20;     // longer URL lines are resolved as too_long
constexpr std::size_t max_record_line = 8u << 20;  // longer records are malformed, copied

struct common_options {
    std::vector<std::string> config_files;
    std::string config_dir;
    bool strict = false;
};

void add_common(CLI::App& sub, common_options& o) {
    sub.add_option("--config-file", o.config_files,
                   "Config file to read (repeatable; later files override earlier ones). "
                   "Without --config-file and --config-dir: " +
                       std::string(default_config_file))
        ->type_name("FILE")
        ->allow_extra_args(false);
    sub.add_option("--config-dir", o.config_dir,
                   "Directory whose *.conf files are read, sorted by name, after the files")
        ->type_name("DIR");
    sub.add_flag("--strict", o.strict, "Unknown keys in store sections are errors, not warnings");
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

void print_diagnostics(std::FILE* to, const std::vector<diagnostic>& ds) {
    for (const auto& d : ds) std::fprintf(to, "%s\n", to_string(d).c_str());
}

// Loads the registry for a subcommand other than check: problems go to stderr.
std::shared_ptr<const store_registry> load_registry(const common_options& o) {
    load_result r = store_registry::load(sources_of(o), registry_options_of(o));
    print_diagnostics(stderr, r.diagnostics);
    if (!r.ok()) {
        std::fprintf(stderr,
                     "imgstore: configuration invalid (%zu problems above); see imgstore check\n",
                     r.diagnostics.size());
    }
    return r.registry;
}

// CLI11 quotes arguments in its errors; a URL given by mistake may hold credentials.
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

// ---- check ----------------------------------------------------------------------------------

int run_check(const common_options& o) {
    load_result r = store_registry::load(sources_of(o), registry_options_of(o));
    std::size_t errors = 0;
    std::size_t warnings = 0;
    for (const auto& d : r.diagnostics) {
        std::printf("%s\n", to_string(d).c_str());
        (d.level == severity::error ? errors : warnings) += 1;
    }
    if (!r.ok()) {
        std::printf("imgstore check: configuration invalid: %zu error%s, %zu warning%s\n", errors,
                    errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
        return exit_config;
    }
    std::size_t reserved = 0;
    std::size_t unresolvable = 0;
    for (const store& s : r.registry->stores()) {
        if (s.is_reserved()) ++reserved;
        if (s.status() == store_status::unresolvable) ++unresolvable;
    }
    std::printf(
        "imgstore check: configuration valid: %zu stores (%zu reserved, %zu unresolvable), "
        "default '%.*s', %zu warning%s\n",
        r.registry->stores().size(), reserved, unresolvable,
        static_cast<int>(r.registry->default_store().id().size()),
        r.registry->default_store().id().data(), warnings, warnings == 1 ? "" : "s");
    return exit_ok;
}

// ---- stores ---------------------------------------------------------------------------------

boost::json::value nullable(std::string_view s) {
    if (s.empty()) return nullptr;
    return boost::json::string(s);
}

boost::json::object stores_json(const store_registry& registry) {
    boost::json::object root;
    for (const store& s : registry.stores()) {
        boost::json::object e;
        e["store_entry"] = to_string(s.type());
        boost::json::array schemes;
        for (const auto& x : s.schemes()) schemes.emplace_back(x);
        e["schemes"] = std::move(schemes);
        boost::json::array prefixes;
        for (const auto& x : s.url_prefixes()) prefixes.emplace_back(x);
        e["url_prefixes"] = std::move(prefixes);
        e["location_class"] = s.location_class();
        e["default"] = s.is_default();
        e["reserved"] = s.is_reserved();
        e["description"] = nullable(s.description());
        e["weight"] = s.weight();
        e["status"] = to_string(s.status());
        e["reason"] = nullable(s.reason());
        root[s.id()] = std::move(e);
    }
    return root;
}

int run_stores(const common_options& o, const std::string& format) {
    auto registry = load_registry(o);
    if (!registry) return exit_config;
    const std::string text =
        format == "json" ? pretty_json(stores_json(*registry)) : to_string(*registry);
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
        std::fprintf(stderr, "imgstore: cannot write the output: %s\n", std::strerror(errno));
        return exit_input;
    }
    return exit_ok;
}

// ---- resolve --------------------------------------------------------------------------------

void write_resolution(output_buffer& out, const resolution& r) {
    switch (r.status) {
        case resolve_status::matched:
            out.put("{\"result\":\"matched\",\"store\":");
            out.put_json_string(r.owner->id());
            out.put(",\"url\":");
            out.put_json_string(r.canonical_url);
            out.put("}\n");
            return;
        case resolve_status::no_store:
            out.put("{\"result\":\"no_store\",\"reason\":");
            break;
        case resolve_status::invalid:
            out.put("{\"result\":\"invalid\",\"reason\":");
            break;
    }
    out.put_json_string(to_string(r.reason));
    out.put("}\n");
}

// --explain: the same fields, then the canonical form and the prefixes considered. Nothing of
// an invalid URL is shown but the reason.
void write_explanation(output_buffer& out, const explanation& x) {
    boost::json::object o;
    o["result"] = to_string(x.status);
    if (x.status == resolve_status::matched) {
        o["store"] = x.store_id;
        o["url"] = x.canonical_url;
    } else {
        o["reason"] = to_string(x.reason);
    }
    if (x.status != resolve_status::invalid) {
        if (!x.canonical_url.empty()) o["canonical"] = x.canonical_url;
        if (!x.match_key.empty()) o["match_key"] = x.match_key;
        boost::json::array considered;
        for (const auto& p : x.considered) considered.emplace_back(p);
        o["considered"] = std::move(considered);
        boost::json::array hits;
        for (const auto& h : x.hits) hits.emplace_back(h);
        o["hits"] = std::move(hits);
    }
    out.put(boost::json::serialize(o));
    out.put('\n');
}

int run_resolve(const common_options& o, const std::vector<std::string>& urls, bool explain) {
    auto registry = load_registry(o);
    if (!registry) return exit_config;
    const location_resolver resolver(registry);
    output_buffer out(stdout);
    std::string scratch;
    const auto one = [&](std::string_view url) {
        if (explain) {
            write_explanation(out, resolver.explain(url));
        } else {
            write_resolution(out, resolver.resolve(url, scratch));
        }
    };
    if (!urls.empty()) {
        for (const auto& u : urls) one(u);
    } else {
        line_reader in(stdin, max_url_line);
        std::string_view line;
        bool newline = false;
        bool in_long_line = false;
        for (;;) {
            const auto st = in.next(line, newline);
            if (st == line_reader::status::end) break;
            if (st == line_reader::status::error) {
                out.flush();
                std::fprintf(stderr, "imgstore resolve: cannot read stdin: %s\n",
                             std::strerror(errno));
                return exit_input;
            }
            if (in_long_line) {  // the rest of a line already answered (too_long)
                in_long_line = st == line_reader::status::partial;
                continue;
            }
            if (st == line_reader::status::partial) {
                // A piece longer than any URL the resolver accepts: it answers too_long.
                one(line);
                in_long_line = true;
                continue;
            }
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            one(line);
            if (!out.ok()) break;
        }
    }
    if (!out.flush()) {
        std::fprintf(stderr, "imgstore resolve: cannot write the output: %s\n",
                     std::strerror(errno));
        return exit_input;
    }
    return exit_ok;
}

// ---- stamp ----------------------------------------------------------------------------------

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// `--volume-types F`: `volume-id<TAB>volume-type` per line; blank lines and lines starting with
// '#' are skipped; ids are compared case-insensitively. Returns an error message, or "".
std::string load_volume_types(const std::string& path,
                              std::unordered_map<std::string, std::string>& out) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return "cannot open " + path + ": " + std::strerror(errno);
    line_reader in(f, 64u << 10);
    std::string_view line;
    bool newline = false;
    std::string error;
    for (std::size_t number = 1; error.empty(); ++number) {
        const auto st = in.next(line, newline);
        if (st == line_reader::status::end) break;
        const std::string where = path + " line " + std::to_string(number);
        if (st == line_reader::status::error) {
            error = "cannot read " + path + ": " + std::strerror(errno);
        } else if (st == line_reader::status::partial) {
            error = where + ": line too long";
        } else {
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (line.empty() || line.front() == '#') continue;
            const std::size_t tab = line.find('\t');
            const std::string_view id = line.substr(0, tab);
            const std::string_view type =
                tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
            if (id.empty() || type.empty() || type.find('\t') != std::string_view::npos) {
                error = where + ": expected volume-id<TAB>volume-type";
            } else if (auto [it, added] = out.emplace(lower_ascii(id), std::string(type));
                       !added && it->second != type) {
                error = where + ": volume listed twice with different types";
            }
        }
    }
    std::fclose(f);
    return error;
}

struct stamp_summary {
    stamp_totals totals;
    std::uint64_t lines = 0;
    std::uint64_t malformed = 0;
    std::map<reason_code, std::uint64_t> no_store;
    std::map<reason_code, std::uint64_t> invalid;

    void add(const image_stamp& s) {
        totals.add(s);
        for (const auto& l : s.locations) {
            if (l.outcome == stamp_outcome::no_store) ++no_store[l.reason];
            if (l.outcome == stamp_outcome::invalid) ++invalid[l.reason];
        }
    }
};

std::string reasons_text(const std::map<reason_code, std::uint64_t>& m) {
    std::string out;
    for (const auto& [r, n] : m) {
        out += (out.empty() ? "" : ", ") + std::string(to_string(r)) + " " + std::to_string(n);
    }
    return out;
}

std::string summary_text(const stamp_summary& s) {
    const stamp_totals& t = s.totals;
    std::string out =
        "imgstore stamp: " + std::to_string(t.images) + " images, " + std::to_string(t.locations) +
        " locations: " + std::to_string(t.stamped) + " stamped (" + std::to_string(t.rewritten) +
        " rewritten), " + std::to_string(t.already_set) + " already set, " +
        std::to_string(t.no_store) + " no_store, " + std::to_string(t.invalid) + " invalid, " +
        std::to_string(t.mismatch) + " mismatch; " + std::to_string(s.malformed) +
        " malformed line" + (s.malformed == 1 ? "" : "s") + "\n";
    if (!s.no_store.empty()) out += "  no_store: " + reasons_text(s.no_store) + "\n";
    if (!s.invalid.empty()) out += "  invalid: " + reasons_text(s.invalid) + "\n";
    return out;
}

boost::json::object summary_json(const stamp_summary& s) {
    const stamp_totals& t = s.totals;
    boost::json::object o;
    o["lines"] = s.lines;
    o["images"] = t.images;
    o["locations"] = t.locations;
    o["stamped"] = t.stamped;
    o["rewritten"] = t.rewritten;
    o["already_set"] = t.already_set;
    o["no_store"] = t.no_store;
    o["invalid"] = t.invalid;
    o["mismatch"] = t.mismatch;
    o["malformed_lines"] = s.malformed;
    for (const auto* group : {&s.no_store, &s.invalid}) {
        boost::json::object reasons;
        for (const auto& [r, n] : *group) reasons[to_string(r)] = n;
        o[group == &s.no_store ? "no_store_reasons" : "invalid_reasons"] = std::move(reasons);
    }
    return o;
}

// Progress on stderr, only when it is a terminal, at most once a second.
class progress {
  public:
    progress() : enabled_(::isatty(STDERR_FILENO) == 1), last_(clock::now()) {}
    void tick(const stamp_summary& s) {
        if (!enabled_ || (s.lines & 0x3FFF) != 0) return;
        const auto now = clock::now();
        if (now - last_ < std::chrono::seconds(1)) return;
        last_ = now;
        std::fprintf(stderr, "\rimgstore stamp: %llu lines, %llu locations ...",
                     static_cast<unsigned long long>(s.lines),
                     static_cast<unsigned long long>(s.totals.locations));
        shown_ = true;
    }
    void done() {
        if (shown_) std::fprintf(stderr, "\r\033[K");
    }

  private:
    using clock = std::chrono::steady_clock;
    bool enabled_;
    bool shown_ = false;
    clock::time_point last_;
};

struct stamp_args {
    std::string input;
    std::string output;
    std::string report;
    std::string volume_types;
};

bool is_blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

void report_malformed(std::uint64_t line, std::string_view why) {
    std::fprintf(stderr, "imgstore stamp: line %llu: malformed record (%.*s); copied unchanged\n",
                 static_cast<unsigned long long>(line), static_cast<int>(why.size()), why.data());
}

bool same_file(const std::string& a, const std::string& b) {
    std::error_code ec;
    return !a.empty() && !b.empty() && a != "-" && b != "-" &&
           std::filesystem::equivalent(a, b, ec);
}

int run_stamp(const common_options& o, const stamp_args& args) {
    if (same_file(args.input, args.output)) {
        std::fprintf(stderr, "imgstore stamp: --output must not be the --input file\n");
        return exit_usage;
    }
    auto registry = load_registry(o);
    if (!registry) return exit_config;

    std::unordered_map<std::string, std::string> volume_types;
    stamp_options options;
    if (!args.volume_types.empty()) {
        if (auto error = load_volume_types(args.volume_types, volume_types); !error.empty()) {
            std::fprintf(stderr, "imgstore stamp: --volume-types: %s\n", error.c_str());
            return exit_input;
        }
        options.volume_type_of =
            [&volume_types](std::string_view id) -> std::optional<std::string> {
            auto it = volume_types.find(lower_ascii(id));
            if (it == volume_types.end()) return std::nullopt;
            return it->second;
        };
    }

    std::FILE* in_file = stdin;
    if (!args.input.empty() && args.input != "-") {
        in_file = std::fopen(args.input.c_str(), "rb");
        if (in_file == nullptr) {
            std::fprintf(stderr, "imgstore stamp: cannot open %s: %s\n", args.input.c_str(),
                         std::strerror(errno));
            return exit_input;
        }
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in_owner(in_file == stdin ? nullptr : in_file,
                                                             &std::fclose);
    std::FILE* out_file = stdout;
    if (!args.output.empty() && args.output != "-") {
        out_file = std::fopen(args.output.c_str(), "wb");
        if (out_file == nullptr) {
            std::fprintf(stderr, "imgstore stamp: cannot create %s: %s\n", args.output.c_str(),
                         std::strerror(errno));
            return exit_input;
        }
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> out_owner(
        out_file == stdout ? nullptr : out_file, &std::fclose);

    const location_resolver resolver(registry);
    stamp_summary summary;
    progress meter;
    bool read_error = false;
    {
        output_buffer out(out_file);
        line_reader in(in_file, max_record_line);
        // One arena per record: released before each line, so memory stays constant.
        std::vector<unsigned char> arena(256u << 10);
        boost::json::monotonic_resource memory(arena.data(), arena.size());
        boost::json::parse_options parse_options;
        parse_options.max_depth = 64;
        boost::json::parser parser(boost::json::storage_ptr(), parse_options);
        std::vector<location_ref> refs;
        std::string edited;
        std::string why;
        std::string_view line;
        bool newline = false;
        bool in_long_line = false;

        for (;;) {
            const auto st = in.next(line, newline);
            if (st == line_reader::status::end) break;
            if (st == line_reader::status::error) {
                read_error = true;
                break;
            }
            if (in_long_line) {  // rest of an over-long record: copied through
                out.put(line);
                in_long_line = st == line_reader::status::partial;
                if (!in_long_line && newline) out.put('\n');
                continue;
            }
            ++summary.lines;
            meter.tick(summary);
            if (st == line_reader::status::partial) {
                ++summary.malformed;
                report_malformed(summary.lines, "longer than 8 MiB");
                out.put(line);
                in_long_line = true;
                continue;
            }
            const auto copy_through = [&] {
                out.put(line);
                if (newline) out.put('\n');
            };
            if (is_blank(line)) {
                copy_through();
                continue;
            }
            memory.release();
            parser.reset(boost::json::storage_ptr(&memory));
            boost::system::error_code ec;
            parser.write(line.data(), line.size(), ec);
            if (ec) {
                ++summary.malformed;
                report_malformed(summary.lines, "not valid JSON");
                copy_through();
                continue;
            }
            boost::json::value record = parser.release();
            refs.clear();
            if (!collect_locations(record, refs, why)) {
                ++summary.malformed;
                report_malformed(summary.lines, why);
                copy_through();
                continue;
            }
            const image_stamp stamped = stamp_locations(resolver, refs, options);
            summary.add(stamped);
            if (stamped.changes.empty()) {
                copy_through();
                continue;
            }
            edited.clear();
            apply_changes(line, record, stamped.changes, edited);
            out.put(edited);
            if (newline) out.put('\n');
        }
        meter.done();
        if (!out.flush()) {
            std::fprintf(stderr, "imgstore stamp: cannot write the output: %s\n",
                         std::strerror(errno));
            return exit_input;
        }
    }
    if (read_error) {
        std::fprintf(stderr, "imgstore stamp: cannot read the input: %s\n", std::strerror(errno));
        return exit_input;
    }
    if (out_owner && std::fclose(out_owner.release()) != 0) {
        std::fprintf(stderr, "imgstore stamp: cannot write %s: %s\n", args.output.c_str(),
                     std::strerror(errno));
        return exit_input;
    }

    const std::string text = summary_text(summary);
    std::fputs(text.c_str(), stderr);
    if (!args.report.empty()) {
        const std::string json = pretty_json(summary_json(summary));
        std::FILE* f = std::fopen(args.report.c_str(), "wb");
        const bool written =
            f != nullptr && std::fwrite(json.data(), 1, json.size(), f) == json.size();
        if (f == nullptr || std::fclose(f) != 0 || !written) {
            std::fprintf(stderr, "imgstore stamp: cannot write %s: %s\n", args.report.c_str(),
                         std::strerror(errno));
            return exit_input;
        }
    }
    return summary.malformed > 0 ? exit_input : exit_ok;
}

int run(int argc, char** argv) {
    CLI::App app{
        "imgstore: the store registry of a Glance config (check, stores), which store owns a "
        "location URL (resolve), and stamping legacy image locations with their store (stamp).\n"
        "Exit status: 0 ok, 1 configuration invalid, 2 usage error, 3 input/output error or "
        "malformed records.",
        "imgstore"};
    app.require_subcommand(1);

    common_options common;
    auto* check = app.add_subcommand(
        "check", "Validate the configuration: every error and warning, then a summary");
    add_common(*check, common);

    std::string format = "text";
    auto* stores = app.add_subcommand("stores", "Show the store registry");
    add_common(*stores, common);
    stores->add_option("--format", format, "text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));

    std::vector<std::string> urls;
    bool explain = false;
    auto* resolve = app.add_subcommand(
        "resolve", "Which store owns each URL: one JSON object per URL, in input order");
    add_common(*resolve, common);
    resolve->add_option("url", urls, "URLs to resolve; without any, one URL per line on stdin");
    resolve->add_flag("--explain", explain,
                      "Add the canonical form and the URL prefixes that were considered");

    stamp_args stamp_arguments;
    auto* stamp = app.add_subcommand(
        "stamp", "Set metadata.store on the locations of JSON Lines image records");
    add_common(*stamp, common);
    stamp->add_option("--input", stamp_arguments.input, "Records to read (default: stdin)")
        ->type_name("FILE");
    stamp->add_option("--output", stamp_arguments.output, "Where to write them (default: stdout)")
        ->type_name("FILE");
    stamp->add_option("--report", stamp_arguments.report, "Also write the summary there as JSON")
        ->type_name("FILE");
    stamp
        ->add_option("--volume-types", stamp_arguments.volume_types,
                     "volume-id<TAB>volume-type lines: the volume types of legacy "
                     "cinder://<volume> locations")
        ->type_name("FILE");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        std::fprintf(stderr, "imgstore: %s\nRun 'imgstore --help' for usage.\n",
                     redact_words(e.what()).c_str());
        return exit_usage;
    }
    if (check->parsed()) return run_check(common);
    if (stores->parsed()) return run_stores(common, format);
    if (resolve->parsed()) return run_resolve(common, urls, explain);
    return run_stamp(common, stamp_arguments);
}

}  // namespace
}  // namespace imgstore::cli

int main(int argc, char** argv) {
    try {
        return imgstore::cli::run(argc, argv);
    } catch (const std::exception& e) {
        // Out of memory and the like; library messages never hold secrets.
        std::fprintf(stderr, "imgstore: fatal: %s\n", e.what());
        return 4;
    }
}
