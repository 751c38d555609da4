// imgstore stores: the store registry as text (one block per store) or JSON.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "cli_common.hpp"
#include "cli_io.hpp"
#include "imgstore/registry.hpp"

namespace imgstore::cli {
namespace {

boost::json::value json_or_null(std::string_view s) {
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
        e["description"] = json_or_null(s.description());
        e["weight"] = s.weight();
        e["status"] = to_string(s.status());
        e["reason"] = json_or_null(s.reason());
        root[s.id()] = std::move(e);
    }
    return root;
}

// The options shown as fields of their own, not again as options.
bool shown_as_field(std::string_view option) {
    return option == "store_description" || option == "weight";
}

// One block per store. Every value goes through escape_text: a value holding a newline or an
// escape sequence must not forge a line or reach the terminal.
std::string stores_text(const store_registry& registry) {
    std::string out;
    const auto list = [](std::span<const std::string> items) {
        std::string joined;
        for (const auto& x : items) joined += (joined.empty() ? "" : ", ") + escape_text(x);
        return joined;
    };
    for (const store& s : registry.stores()) {
        out += escape_text(s.id()) + " (" + std::string(to_string(s.type())) + ")" +
               (s.is_default() ? " default" : "") + (s.is_reserved() ? " reserved" : "") + "\n";
        out += "  schemes: " + list(s.schemes()) + "\n";
        out += "  url prefixes: " + list(s.url_prefixes()) + "\n";
        out += "  location class: " + escape_text(s.location_class()) + "\n";
        out += "  status: " + std::string(to_string(s.status())) +
               (s.reason().empty() ? "" : ": " + escape_text(s.reason())) + "\n";
        if (!s.description().empty())
            out += "  description: " + escape_text(s.description()) + "\n";
        out += "  weight: " + std::to_string(s.weight()) + "\n";
        for (const auto& o : s.options()) {
            if (o.from == store_option::origin::builtin_default || shown_as_field(o.name)) continue;
            out += "  " + escape_text(o.name) + " = " + escape_text(o.value) + "\n";
        }
    }
    return out;
}

int run_stores(const common_options& o, const std::string& format) {
    auto registry = load_registry(o);
    if (!registry) return exit_config;
    const std::string text =
        format == "json" ? pretty_json(stores_json(*registry)) : stores_text(*registry);
    return write_stdout("stores", text) ? exit_ok : exit_input;
}

}  // namespace

command add_stores(CLI::App& app, common_options& common) {
    auto format = std::make_shared<std::string>("text");
    auto* sub = add_subcommand_with_common(app, common, "stores", "Show the store registry");
    sub->add_option("--format", *format, "text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));
    return {sub, [&common, format] { return run_stores(common, *format); }};
}

}  // namespace imgstore::cli
