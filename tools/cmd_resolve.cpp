// imgstore resolve: which store owns each URL, one JSON object per URL, streamed from stdin or
// taken from the arguments. Nothing of an invalid URL is printed but its reason.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "cli_io.hpp"
#include "imgstore/resolver.hpp"

namespace imgstore::cli {
namespace {

constexpr std::size_t max_url_line = 1u << 20;  // longer URL lines are resolved as too_long

struct resolve_args {
    std::vector<std::string> urls;
    bool explain = false;
};

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

int run_resolve(const common_options& o, const resolve_args& args) {
    file_set files;
    // `resolve < F >> F` would read its own answers forever.
    if (args.urls.empty()) files.add_stdin("stdin");
    files.add_stdout("stdout");
    std::shared_ptr<const store_registry> registry;
    if (int st = load_registry("resolve", o, files, registry); st != exit_ok) return st;
    const location_resolver resolver(registry);
    output_buffer out(stdout);
    std::string scratch;
    const auto one = [&](std::string_view url) {
        if (args.explain) {
            write_explanation(out, resolver.explain(url));
        } else {
            write_resolution(out, resolver.resolve(url, scratch));
        }
    };
    if (!args.urls.empty()) {
        for (const auto& u : args.urls) one(u);
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

}  // namespace

command add_resolve(CLI::App& app, common_options& common) {
    auto args = std::make_shared<resolve_args>();
    auto* sub = add_subcommand_with_common(
        app, common, "resolve",
        "Which store owns each URL: one JSON object per URL, in input order");
    sub->add_option("url", args->urls, "URLs to resolve; without any, one URL per line on stdin");
    sub->add_flag("--explain", args->explain,
                  "Add the canonical form and the URL prefixes that were considered");
    return {sub, [&common, args] { return run_resolve(common, *args); }};
}

}  // namespace imgstore::cli
