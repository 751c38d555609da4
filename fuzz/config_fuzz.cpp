// config_fuzz: parse_config() + store_registry::build() on arbitrary text. Properties:
//   - no crash, no sanitizer report;
//   - all or nothing: the registry is null iff the diagnostics hold an error (plain and strict);
//     strict mode never accepts what plain mode rejects;
//   - a loaded registry's prefixes are canonical, end with '/', and resolve (with an object
//     part) to a store that owns them;
//   - every diagnostic's text (to_string) is one line without a control byte (C0, DEL, C1),
//     and the registry text none but its line ends;
//   - secrets never leak: the text is rewritten so that every secret option (the list of
//     detail::secret_options()) holds a sentinel, and no diagnostic, prefix, option display,
//     store reason or registry dump may contain it.
// Inputs naming device or proc files are skipped: the loader reads the ceph.conf and swift
// reference files a config names, and a FIFO or terminal would block the fuzzer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detail/canonical_url.hpp"
#include "detail/store_options.hpp"
#include "drivers/driver.hpp"
#include "fuzz_support.hpp"
#include "imgstore/config.hpp"
#include "imgstore/diagnostic.hpp"
#include "imgstore/registry.hpp"
#include "imgstore/resolver.hpp"
#include "terminal_control.hpp"

namespace {

constexpr std::string_view target = "config_fuzz";
constexpr std::string_view sentinel = "SeNtInElSeCrEt7";
constexpr std::string_view sentinel_lower = "sentinelsecret7";

bool names_special_files(std::string_view text) {
    for (std::string_view bad : {"dev/", "proc/", "sys/", "dev\\", "/dev", "/proc", "/sys"}) {
        if (text.find(bad) != std::string_view::npos) return true;
    }
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// The text with the value of every `secret_key = value` line replaced by the sentinel. Only
// unindented key lines are touched (an indented line continues a value); the key is what comes
// before the first '=' or ':', as the parser splits.
std::string with_sentinel_secrets(std::string_view text, bool& replaced_any) {
    std::string out;
    out.reserve(text.size() + 64);
    replaced_any = false;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        const bool last = nl == std::string_view::npos;
        const std::size_t sep = line.find_first_of("=:");
        const bool key_line = !line.empty() && line.front() != ' ' && line.front() != '\t' &&
                              line.front() != '#' && line.front() != ';' && line.front() != '[' &&
                              sep != std::string_view::npos;
        if (key_line && imgstore::detail::is_secret_option(trim(line.substr(0, sep)))) {
            out += line.substr(0, sep + 1);
            out += ' ';
            out += sentinel;
            if (line.ends_with('\r')) out += '\r';
            replaced_any = true;
        } else {
            out += line;
        }
        if (!last) out += '\n';
    }
    return out;
}

// to_string(diagnostic)'s contract: one line, every part escaped.
void check_diagnostics_text(std::string_view input,
                            const std::vector<imgstore::diagnostic>& diagnostics) {
    for (const imgstore::diagnostic& d : diagnostics) {
        if (imgstore::test::terminal_control_at(imgstore::to_string(d), false) !=
            std::string_view::npos) {
            imgstore::fuzz::fail(target, "a diagnostic's text holds a control byte", input);
        }
    }
}

void check_no_sentinel(std::string_view input, std::string_view text, std::string_view what) {
    if (imgstore::fuzz::contains_normalised(text, sentinel_lower)) {
        imgstore::fuzz::fail(target, std::string("secret leaked into ") + std::string(what), input);
    }
}

imgstore::load_result load(std::string_view input, std::string_view text, bool strict) {
    const imgstore::config_load parsed = imgstore::parse_config(text, "fuzz.conf");
    check_diagnostics_text(input, parsed.diagnostics);
    imgstore::registry_options options;
    options.strict = strict;
    imgstore::load_result r = imgstore::store_registry::build(parsed.config, options);
    check_diagnostics_text(input, r.diagnostics);
    if (r.ok() == imgstore::has_errors(r.diagnostics)) {
        imgstore::fuzz::fail(target, "registry is null iff there is an error diagnostic", input);
    }
    return r;
}

void check_registry(std::string_view input, const imgstore::store_registry& registry) {
    const imgstore::location_resolver resolver(
        std::shared_ptr<const imgstore::store_registry>(&registry, [](const auto*) {}));
    std::string scratch;
    for (const imgstore::store& s : registry.stores()) {
        if (s.status() != imgstore::store_status::ok) continue;
        for (const std::string& p : s.url_prefixes()) {
            if (!p.ends_with('/')) imgstore::fuzz::fail(target, "prefix without final '/'", input);
            const auto canonical = imgstore::detail::canonicalize_prefix(p);
            if (!canonical || *canonical != p) {
                imgstore::fuzz::fail(target, "prefix is not canonical", input);
            }
            const std::string url = p + "object";
            const imgstore::resolution r = resolver.resolve(url, scratch);
            if (r.status == imgstore::resolve_status::matched) {
                bool owns = false;
                for (const std::string& q : r.owner->url_prefixes()) owns |= q == p;
                if (!owns) imgstore::fuzz::fail(target, "prefix resolves to another store", input);
            } else if (!(r.reason == imgstore::reason_code::ambiguous &&
                         imgstore::detail::driver_for(s.type()).may_share_prefix != nullptr)) {
                // Only stores whose driver lets them share a prefix (vmware: dsName tells
                // them apart) can be ambiguous on their own prefix.
                imgstore::fuzz::fail(target, "a store's own prefix does not resolve", input);
            }
        }
    }
    // to_string's contract: every value escaped, so no control byte but the line ends.
    if (imgstore::test::terminal_control_at(imgstore::to_string(registry)) !=
        std::string_view::npos) {
        imgstore::fuzz::fail(target, "the registry text holds a control byte", input);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (names_special_files(input)) return 0;

    const imgstore::load_result plain = load(input, input, false);
    const imgstore::load_result strict = load(input, input, true);
    if (strict.ok() && !plain.ok()) {
        imgstore::fuzz::fail(target, "strict accepts what plain rejects", input);
    }
    if (plain.ok()) check_registry(input, *plain.registry);

    // Secrets: only when the sentinel is ours alone.
    if (imgstore::fuzz::contains_normalised(input, sentinel_lower)) return 0;
    bool replaced = false;
    const std::string text = with_sentinel_secrets(input, replaced);
    if (!replaced) return 0;
    const imgstore::config_load parsed = imgstore::parse_config(text, "fuzz.conf");
    for (const auto& d : parsed.diagnostics) {
        check_no_sentinel(input, imgstore::to_string(d), "a parse diagnostic");
    }
    const imgstore::load_result r = load(input, text, false);
    for (const auto& d : r.diagnostics) {
        check_no_sentinel(input, imgstore::to_string(d), "a diagnostic");
        check_no_sentinel(input, d.section, "a diagnostic section");
        check_no_sentinel(input, d.key, "a diagnostic key");
    }
    if (!r.ok()) return 0;
    check_no_sentinel(input, imgstore::to_string(*r.registry), "to_string(registry)");
    for (const imgstore::store& s : r.registry->stores()) {
        for (const std::string& p : s.url_prefixes()) check_no_sentinel(input, p, "a prefix");
        for (const auto& o : s.options()) check_no_sentinel(input, o.value, "an option value");
        check_no_sentinel(input, s.reason(), "a store reason");
        check_no_sentinel(input, s.description(), "a store description");
    }
    return 0;
}
