#include "imgstore/registry.hpp"

#include <fmt/format.h>
#include <spdlog/logger.h>

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "detail/canonical_url.hpp"
#include "detail/ini_reader.hpp"
#include "detail/store_options.hpp"
#include "detail/substitution.hpp"
#include "detail/text.hpp"
#include "detail/utf8.hpp"
#include "drivers/driver.hpp"

namespace imgstore {
namespace {

using detail::ascii_lower;
using detail::defaults_section;
using detail::trim;

constexpr std::string_view glance_store_section = "glance_store";
constexpr std::array<std::string_view, 2> reserved_ids{"os_glance_staging_store",
                                                       "os_glance_tasks_store"};

bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

std::string known_types() {
    std::string out;
    for (store_type t : all_store_types())
        out += (out.empty() ? "" : ", ") + std::string(to_string(t));
    return out;
}

// One `id:type` item of enabled_backends.
struct declared_store {
    std::string id;
    store_type type;
    bool reserved = false;
};

// Collects problems located at one config entry.
class reporter {
  public:
    reporter(std::vector<diagnostic>& out,
             const config_entry* at,
             std::string_view section,
             std::string_view key)
        : out_(out), at_(at), section_(section), key_(key) {}

    void error(std::string message) const { add(severity::error, std::move(message)); }
    void warning(std::string message) const { add(severity::warning, std::move(message)); }

