#include "detail/store_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <utility>

#include "detail/text.hpp"

namespace imgstore::detail {
namespace {

constexpr std::string_view backend_defaults = "backend_defaults";

// oslo.config Integer: optional sign and decimal digits, surrounding blanks ignored.
std::optional<std::int64_t> parse_int(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

// oslo.config Boolean (strutils.bool_from_string with strict=True).
std::optional<bool> parse_bool(std::string_view text) {
    std::string v = ascii_lower(trim(text));
    if (v == "true" || v == "yes" || v == "on" || v == "1" || v == "t" || v == "y") return true;
    if (v == "false" || v == "no" || v == "off" || v == "0" || v == "f" || v == "n") return false;
    return std::nullopt;
}

std::vector<const config_entry*> lookup(const glance_config& config,
                                        std::string_view section,
                                        const option_spec& spec) {
    auto found = config.all(section, spec.name);
    if (!spec.deprecated_name.empty()) {
        auto old = config.all(section, spec.deprecated_name);
        found.insert(found.end(), old.begin(), old.end());
        std::stable_sort(found.begin(), found.end(), [](const auto* a, const auto* b) {
            return a < b;  // entries live in one vector: address order is read order
        });
    }
    return found;
}

}  // namespace

bool is_secret_option_name(std::string_view name) noexcept {
    return name.ends_with("_key") || name.ends_with("_password") ||
           name.find("_secret") != std::string_view::npos;
}

bool is_multi_valued_option(std::string_view name) noexcept {
    return name == "filesystem_store_datadirs" || name == "vmware_datastores";
}

store_options::store_options(const glance_config& config,
                             std::string_view store_id,
                             std::span<const option_spec> specs,
                             std::vector<diagnostic>& diagnostics,
                             bool strict,
                             const config_entry* declared_at,
                             bool use_backend_defaults)
    : store_id_(store_id), declared_at_(declared_at), diagnostics_(diagnostics) {
    options_.reserve(specs.size());
    for (const auto& spec : specs) {
        resolved r;
        r.spec = &spec;
        r.entries = lookup(config, store_id, spec);
        if (!r.entries.empty()) {
            r.from = store_option::origin::store_section;
        } else if (use_backend_defaults) {
            r.entries = lookup(config, backend_defaults, spec);
            if (!r.entries.empty()) r.from = store_option::origin::backend_defaults;
        }
        options_.push_back(std::move(r));
    }
    for (auto& r : options_) validate(r);

    for (const config_entry* e : config.section(store_id)) {
        bool known = std::any_of(specs.begin(), specs.end(), [&](const option_spec& s) {
            return s.name == e->key || (!s.deprecated_name.empty() && s.deprecated_name == e->key);
        });
        if (known) continue;
        diagnostics_.push_back({strict ? severity::error : severity::warning, e->file, e->line,
                                e->section, e->key, "unknown option for this store type"});
    }
}

void store_options::validate(resolved& r) {
    const option_spec& spec = *r.spec;
    auto check_one = [&](std::string_view value, const config_entry* at) {
        auto fail = [&](std::string message) {
            r.valid = false;
            diagnostics_.push_back({severity::error, at ? at->file : "", at ? at->line : 0,
                                    at ? at->section : store_id_, std::string(spec.name),
                                    std::move(message)});
        };
        switch (spec.kind) {
            case option_kind::integer: {
                auto v = parse_int(value);
                if (!v) return fail("must be an integer");
                if (spec.min && *v < *spec.min)
                    return fail(fmt::format("must be >= {}", *spec.min));
                if (spec.max && *v > *spec.max)
                    return fail(fmt::format("must be <= {}", *spec.max));
                break;
            }
            case option_kind::boolean:
                if (!parse_bool(value))
                    return fail("must be a boolean (true/false/yes/no/on/off/1/0)");
                break;
            default:
                break;
        }
        if (!spec.choices.empty() && std::find(spec.choices.begin(), spec.choices.end(),
                                               trim(value)) == spec.choices.end()) {
            std::string allowed;
            for (auto c : spec.choices) allowed += (allowed.empty() ? "" : ", ") + std::string(c);
            fail(fmt::format("must be one of: {}", allowed));
        }
    };
    if (r.entries.empty()) {
        if (spec.default_value) check_one(*spec.default_value, nullptr);
        return;
    }
    if (spec.kind == option_kind::multi_string) {
        for (const auto* e : r.entries) check_one(e->value, e);
    } else {
        check_one(r.entries.back()->value, r.entries.back());
    }
}

const store_options::resolved* store_options::find(std::string_view name) const {
    for (const auto& r : options_) {
        if (r.spec->name == name) return &r;
    }
    return nullptr;
}

std::optional<std::string> store_options::str(std::string_view name) const {
    const resolved* r = find(name);
    if (!r) return std::nullopt;
    if (!r->entries.empty()) return r->entries.back()->value;
    if (r->spec->default_value) return std::string(*r->spec->default_value);
    return std::nullopt;
}

std::optional<std::int64_t> store_options::integer(std::string_view name) const {
    const resolved* r = find(name);
    if (!r || !r->valid) return std::nullopt;
    auto text = str(name);
    return text ? parse_int(*text) : std::nullopt;
}

std::optional<bool> store_options::boolean(std::string_view name) const {
    const resolved* r = find(name);
    if (!r || !r->valid) return std::nullopt;
    auto text = str(name);
    return text ? parse_bool(*text) : std::nullopt;
}

std::vector<std::string> store_options::multi(std::string_view name) const {
    std::vector<std::string> out;
    if (const resolved* r = find(name)) {
        for (const auto* e : r->entries) out.push_back(e->value);
    }
    return out;
}

bool store_options::is_set(std::string_view name) const {
    const resolved* r = find(name);
    return r && !r->entries.empty();
}

const config_entry* store_options::where(std::string_view name) const {
    const resolved* r = find(name);
    return r && !r->entries.empty() ? r->entries.back() : nullptr;
}

void store_options::report(severity level, std::string_view name, std::string message) const {
    const config_entry* at = where(name);
    if (!at) at = declared_at_;
    diagnostic d{level,     at ? at->file : "", at ? at->line : 0,
                 store_id_, std::string(name),  std::move(message)};
    // An entry of the store's own option: name its section as written in the file.
    if (const config_entry* own = where(name)) d.section = own->section;
    diagnostics_.push_back(std::move(d));
}

void store_options::error(std::string_view name, std::string message) const {
    report(severity::error, name, std::move(message));
}

void store_options::warning(std::string_view name, std::string message) const {
    report(severity::warning, name, std::move(message));
}

std::vector<store_option> store_options::display() const {
    std::vector<store_option> out;
    out.reserve(options_.size());
    for (const auto& r : options_) {
        std::string value;
        if (r.spec->kind == option_kind::multi_string) {
            for (const auto* e : r.entries) value += (value.empty() ? "" : ", ") + e->value;
        } else if (auto v = str(r.spec->name)) {
            value = *v;
        }
        if ((r.spec->secret || is_secret_option_name(r.spec->name)) && !value.empty()) {
            value = std::string(redacted_mark);
        }
        out.push_back({std::string(r.spec->name), std::move(value), r.from});
    }
    return out;
}

std::vector<std::pair<std::string, std::vector<secret>>> store_options::raw() const {
    std::vector<std::pair<std::string, std::vector<secret>>> out;
    out.reserve(options_.size());
    for (const auto& r : options_) {
        std::vector<secret> values;
        if (r.spec->kind == option_kind::multi_string) {
            for (const auto* e : r.entries) values.emplace_back(e->value);
        } else if (auto v = str(r.spec->name)) {
            values.emplace_back(std::move(*v));
        }
        out.emplace_back(std::string(r.spec->name), std::move(values));
    }
    return out;
}

}  // namespace imgstore::detail
