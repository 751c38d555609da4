#include "detail/store_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "detail/substitution.hpp"
#include "detail/text.hpp"
#include "imgstore/secret.hpp"

namespace imgstore::detail {
namespace {

constexpr std::string_view backend_defaults = "backend_defaults";

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

// `value` with the userinfo of its URL replaced: from after "://" (or the start) to the last
// '@'. Over-hiding a path or query that holds '@' is the safe side for a config display.
std::string redact_one_url(std::string_view value) {
    const std::size_t at = value.rfind('@');
    if (at == std::string_view::npos) return std::string(value);
    const std::size_t sep = value.find("://");
    const std::size_t start = sep != std::string_view::npos && sep < at ? sep + 3 : 0;
    std::string out(value.substr(0, start));
    out += redacted_mark;
    out += value.substr(at);
    return out;
}

}  // namespace

std::optional<std::int64_t> parse_option_int(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

std::optional<bool> parse_option_bool(std::string_view text) {
    std::string v = ascii_lower(trim(text));
    if (v == "true" || v == "yes" || v == "on" || v == "1" || v == "t" || v == "y") return true;
    if (v == "false" || v == "no" || v == "off" || v == "0" || v == "f" || v == "n") return false;
    return std::nullopt;
}

std::string redact_option_url(std::string_view value, option_kind kind) {
    if (kind != option_kind::dict) return redact_one_url(value);
    // oslo Dict: items split on ',', each `key:value` split on the first ':'.
    std::string out;
    for (std::size_t pos = 0; pos <= value.size();) {
        std::size_t comma = value.find(',', pos);
        if (comma == std::string_view::npos) comma = value.size();
        const std::string_view item = value.substr(pos, comma - pos);
        const std::size_t colon = item.find(':');
        if (colon == std::string_view::npos) {
            out += redact_one_url(item);
        } else {
            out += item.substr(0, colon + 1);
            out += redact_one_url(item.substr(colon + 1));
        }
        if (comma < value.size()) out += ',';
        pos = comma + 1;
    }
    return out;
}

store_options::store_options(const glance_config& config,
                             std::string_view store_id,
                             std::span<const option_spec> specs,
                             std::vector<diagnostic>& diagnostics,
                             const ini_key_rules& key_rules,
                             bool strict,
                             const config_entry* declared_at,
                             bool use_backend_defaults,
                             const option_substitution* substitution)
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
        // Values as oslo reads them: `$` substitution applied to each occurrence.
        for (const config_entry* e : r.entries) {
            std::optional<std::string> v =
                substitution ? substitution->expand(*e, spec.name, diagnostics_) : e->value;
            r.valid = r.valid && v.has_value();
            r.values.push_back(v.value_or(std::string()));
        }
        options_.push_back(std::move(r));
    }
    for (auto& r : options_) {
        if (r.valid) validate(r);
    }

    for (const config_entry* e : config.section(store_id)) {
        bool known = std::any_of(specs.begin(), specs.end(), [&](const option_spec& s) {
            return s.name == e->key || (!s.deprecated_name.empty() && s.deprecated_name == e->key);
        });
        if (known) continue;
        diagnostics_.push_back({strict ? severity::error : severity::warning, e->file, e->line,
                                e->section, key_rules.printable_key(e->key),
                                "unknown option for this store type"});
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
                auto v = parse_option_int(value);
                if (!v) return fail("must be an integer");
                if (spec.min && *v < *spec.min)
                    return fail(fmt::format("must be >= {}", *spec.min));
                if (spec.max && *v > *spec.max)
                    return fail(fmt::format("must be <= {}", *spec.max));
                break;
            }
            case option_kind::boolean:
                if (!parse_option_bool(value))
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
        for (std::size_t i = 0; i < r.entries.size(); ++i) check_one(r.values[i], r.entries[i]);
    } else {
        check_one(r.values.back(), r.entries.back());
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
    if (!r->values.empty()) return r->values.back();
    if (r->spec->default_value) return std::string(*r->spec->default_value);
    return std::nullopt;
}

std::optional<std::int64_t> store_options::integer(std::string_view name) const {
    const resolved* r = find(name);
    if (!r || !r->valid) return std::nullopt;
    auto text = str(name);
    return text ? parse_option_int(*text) : std::nullopt;
}

std::optional<bool> store_options::boolean(std::string_view name) const {
    const resolved* r = find(name);
    if (!r || !r->valid) return std::nullopt;
    auto text = str(name);
    return text ? parse_option_bool(*text) : std::nullopt;
}

std::vector<std::string> store_options::multi(std::string_view name) const {
    std::vector<std::string> out;
    if (const resolved* r = find(name)) {
        out = r->values;
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

std::span<const config_entry* const> store_options::entries(std::string_view name) const {
    const resolved* r = find(name);
    if (!r) return {};
    return r->entries;
}

void store_options::report(severity level,
                           std::string_view name,
                           std::string message,
                           const config_entry* at) const {
    // An option whose value could not be read (a substitution or type error) was reported
    // once; what a driver makes of the value it then sees adds nothing.
    if (const resolved* r = find(name); r && !r->valid) return;
    const config_entry* own = at ? at : where(name);
    if (!at) at = own ? own : declared_at_;
    diagnostic d{level,     at ? at->file : "", at ? at->line : 0,
                 store_id_, std::string(name),  std::move(message)};
    // An entry of the store's own option: name its section as written in the file.
    if (own) d.section = own->section;
    diagnostics_.push_back(std::move(d));
}

void store_options::error_at(const config_entry* at,
                             std::string_view name,
                             std::string message) const {
    report(severity::error, name, std::move(message), at);
}

void store_options::warning_at(const config_entry* at,
                               std::string_view name,
                               std::string message) const {
    report(severity::warning, name, std::move(message), at);
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
            for (const auto& v : r.values) value += (value.empty() ? "" : ", ") + v;
        } else if (auto v = str(r.spec->name)) {
            value = *v;
        }
        if (r.spec->secret && !value.empty()) {
            value = std::string(redacted_mark);
        } else if (r.spec->url) {
            value = redact_option_url(value, r.spec->kind);
        }
        out.push_back({r.spec->name, std::move(value), r.from});
    }
    return out;
}

std::vector<std::pair<std::string_view, std::vector<secret>>> store_options::raw() const {
    std::vector<std::pair<std::string_view, std::vector<secret>>> out;
    for (const auto& r : options_) {
        std::vector<secret> values;
        if (r.spec->kind == option_kind::multi_string) {
            for (const auto* e : r.entries) values.emplace_back(e->value);
        } else if (auto v = str(r.spec->name)) {
            values.emplace_back(std::move(*v));
        }
        if (!values.empty()) out.emplace_back(r.spec->name, std::move(values));
    }
    return out;
}

}  // namespace imgstore::detail