  private:
    void add(severity level, std::string message) const {
        out_.push_back({level, at_ ? at_->file : "", at_ ? at_->line : 0,
                        at_ ? at_->section : std::string(section_), std::string(key_),
                        std::move(message)});
    }
    std::vector<diagnostic>& out_;
    const config_entry* at_;
    std::string_view section_;
    std::string_view key_;
};

// oslo.config Dict: `id:type, id:type`, split on ',' then on the first ':'. Item values are
// never allowed to contain ',' here (ids and types cannot), so the oslo re-gluing rule never
// applies: an item without ':' is an error of its own.
std::vector<declared_store> parse_enabled_backends(const config_entry* entry,
                                                   std::vector<diagnostic>& diags) {
    reporter at(diags, entry, defaults_section, "enabled_backends");
    std::vector<declared_store> out;
    if (!entry) {
        at.error("not set: list the stores as id:type, id:type, ...");
        return out;
    }
    std::string_view value = trim(entry->value);
    if (value.empty()) {
        at.error("is empty: list the stores as id:type, id:type, ...");
        return out;
    }
    std::unordered_map<std::string, std::size_t> seen;  // lower-cased id -> item number
    std::size_t item_no = 0;
    for (std::size_t pos = 0; pos <= value.size(); ++item_no) {
        std::size_t comma = value.find(',', pos);
        if (comma == std::string_view::npos) comma = value.size();
        std::string_view item = trim(value.substr(pos, comma - pos));
        pos = comma + 1;
        const std::size_t n = item_no + 1;
        if (item.empty()) {
            at.error(fmt::format("item {} is empty", n));
            continue;
        }
        std::size_t colon = item.find(':');
        if (colon == std::string_view::npos) {
            at.error(fmt::format("item {} has no ':' (expected id:type)", n));
            continue;
        }
        std::string_view id = trim(item.substr(0, colon));
        std::string_view type = trim(item.substr(colon + 1));
        bool ok = true;
        if (id.empty()) {
            at.error(fmt::format("item {} has an empty store id", n));
            ok = false;
        } else if (!valid_id(id)) {
            at.error(fmt::format("store id '{}' must be 1-64 characters of A-Z a-z 0-9 . _ -",
                                 detail::cut_text(id)));
            ok = false;
        } else if (ascii_lower(id).starts_with("os_glance_")) {
            at.error(fmt::format("store id '{}': the prefix 'os_glance_' is reserved", id));
            ok = false;
        }
        std::optional<store_type> t = parse_store_type(type);
        if (type.empty()) {
            at.error(fmt::format("item {} has an empty store type", n));
            ok = false;
        } else if (!t) {
            at.error(fmt::format("store '{}': unknown type '{}' (known types: {})",
                                 detail::cut_text(id), detail::cut_text(type), known_types()));
            ok = false;
        }
        if (!id.empty() && valid_id(id)) {
            auto [it, inserted] = seen.emplace(ascii_lower(id), n);
            if (!inserted) {
                at.error(fmt::format("store id '{}' repeats item {} (ids are case-insensitive)", id,
                                     it->second));
                ok = false;
            }
        }
        if (ok) out.push_back({std::string(id), *t, false});
    }
    return out;
}

// The match key of a canonical prefix: its scheme family, then everything after the scheme.
std::string match_key(std::string_view canonical_prefix) {
    auto split = detail::split_canonical(canonical_prefix);
    if (!split) return std::string(canonical_prefix);  // (prefixes are canonical: never)
    return std::string(detail::family_name(detail::family_of(split->scheme))) + "://" +
           std::string(split->rest);
}

// Where each prefix of each store came from (parallel to store::url_prefixes()).
using prefix_origins = std::vector<std::vector<std::optional<detail::prefix_origin>>>;

// A diagnostic located at a prefix's origin, else at the store's `enabled_backends` entry.
diagnostic at_prefix(severity level,
                     const std::optional<detail::prefix_origin>& from,
                     const config_entry* declared_at,
                     std::string_view store_id,
                     std::string message) {
    if (from) return {level, from->file, from->line, from->section, from->key, std::move(message)};
    if (declared_at) {
        return {level,
                declared_at->file,
                declared_at->line,
                declared_at->section,
                declared_at->key,
                std::move(message)};
    }
    return {level, "", 0, std::string(store_id), "", std::move(message)};
}

// A URL prefix as a message quotes it: built from a configured path or host, so bounded, but
// with more room than a single value (a long real prefix stays recognisable).
std::string shown_prefix(std::string_view prefix) {
    return detail::cut_text(prefix, 4 * detail::max_quoted_chars);
}

// "file:line" of a prefix's origin for a message that names a second place, or "".
std::string place_of(const std::optional<detail::prefix_origin>& from,
                     const config_entry* declared_at) {
    if (from && from->line != 0) return fmt::format(" (set at {}:{})", from->file, from->line);
    if (!from && declared_at && declared_at->line != 0) {
        return fmt::format(" (declared at {}:{})", declared_at->file, declared_at->line);
    }
    return {};
}

// Same prefix twice is an error (except stores whose driver lets them share one: vmware stores
// told apart by disjoint datastores);
// one prefix inside another is a warning (longest wins). Each is located at the option that
// produced the later store's prefix.
void check_prefixes(const std::vector<store>& stores,
                    const prefix_origins& origins,
                    const config_entry* declared_at,
                    std::vector<diagnostic>& diags) {
    struct owner {
        std::size_t store;
        std::size_t prefix;
    };
    std::unordered_map<std::string, std::vector<owner>> owners;
    for (std::size_t i = 0; i < stores.size(); ++i) {
        const auto prefixes = stores[i].url_prefixes();
        for (std::size_t p = 0; p < prefixes.size(); ++p) {
            owners[match_key(prefixes[p])].push_back({i, p});
        }
    }
    auto origin = [&](owner o) -> const std::optional<detail::prefix_origin>& {
        return origins[o.store][o.prefix];
    };
    for (const auto& [key, ids] : owners) {
        for (std::size_t a = 0; a < ids.size(); ++a) {
            for (std::size_t b = a + 1; b < ids.size(); ++b) {
                const store& x = stores[ids[a].store];
                const store& y = stores[ids[b].store];
                const auto may_share = detail::driver_for(x.type()).may_share_prefix;
                if (x.type() == y.type() && may_share != nullptr && may_share(x, y)) continue;
                if (ids[a].store == ids[b].store) continue;
                diags.push_back(at_prefix(
                    severity::error, origin(ids[b]), declared_at, y.id(),
                    fmt::format("stores '{}' and '{}' have the same URL prefix {}; '{}' has it{}",
                                x.id(), y.id(), shown_prefix(key), x.id(),
                                place_of(origin(ids[a]), declared_at))));
            }
        }
    }
    for (const auto& [key, ids] : owners) {
        // Every shorter prefix of `key` that ends at a '/' after the authority.
        std::size_t start = key.find("://") + 3;
        for (std::size_t slash = key.find('/', start); slash + 1 < key.size();
             slash = key.find('/', slash + 1)) {
            auto outer = owners.find(key.substr(0, slash + 1));
            if (outer == owners.end()) continue;
            for (owner o : outer->second) {
                for (owner in : ids) {
                    if (o.store == in.store) continue;
                    diags.push_back(at_prefix(
                        severity::warning, origin(in), declared_at, stores[in.store].id(),
                        fmt::format("URL prefix {} of store '{}' is inside prefix {} of store "
                                    "'{}'{}: the longer prefix wins",
                                    shown_prefix(key), stores[in.store].id(),
                                    shown_prefix(outer->first), stores[o.store].id(),
                                    place_of(origin(o), declared_at))));
                }
            }
        }
    }
}

}  // namespace

store_registry::store_registry(init&& i)
    : stores_(std::move(i.stores)),
      default_index_(i.default_index),
      warnings_(std::move(i.warnings)) {
    by_id_.reserve(stores_.size());
    for (std::size_t s = 0; s < stores_.size(); ++s) {
        stores_[s].registry_ = this;  // never moves: the registry is neither copied nor moved
        by_id_.emplace(stores_[s].id(), s);
        for (const std::string& prefix : stores_[s].url_prefixes()) {
            auto split = detail::split_canonical(prefix);
            if (!split) continue;  // (prefixes are canonical: never)
            const std::string_view tail = split->rest.substr(0, split->rest.size() - 1);
            roots_[tail] |= 1u << static_cast<unsigned>(detail::family_of(split->scheme));
        }
        for (const auto& scheme : stores_[s].schemes()) {
            auto it = std::find(schemes_.begin(), schemes_.end(), scheme);
            if (it == schemes_.end()) {
                schemes_.push_back(scheme);
                by_scheme_.emplace_back();
                it = schemes_.end() - 1;
            }
            by_scheme_[static_cast<std::size_t>(it - schemes_.begin())].push_back(s);
        }
    }
}

const store* store_registry::find(std::string_view id) const noexcept {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &stores_[it->second];
}

bool store_registry::is_store_root(unsigned family, std::string_view key_tail) const noexcept {
    const auto it = roots_.find(key_tail);
    return it != roots_.end() && (it->second >> family & 1u) != 0;
}

std::vector<const store*> store_registry::stores_for_scheme(std::string_view scheme) const {
    std::vector<const store*> out;
    auto it = std::find(schemes_.begin(), schemes_.end(), scheme);
    if (it == schemes_.end()) return out;
    for (std::size_t s : by_scheme_[static_cast<std::size_t>(it - schemes_.begin())]) {
        out.push_back(&stores_[s]);
    }
    return out;
}

load_result store_registry::build(const glance_config& config, const registry_options& options) {
    std::vector<diagnostic> diags;
    spdlog::logger* logger = options.logger.get();

    // oslo's `$` substitution needs to know which options each group registers: every
    // driver's in [backend_defaults], the store type's in a store's section (known once
    // enabled_backends is read, which itself can only refer to [DEFAULT] and other groups).
    detail::registered_group defaults_group;
    for (store_type t : all_store_types()) {
        for (const auto& spec : detail::all_options(detail::driver_for(t))) {
            defaults_group.specs.push_back(spec);
        }
    }
    std::unordered_map<std::string, const detail::registered_group*> groups{
        {"backend_defaults", &defaults_group}};
    const detail::option_substitution substitution(
        config,
        [&](std::string_view lower_section) -> const detail::registered_group* {
            auto it = groups.find(std::string(lower_section));
            return it == groups.end() ? nullptr : it->second;
        },
        detail::option_name_rules());
    // Points `e` (when set) at a copy holding its expanded value; false after the expansion's
    // error was reported.
    auto expand_entry = [&](const config_entry*& e, std::optional<config_entry>& copy,
                            std::string_view option) {
        if (!e) return true;
        auto value = substitution.expand(*e, option, diags);
        if (!value) return false;
        copy = *e;
        copy->value = std::move(*value);
        e = &*copy;
        return true;
    };

    const config_entry* backends_entry = config.last(defaults_section, "enabled_backends");
    std::optional<config_entry> backends_copy;
    std::vector<declared_store> declared;
    if (expand_entry(backends_entry, backends_copy, "enabled_backends")) {
        declared = parse_enabled_backends(backends_entry, diags);
    }
    const std::size_t operator_stores = declared.size();
    if (options.reserved_stores) {
        // glance's reserved stores are file stores, whatever the operator's types.
        for (auto id : reserved_ids) declared.push_back({std::string(id), store_type::file, true});
    }
    std::array<detail::registered_group, 7> store_groups;  // by store_type
    for (store_type t : all_store_types()) {
        auto& g = store_groups[static_cast<std::size_t>(t)];
        g.specs = detail::all_options(detail::driver_for(t));
        g.unset_is_empty = true;
    }
    for (const declared_store& d : declared) {
        groups.emplace(ascii_lower(d.id), &store_groups[static_cast<std::size_t>(d.type)]);
    }
    if (declared.size() > options.max_stores) {
        reporter(diags, backends_entry, defaults_section, "enabled_backends")
            .error(fmt::format("{} stores exceed the limit of {}", declared.size(),
                               options.max_stores));
        return {nullptr, std::move(diags)};
    }

    // default_backend must name one of the operator's stores.
    // An index, not std::optional: GCC 12 -O3 warns (falsely) that the optional may be read
    // uninitialised, and no_default can never be a store index.
    constexpr std::size_t no_default = static_cast<std::size_t>(-1);
    std::size_t default_index = no_default;
    const config_entry* default_entry = config.last(glance_store_section, "default_backend");
    std::optional<config_entry> default_copy;
    const bool default_expanded = expand_entry(default_entry, default_copy, "default_backend");
    reporter default_at(diags, default_entry, glance_store_section, "default_backend");
    if (!default_expanded) {
        // Its substitution error is already reported at the entry.
    } else if (!default_entry || trim(default_entry->value).empty()) {
        default_at.error("not set: name the store that receives new images");
    } else {
        std::string_view want = trim(default_entry->value);
        for (std::size_t i = 0; i < declared.size(); ++i) {
            if (declared[i].id == want) default_index = i;
        }
        if (default_index == no_default) {
            default_at.error(
                fmt::format("'{}' is not a store in enabled_backends", detail::cut_text(want)));
        } else if (declared[default_index].reserved) {
            default_at.error(
                fmt::format("'{}' is a reserved store and cannot be the default", want));
            default_index = no_default;
        }
    }

    std::vector<store> stores;
    stores.reserve(declared.size());
    std::vector<std::filesystem::path> referenced;
    std::unordered_set<std::string> referenced_seen;  // 100,000 rbd stores may share ceph.conf
    prefix_origins origins;
    origins.reserve(declared.size());
    for (std::size_t i = 0; i < declared.size(); ++i) {
        const declared_store& d = declared[i];
        const detail::driver& drv = detail::driver_for(d.type);
        const std::vector<detail::option_spec> specs = detail::all_options(drv);
        if (!d.reserved && i < operator_stores && !config.has_section(d.id)) {
            reporter(diags, backends_entry, defaults_section, "enabled_backends")
                .warning(fmt::format("store '{}' has no [{}] section: built-in defaults apply",
                                     d.id, d.id));
        }
        // Reserved stores read only their own section (see store_options).
        detail::store_options opts(config, d.id, specs, diags, detail::option_name_rules(),
                                   options.strict, backends_entry, !d.reserved, &substitution);
        detail::driver_result r = drv.configure({.id = d.id,
                                                 .reserved = d.reserved,
                                                 .options = opts,
                                                 .limits = options.limits,
                                                 .sources = config.sources()});
        for (std::filesystem::path& f : r.files_read) {
            if (referenced_seen.insert(f.string()).second) referenced.push_back(std::move(f));
        }

        store::init init;
        init.id = d.id;
        init.type = d.type;
        init.schemes.assign(drv.schemes.names().begin(), drv.schemes.names().end());
        std::vector<std::optional<detail::prefix_origin>>& from = origins.emplace_back();
        for (detail::raw_prefix& raw : r.prefixes) {
            auto canonical = detail::canonicalize_prefix(raw.url);
            if (!canonical) {
                diags.push_back(at_prefix(severity::error, raw.from, backends_entry, d.id,
                                          "the configuration does not give a valid URL prefix"));
                continue;
            }
            init.prefixes.push_back(std::move(*canonical));
            from.push_back(std::move(raw.from));
        }
        init.location_class = std::string(drv.location_class);
        init.is_default = default_index == i;
        init.is_reserved = d.reserved;
        init.description = opts.str("store_description").value_or("");
        init.weight = opts.integer("weight").value_or(0);
        init.status = r.status;
        init.reason = std::move(r.reason);
        if (init.status == store_status::unresolvable) {
            init.prefixes.clear();
            from.clear();
            opts.warning(r.reason_option,
                         fmt::format("store '{}' is unresolvable and will never be matched: {}",
                                     d.id, init.reason));
        }
        init.options = opts.display();
        init.required_user = std::move(r.required_user);
        init.datastores = std::move(r.datastores);
        init.volume_type = std::move(r.volume_type);
        init.datadirs = std::move(r.datadirs);
        init.raw_options = opts.raw();
        init.codec = std::move(r.codec);
        stores.push_back(store(std::move(init)));
    }

    for (store_type t : all_store_types()) {
        // Stores claiming whole families (http) cannot share them.
        const detail::whole_family_claim* claim = detail::driver_for(t).whole_family;
        if (claim == nullptr) continue;
        const auto count = static_cast<std::size_t>(std::count_if(
            stores.begin(), stores.end(), [&](const store& s) { return s.type() == t; }));
        if (count > 1) {
            reporter(diags, backends_entry, defaults_section, "enabled_backends")
                .warning(fmt::format("{} {} stores: {} URLs cannot be told apart and resolve to "
                                     "no store (ambiguous)",
                                     count, to_string(t), claim->urls));
        }
    }
    check_prefixes(stores, origins, backends_entry, diags);

    if (has_errors(diags)) {
        if (logger) logger->debug("store registry not built: {} problem(s)", diags.size());
        return {nullptr, std::move(diags), std::move(referenced)};
    }
    for (const store& s : stores) {
        if (!logger) break;
        logger->debug("store '{}' type {} status {} prefixes [{}]", s.id(), to_string(s.type()),
                      to_string(s.status()), fmt::join(s.url_prefixes(), ", "));
    }
    std::vector<diagnostic> warnings;
    for (const auto& d : diags) {
        if (d.level == severity::warning) warnings.push_back(d);
    }
    std::shared_ptr<const store_registry> registry(new store_registry(init{
        std::move(stores), default_index == no_default ? 0 : default_index, std::move(warnings)}));
    return {std::move(registry), std::move(diags), std::move(referenced)};
}

load_result store_registry::load(const config_sources& sources, const registry_options& options) {
    config_load read = read_config(sources, options.limits);
    if (!read.ok()) return {nullptr, std::move(read.diagnostics)};
    load_result built = build(read.config, options);
    read.diagnostics.insert(read.diagnostics.end(), built.diagnostics.begin(),
                            built.diagnostics.end());
    built.diagnostics = std::move(read.diagnostics);
    return built;
}

std::string to_string(const store_registry& registry) {
    using detail::escape_text;
    const auto list = [](std::span<const std::string> items) {
        std::string joined;
        for (const auto& x : items) joined += (joined.empty() ? "" : ", ") + escape_text(x);
        return joined;
    };
    std::string out;
    for (const store& s : registry.stores()) {
        out += fmt::format("{} ({}){}{}\n", escape_text(s.id()), to_string(s.type()),
                           s.is_default() ? " default" : "", s.is_reserved() ? " reserved" : "");
        out += fmt::format("  schemes: {}\n", list(s.schemes()));
        out += fmt::format("  url prefixes: {}\n", list(s.url_prefixes()));
        out += fmt::format("  location class: {}\n", escape_text(s.location_class()));
        out += fmt::format("  status: {}{}{}\n", to_string(s.status()),
                           s.reason().empty() ? "" : ": ", escape_text(s.reason()));
        if (!s.description().empty()) {
            out += fmt::format("  description: {}\n", escape_text(s.description()));
        }
        out += fmt::format("  weight: {}\n", s.weight());
        for (const auto& o : s.options()) {
            // description and weight are printed above as the store's own fields.
            if (o.name == "store_description" || o.name == "weight") continue;
            if (o.from != store_option::origin::builtin_default) {
                out += fmt::format("  {} = {}\n", escape_text(o.name), escape_text(o.value));
            }
        }
    }
    return out;
}

}  // namespace imgstore
