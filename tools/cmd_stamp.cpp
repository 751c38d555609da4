// imgstore stamp: sets metadata.store on the locations of JSON Lines image records, editing
// only the values that change; every output appears whole or not at all.
#include <unistd.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "cli_io.hpp"
#include "imgstore/resolver.hpp"
#include "imgstore/stamp.hpp"
#include "output_file.hpp"
#include "record_edit.hpp"
#include "volume_types.hpp"

namespace imgstore::cli {
namespace {

// A record of exactly this many bytes (its '\n' not counted) is read; one byte more is
// malformed and copied through.
constexpr std::size_t max_record_line = 8u << 20;

struct stamp_args {
    std::string input;
    std::string output;
    std::string report;
    std::string volume_types;
};

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
    o["imgstore_version"] = tool_version;
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

bool is_blank_record(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

void report_malformed(std::uint64_t line, std::string_view why) {
    std::fprintf(stderr, "imgstore stamp: line %llu: malformed record (%.*s); copied unchanged\n",
                 static_cast<unsigned long long>(line), static_cast<int>(why.size()), why.data());
}

bool is_std_stream(const std::string& path) { return path.empty() || path == "-"; }

int stamp_io_error(std::string_view what, const std::string& path, int error) {
    std::fprintf(stderr, "imgstore stamp: cannot %.*s %s: %s\n", static_cast<int>(what.size()),
                 what.data(), path.c_str(), std::strerror(error));
    return exit_input;
}

// Stamps every record of `in` into `out`; false on a read error (errno set).
bool stamp_records(std::FILE* in_file,
                   output_buffer& out,
                   const location_resolver& resolver,
                   const stamp_options& options,
                   stamp_summary& summary) {
    progress meter;
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
        if (st == line_reader::status::error) return false;
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
        if (is_blank_record(line)) {
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
        const boost::json::value record = parser.release();
        refs.clear();
        if (!collect_locations(record, refs, why)) {
            ++summary.malformed;
            report_malformed(summary.lines, why);
            copy_through();
            continue;
        }
        const image_stamp stamped = stamp_locations(resolver, refs, options);
        edited.clear();
        if (stamped.changes.empty()) {
            summary.add(stamped);
            copy_through();
        } else if (apply_changes(line, stamped.changes, edited)) {
            summary.add(stamped);
            out.put(edited);
            if (newline) out.put('\n');
        } else {  // cannot happen for a record the parser accepted; never guess
            ++summary.malformed;
            report_malformed(summary.lines, "cannot be edited in place");
            copy_through();
        }
        if (!out.ok()) break;
    }
    meter.done();
    return true;
}

int run_stamp(const common_options& o, const stamp_args& args) {
    file_set files;
    files.add_input(is_std_stream(args.input) ? "stdin" : "--input",
                    args.input.empty() ? "-" : args.input);
    if (!args.volume_types.empty()) files.add_input("--volume-types", args.volume_types);
    files.add_output(is_std_stream(args.output) ? "stdout" : "--output",
                     args.output.empty() ? "-" : args.output);
    if (!is_std_stream(args.output)) files.add_stdout("stdout");  // as for every subcommand
    if (!args.report.empty()) files.add_output("--report", args.report);
    std::shared_ptr<const store_registry> registry;
    if (int st = load_registry("stamp", o, files, registry); st != exit_ok) return st;

    volume_types types;
    stamp_options options;
    if (!args.volume_types.empty()) {
        if (auto error = types.read(args.volume_types); !error.empty()) {
            std::fprintf(stderr, "imgstore stamp: --volume-types: %s\n", error.c_str());
            return exit_input;
        }
        options.volume_type_of = [&types](std::string_view id) { return types.type_of(id); };
    }

    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in_owner(nullptr, &std::fclose);
    if (!is_std_stream(args.input)) {
        in_owner.reset(std::fopen(args.input.c_str(), "rbe"));
        if (!in_owner) return stamp_io_error("open", args.input, errno);
    }
    // Both outputs are opened (as temporaries) before the first record, so that a bad path
    // fails at once; they replace their targets only after the whole run succeeded.
    std::optional<output_file> output;
    if (!is_std_stream(args.output)) {
        auto created = output_file::create(args.output);
        if (!created) return stamp_io_error("create", args.output, created.error().value());
        output.emplace(std::move(*created));
    }
    std::optional<output_file> report;
    if (!args.report.empty()) {
        auto created = output_file::create(args.report);
        if (!created) return stamp_io_error("create", args.report, created.error().value());
        report.emplace(std::move(*created));
    }

    const location_resolver resolver(registry);
    stamp_summary summary;
    {
        output_buffer out(output ? output->stream() : stdout);
        if (!stamp_records(in_owner ? in_owner.get() : stdin, out, resolver, options, summary)) {
            return stamp_io_error("read", is_std_stream(args.input) ? "stdin" : args.input, errno);
        }
        if (!out.flush()) {
            return stamp_io_error("write", output ? args.output : std::string("stdout"), errno);
        }
    }
    if (output) {
        if (auto done = output->commit(); !done) {
            return stamp_io_error("write", args.output, done.error().value());
        }
    }
    std::fputs(summary_text(summary).c_str(), stderr);
    if (report) {
        const std::string json = pretty_json(summary_json(summary));
        std::fwrite(json.data(), 1, json.size(), report->stream());  // errors: commit() says
        if (auto done = report->commit(); !done) {
            return stamp_io_error("write", args.report, done.error().value());
        }
    }
    return summary.malformed > 0 ? exit_input : exit_ok;
}

}  // namespace

command add_stamp(CLI::App& app, common_options& common) {
    auto args = std::make_shared<stamp_args>();
    auto* sub = add_subcommand_with_common(
        app, common, "stamp", "Set metadata.store on the locations of JSON Lines image records");
    add_path_option(*sub, "--input", args->input, "Records to read (default, or '-': stdin)");
    add_path_option(*sub, "--output", args->output,
                    "Where to write them (default, or '-': stdout); replaced only when the whole "
                    "run succeeds");
    add_path_option(*sub, "--report", args->report, "Also write the summary there as JSON");
    add_path_option(*sub, "--volume-types", args->volume_types,
                    "volume-id<TAB>volume-type lines: the volume types of legacy "
                    "cinder://<volume> locations");
    return {sub, [&common, args] { return run_stamp(common, *args); }};
}

}  // namespace imgstore::cli
