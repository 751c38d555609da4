#include "detail/substitution.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "detail/text.hpp"
#include "detail/utf8.hpp"

namespace imgstore::detail {
namespace {

constexpr std::size_t max_expanded_bytes = 1u << 20;
constexpr std::size_t max_substitution_depth = 32;

// oslo's Template.idpattern `[_a-z][\._a-z0-9]*`, matched case-insensitively as string.Template
// does.
bool subst_name_start(char c) noexcept {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool subst_name_char(char c) noexcept {
    return subst_name_start(c) || c == '.' || (c >= '0' && c <= '9');
}

const option_spec* spec_named(const registered_group* g, std::string_view name) {
    if (!g) return nullptr;
    auto it = std::find_if(g->specs.begin(), g->specs.end(),
                           [&](const option_spec& s) { return s.name == name; });
    return it == g->specs.end() ? nullptr : &*it;
}

constexpr std::string_view literal_hint = "write $$ for a literal $";

}  // namespace

option_substitution::option_substitution(const glance_config& config,
                                         group_lookup groups,
                                         const ini_key_rules& key_rules)
    : config_(config), groups_(std::move(groups)), key_rules_(key_rules) {}

bool option_substitution::registered(std::string_view lower_section, std::string_view name) const {
    if (const registered_group* g = groups_(lower_section)) return spec_named(g, name) != nullptr;
    return config_.last(lower_section, name) != nullptr;
}

std::optional<std::string> option_substitution::expand(const config_entry& e,
                                                       std::string_view option,
                                                       std::vector<diagnostic>& out) const {
    if (e.value.find('$') == std::string::npos) return e.value;
    std::vector<frame> stack{{ascii_lower(e.section), std::string(option)}};
    std::vector<std::string> notes;
    std::string why;
    auto value =
        expand_text(e.value, ascii_lower(e.section), key_rules_.secret(option), stack, notes, why);
    for (std::string& note : notes) {
        out.push_back(
            {severity::warning, e.file, e.line, e.section, std::string(option), std::move(note)});
    }
    if (!value) {
        out.push_back(
            {severity::error, e.file, e.line, e.section, std::string(option), std::move(why)});
    }
    return value;
}

std::optional<std::string> option_substitution::expand_text(std::string_view raw,
                                                            std::string_view section,
                                                            bool secret_target,
                                                            std::vector<frame>& stack,
                                                            std::vector<std::string>& notes,
                                                            std::string& why) const {
    // oslo reads `\$` as `$$` before the template sees the value.
    std::string text;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == '$') {
            text += "$$";
            ++i;
        } else {
            text += raw[i];
        }
    }
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] != '$') {
            out += text[i++];
            continue;
        }
        std::size_t begin = i + 1;
        std::size_t end = begin;
        std::size_t next = begin;
        if (begin < text.size() && text[begin] == '$') {
            out += '$';
            i = begin + 1;
            continue;
        }
        if (begin < text.size() && subst_name_start(text[begin])) {
            end = begin + 1;
            while (end < text.size() && subst_name_char(text[end])) ++end;
            next = end;
        } else if (begin + 1 < text.size() && text[begin] == '{' &&
                   subst_name_start(text[begin + 1])) {
            std::size_t close = begin + 2;
            while (close < text.size() && subst_name_char(text[close])) ++close;
            if (close < text.size() && text[close] == '}') {
                begin += 1;
                end = close;
                next = close + 1;
            }
        }
        if (end == begin) {  // a '$' that starts no name stays (safe_substitute)
            out += '$';
            ++i;
            continue;
        }
        const std::string_view name = std::string_view(text).substr(begin, end - begin);
        std::optional<std::string> value;
        if (const std::size_t dot = name.find('.'); dot != std::string_view::npos) {
            const std::string group = ascii_lower(name.substr(0, dot));
            const std::string_view option = name.substr(dot + 1);
            if (registered(group, option)) {
                value = value_of(group, option, secret_target, stack, notes, why);
            } else if (registered("default", name)) {
                value = value_of("default", name, secret_target, stack, notes, why);
            }
        } else if (registered(section, name)) {
            value = value_of(section, name, secret_target, stack, notes, why);
        } else if (registered("default", name)) {
            value = value_of("default", name, secret_target, stack, notes, why);
        }
        if (!value) {
            if (!why.empty()) return std::nullopt;
            // The name came from the value's own text: of a secret, it is part of the secret.
            const std::string shown = cut_text(name);
            const std::size_t dot = shown.find('.');
            why = secret_target ? fmt::format("holds a '$' that names no option ({})", literal_hint)
                  : dot == std::string::npos
                      ? fmt::format("${}: no option '{}' in [{}] or [DEFAULT] ({})", shown, shown,
                                    cut_text(section), literal_hint)
                      : fmt::format("${}: no option '{}' in [{}] ({})", shown,
                                    shown.substr(dot + 1), shown.substr(0, dot), literal_hint);
            return std::nullopt;
        }
        out += *value;
        if (out.size() > max_expanded_bytes) {
            why = fmt::format("expands to more than {} bytes", max_expanded_bytes);
            return std::nullopt;
        }
        i = next;
    }
    return out;
}

