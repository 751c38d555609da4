// oslo.config's `$` substitution (ConfigOpts._substitute with string.Template.safe_substitute):
// `$name` and `${name}` are the value of another option, `$group.name` one of another group,
// `$$` and `\$` a literal `$`; a `$` that starts no name stays as it is.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detail/store_options.hpp"
#include "imgstore/config.hpp"
#include "imgstore/diagnostic.hpp"

namespace imgstore::detail {

/// The options oslo.config has registered in a group, as glance does: a store's driver options
/// (unset ones read as None, i.e. an empty string) or [backend_defaults]' (unset ones read as
/// their default). nullopt for any other group, where every key set in it counts as registered.
struct registered_group {
    std::vector<option_spec> specs;
    bool unset_is_empty = false;  ///< a store group: glance_store set_default(None) on each
};
using group_lookup = std::function<const registered_group*(std::string_view lower_section)>;

/// Expands values of one config. Lookup follows oslo: the option in the value's own group if it
/// is registered there, else in [DEFAULT]; `$group.name` in that group only. Errors (an unknown
/// name, a cycle, a secret substituted into an option that is not secret, a multi-valued option
/// substituted) are diagnostics at the entry, never echoing a secret's text. Keeps references to
/// `config` and `groups`, which must outlive it. Not thread-safe (one load at a time).
class option_substitution {
  public:
    /// `key_rules.secret` tells the secret options (the drivers' option_name_rules()); it and
    /// `config` must outlive this object.
    option_substitution(const glance_config& config,
                        group_lookup groups,
                        const ini_key_rules& key_rules);

    /// `e.value` expanded in `e.section`; nullopt after reporting an error to `out`. A value
    /// without '$' is returned unchanged. `option` is the option the value is read as (its name
    /// decides whether it is a secret; it differs from e.key for a deprecated name).
    std::optional<std::string> expand(const config_entry& e,
                                      std::string_view option,
                                      std::vector<diagnostic>& out) const;

  private:
    struct frame {
        std::string section;  // lower-cased
        std::string name;
    };
    // Expands `text` read in `section`; on failure sets `why`.
    std::optional<std::string> expand_text(std::string_view text,
                                           std::string_view section,
                                           bool secret_target,
                                           std::vector<frame>& stack,
                                           std::vector<std::string>& notes,
                                           std::string& why) const;
    std::optional<std::string> value_of(std::string_view section,
                                        std::string_view name,
                                        bool secret_target,
                                        std::vector<frame>& stack,
                                        std::vector<std::string>& notes,
                                        std::string& why) const;
    bool registered(std::string_view lower_section, std::string_view name) const;

    const glance_config& config_;
    group_lookup groups_;
    const ini_key_rules& key_rules_;
};

}  // namespace imgstore::detail
