// imgstore stores: the store registry as text (the library's to_string, which escapes every
// value for a terminal) or JSON.
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

int run_stores(const common_options& o, const std::string& format) {
    file_set files;
    files.add_stdout("stdout");
    std::shared_ptr<const store_registry> registry;
    if (int st = load_registry("stores", o, files, registry); st != exit_ok) return st;
    const std::string text =
        format == "json" ? pretty_json(stores_json(*registry)) : to_string(*registry);
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