std::optional<std::string> option_substitution::value_of(std::string_view section,
                                                         std::string_view name,
                                                         bool secret_target,
                                                         std::vector<frame>& stack,
                                                         std::vector<std::string>& notes,
                                                         std::string& why) const {
    const std::string lower_section(section);
    const auto same = [&](const frame& f) { return f.section == section && f.name == name; };
    if (std::any_of(stack.begin(), stack.end(), same)) {
        std::string chain;
        for (const frame& f : stack) {
            chain += fmt::format("[{}] {} -> ", cut_text(f.section), cut_text(f.name));
        }
        why = fmt::format("${}: substitution cycle {}[{}] {}", cut_text(name), chain,
                          cut_text(section), cut_text(name));
        return std::nullopt;
    }
    if (stack.size() >= max_substitution_depth) {
        why = fmt::format("${}: substitutions nested more than {} deep", cut_text(name),
                          max_substitution_depth);
        return std::nullopt;
    }
    if (key_rules_.secret(name) && !secret_target) {
        why = fmt::format(
            "${}: a secret option is never substituted into an option that is not secret (it "
            "would be printed)",
            cut_text(name));
        return std::nullopt;
    }
    const registered_group* group = groups_(section);
    const option_spec* spec = spec_named(group, name);
    if (spec && (spec->kind == option_kind::multi_string || spec->kind == option_kind::dict ||
                 spec->kind == option_kind::list)) {
        why = fmt::format(
            "${}: a multi-valued, list or dict option cannot be substituted (glance "
            "would insert its Python form)",
            cut_text(name));
        return std::nullopt;
    }
    std::string text;
    if (const config_entry* e = config_.last(section, name)) {
        stack.push_back({lower_section, std::string(name)});
        auto expanded = expand_text(e->value, lower_section, secret_target, stack, notes, why);
        stack.pop_back();
        if (!expanded) return std::nullopt;
        text = std::move(*expanded);
    } else if (group && group->unset_is_empty) {
        notes.push_back(fmt::format(
            "${}: {} is not set in [{}]; glance substitutes an empty string (it reads a store's "
            "unset options as None), not [backend_defaults] or the default",
            cut_text(name), cut_text(name), cut_text(section)));
        return std::string();
    } else if (spec && spec->default_value) {
        text = std::string(*spec->default_value);
    }
    if (spec && spec->kind == option_kind::integer) {
        auto v = parse_option_int(text);
        if (!v) {
            why = fmt::format("${}: its value is not an integer", cut_text(name));
            return std::nullopt;
        }
        return std::to_string(*v);
    }
    if (spec && spec->kind == option_kind::boolean) {
        auto v = parse_option_bool(text);
        if (!v) {
            why = fmt::format("${}: its value is not a boolean", cut_text(name));
            return std::nullopt;
        }
        return std::string(*v ? "True" : "False");  // Python's str(bool)
    }
    return text;
}

}  // namespace imgstore::detail
