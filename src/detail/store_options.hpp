// Per-store option resolution: [<store id>] first, then [backend_defaults], then the built-in
// default, with type checks and diagnostics that carry file, line, section and key.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/ini_reader.hpp"
#include "imgstore/config.hpp"
#include "imgstore/diagnostic.hpp"
#include "imgstore/secret.hpp"
#include "imgstore/store_option.hpp"

namespace imgstore::detail {

class option_substitution;

enum class option_kind { string, integer, boolean, multi_string, dict, list };

/// One option a driver declares: name, type and default exactly as glance_store.
struct option_spec {
    std::string_view name;
    option_kind kind = option_kind::string;
    std::optional<std::string_view> default_value;  ///< textual; nullopt = no default (None)
    bool url = false;  ///< holds URLs (or hosts): shown with any userinfo redacted
    std::optional<std::int64_t> min = std::nullopt;
    std::optional<std::int64_t> max = std::nullopt;
    std::span<const std::string_view> choices = {};  ///< allowed values, empty = any
    std::string_view deprecated_name = {};           ///< old name still accepted (oslo)
    /// glance_store's `secret=True`: the value is never printed (`***`), never echoed in a
    /// diagnostic and never substituted into an option that is not secret.
    bool secret = false;
};

/// A URL-valued option's value for display: the userinfo (from the authority's start to the
/// last '@' of the value, so secrets holding '/', ':' or '@' are covered) becomes "***". For a
/// dict (`scheme:url, scheme:url`) each item's URL is redacted.
std::string redact_option_url(std::string_view value, option_kind kind);

/// oslo.config Integer: optional sign and decimal digits, surrounding blanks ignored.
std::optional<std::int64_t> parse_option_int(std::string_view text);
/// oslo.config Boolean (true/false/yes/no/on/off/1/0/t/f/y/n, any case).
std::optional<bool> parse_option_bool(std::string_view text);

/// The resolved options of one store. Construction validates every declared option's type,
/// range and choices, and reports unknown keys in the store section (warning; error if strict).
/// Diagnostics go to the vector passed in, which must outlive this object, as must `config`;
/// `key_rules` (the drivers' option_name_rules()) shows an unknown key without a secret.
/// `declared_at` (optional) is the `enabled_backends` entry that declared the store: problems
/// with no entry of their own (a missing required option) are located there.
/// `use_backend_defaults` false reads only the store's own section (reserved stores: upstream
/// HEAD's fallback moved the staging area into the images directory, R11). `substitution`
/// (optional, outliving this object) expands `$` references in every value read.
class store_options {
  public:
    store_options(const glance_config& config,
                  std::string_view store_id,
                  std::span<const option_spec> specs,
                  std::vector<diagnostic>& diagnostics,
                  const ini_key_rules& key_rules,
                  bool strict,
                  const config_entry* declared_at = nullptr,
                  bool use_backend_defaults = true,
                  const option_substitution* substitution = nullptr);

    /// String value (or nullopt when unset and without default). For multi options: the last.
    std::optional<std::string> str(std::string_view name) const;
    /// Integer value; nullopt when unset without default or invalid (already reported).
    std::optional<std::int64_t> integer(std::string_view name) const;
    /// Boolean value (oslo accepts true/false/yes/no/on/off/1/0, any case).
    std::optional<bool> boolean(std::string_view name) const;
    /// Every value of a multi-valued option, in read order across files; empty when unset.
    std::vector<std::string> multi(std::string_view name) const;
    /// True if the option was set in the store section or [backend_defaults].
    bool is_set(std::string_view name) const;
    /// The entry the value came from, or nullptr for a built-in default.
    const config_entry* where(std::string_view name) const;
    /// Every entry of the option in read order (each value of a multi-valued option); empty for
    /// a built-in default.
    std::span<const config_entry* const> entries(std::string_view name) const;

    /// Adds an error about option `name`, located at its entry (or, for an option set nowhere,
    /// at the `enabled_backends` entry that declared the store).
    void error(std::string_view name, std::string message) const;
    void warning(std::string_view name, std::string message) const;
    /// The same, located at one entry of the option (a value of a multi-valued option).
    void error_at(const config_entry* at, std::string_view name, std::string message) const;
    void warning_at(const config_entry* at, std::string_view name, std::string message) const;
    /// Adds a diagnostic located elsewhere (e.g. in a file the option names).
    void add(diagnostic d) const { diagnostics_.push_back(std::move(d)); }

    /// Effective options for display, secrets redacted.
    std::vector<store_option> display() const;
    /// Effective raw values of the options that have one (see store::raw_option), in
    /// declaration order. The names view the option specs (static tables): a registry of
    /// 10,000 stores held about 17 MB of copied names and empty entries before.
    std::vector<std::pair<std::string_view, std::vector<secret>>> raw() const;

    std::string_view store_id() const noexcept { return store_id_; }

  private:
    struct resolved {
        const option_spec* spec = nullptr;
        std::vector<const config_entry*> entries;  // empty = built-in default
        std::vector<std::string> values;           // entries' values, `$` expanded
        store_option::origin from = store_option::origin::builtin_default;
        bool valid = true;  // false once a type/range/choice error was reported
    };
    const resolved* find(std::string_view name) const;
    void report(severity level,
                std::string_view name,
                std::string message,
                const config_entry* at = nullptr) const;
    void validate(resolved& r);

    std::string store_id_;
    const config_entry* declared_at_;
    std::vector<resolved> options_;
    std::vector<diagnostic>& diagnostics_;
};

}  // namespace imgstore::detail
