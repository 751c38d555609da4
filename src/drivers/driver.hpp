// The private driver interface: what each store type declares (schemes, options, location
// class), how it turns its resolved options into URL prefixes and a location codec, and the
// hooks through which it makes its type's own decisions.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "detail/canonical_url.hpp"
#include "detail/ini_reader.hpp"
#include "detail/location_codec.hpp"
#include "detail/scheme_table.hpp"
#include "detail/store_options.hpp"
#include "imgstore/config.hpp"
#include "imgstore/location.hpp"
#include "imgstore/store.hpp"

namespace imgstore {
class store_registry;
}

namespace imgstore::detail {

/// What the registry hands a driver for one store.
struct store_context {
    std::string_view id;
    bool reserved = false;
    const store_options& options;   ///< resolved options; report problems through it
    const config_limits& limits;    ///< for files the driver reads (ceph.conf, swift references)
    const config_sources& sources;  ///< where the config was read: files it names are beside
};

/// Where a prefix comes from: the file, line, section and key of the option that produced it
/// (values are never kept). Unset: the store's declaration in `enabled_backends`.
struct prefix_origin {
    std::string file;
    std::uint32_t line = 0;
    std::string section;
    std::string key;
};

/// The origin of an entry, or nullopt for nullptr (a built-in default).
std::optional<prefix_origin> origin_of(const config_entry* e);

/// One raw prefix (scheme://authority/path/, ending with '/'), for the registry to canonicalise.
struct raw_prefix {
    std::string url;
    std::optional<prefix_origin> from;
};

/// What a driver makes of one store's config.
struct driver_result {
    /// Empty for http and for unresolvable stores.
    std::vector<raw_prefix> prefixes;
    store_status status = store_status::ok;
    std::string reason;              ///< why unresolvable; never holds a secret
    std::string_view reason_option;  ///< the option the reason is about (where it is located)
    std::string required_user;
    std::vector<std::string> datastores;
    std::string volume_type;
    std::vector<store_datadir> datadirs;  ///< file only
    std::shared_ptr<const location_codec> codec;
    /// Files the config names that the driver read or tried to read (ceph.conf, the swift
    /// reference file as found), for load_result::referenced_files.
    std::vector<std::filesystem::path> files_read;
};

/// A driver's schemes, in upstream get_schemes() order. Made only by of<names>(), which checks
/// them against the scheme table at compile time: a scheme without its row in
/// detail/scheme_table.hpp does not compile, so no prefix or URL of a declared scheme can be
/// unknown to the canonical form.
class scheme_list {
  public:
    template <const auto& Names>
    static constexpr scheme_list of() {
        static_assert(all_in_table(Names),
                      "a driver declares a scheme that has no row in the scheme table");
        scheme_mask mask = 0;
        for (std::string_view name : Names) mask |= bit(scheme_row_named(name)->id);
        return scheme_list(Names, mask);
    }
    std::span<const std::string_view> names() const noexcept { return names_; }
    /// The same schemes as a set.
    scheme_mask mask() const noexcept { return mask_; }

  private:
    constexpr scheme_list(std::span<const std::string_view> names, scheme_mask mask)
        : names_(names), mask_(mask) {}
    template <std::size_t N>
    static constexpr bool all_in_table(const std::array<std::string_view, N>& names) {
        for (std::string_view name : names) {
            if (scheme_row_named(name) == nullptr) return false;
        }
        return true;
    }
    std::span<const std::string_view> names_;
    scheme_mask mask_;
};

/// How a type that claims whole families (http: no prefixes) is described to people.
struct whole_family_claim {
    std::string_view explain;  ///< beside each store in explain()'s hits
    std::string_view urls;     ///< names the URLs in the several-stores warning: "http(s)"
};

/// What stamping does with a legacy location of the type (cinder://<volume>): its owner and
/// its rewritten URL, or `ambiguous` when several stores could own it.
struct legacy_adoption {
    const store* owner = nullptr;
    std::string new_url;
    bool ambiguous = false;
};

/// Maps a legacy location's id to what tells its store (cinder: volume id -> volume type).
using legacy_lookup = std::function<std::optional<std::string>(std::string_view id)>;

/// One store type: what it declares, and every decision about its URLs that is its own. The
/// resolver, the registry and stamping call the hooks; a null hook is the general rule, said
/// at each. A store type is its driver file (src/drivers/<type>.cpp), which defines this
/// object, plus its rows in detail/scheme_table.hpp.
struct driver {
    store_type type;
    scheme_list schemes;
    std::string_view location_class;       ///< e.g. "imgstore::file_location"
    std::span<const option_spec> options;  ///< glance_store's OPTIONS for the type
    /// Computes prefixes and the codec. Invalid options are reported through ctx.options
    /// (errors make the whole load fail); a valid store whose prefix cannot be known returns
    /// status unresolvable with a reason.
    driver_result (*configure)(const store_context& ctx);
    /// The URL of a location of this type as upstream's get_uri() writes it; `redact` replaces
    /// credentials with "***". Only called with this type's alternative (format_as()).
    std::string (*format)(const location& loc, bool redact);

    /// http: stores of the type have no prefixes and claim every URL of their schemes'
    /// families as a whole; one such store owns them, several make each ambiguous (and the
    /// registry warns). Null: URLs are matched against prefixes.
    const whole_family_claim* whole_family = nullptr;
    /// vmware: two stores of the type may have the same prefix (else an error). Null: never.
    bool (*may_share_prefix)(const store& a, const store& b) = nullptr;
    /// vmware: of the stores sharing the matched prefix, whether `s` owns the URL with this
    /// query (exactly one must, else ambiguous). Null: none does.
    bool (*owns_shared)(const store& s, std::string_view query) = nullptr;
    /// swift: whether `s` may own a URL carrying this userinfo (raw, well-formed; never
    /// copied). Null: any userinfo the canonical form allows.
    bool (*accepts_userinfo)(const store& s, std::string_view userinfo) = nullptr;
    /// cinder: a URL of the type's families that no prefix covers is a legacy form that a
    /// lookup can place (no_store/cinder_legacy). Null: no legacy forms (no_prefix).
    bool (*is_legacy)(const canonical_url& c) = nullptr;
    /// cinder: the owner and rewrite of a legacy URL (canonical form), found with `lookup`.
    legacy_adoption (*adopt_legacy)(const store_registry& registry,
                                    std::string_view canonical_url,
                                    const legacy_lookup& lookup) = nullptr;
    /// swift: the credential keys of the files the type's options name (glance-swift.conf's
    /// `user`, `key`, ...): a diagnostic never shows what follows them in a mistyped key.
    std::span<const std::string_view> secret_reference_keys = {};
};

/// The driver of a type. Static lifetime.
const driver& driver_for(store_type type) noexcept;

/// The driver whose schemes make up a family. Static lifetime; every family has one
/// (tests/driver_test.cpp).
const driver& driver_for(scheme_family_id family) noexcept;

/// The driver of a canonical URL's scheme, or nullptr when no driver declares it.
const driver* driver_for_url(std::string_view canonical_url) noexcept;

/// The store type a location belongs to (the variant's alternatives are in store_type order).
store_type location_type(const location& loc) noexcept;

/// Adapts a driver's formatter of its own location struct to driver::format.
template <class Location, std::string (*Format)(const Location&, bool)>
std::string format_as(const location& loc, bool redact) {
    return Format(std::get<Location>(loc), redact);
}

/// Options common to every store (store_description, weight).
std::span<const option_spec> common_options() noexcept;

/// common_options() followed by the driver's own options: what a store section may hold.
std::vector<option_spec> all_options(const driver& d);

// What the config reader, the `$` substitution and a store's options must know of option names
// before a store has a type (a secret is hidden in whatever section it is written), derived
// from the drivers' declarations: each type says it in its own file.

/// Every option some driver declares secret (option_spec::secret), once, in driver order.
std::span<const std::string_view> secret_options() noexcept;
bool is_secret_option(std::string_view name) noexcept;

/// Every credential key of the files some driver's options name (driver::secret_reference_keys).
std::span<const std::string_view> secret_reference_keys() noexcept;

/// True for an option some driver declares option_kind::multi_string: its repeats accumulate
/// instead of overriding (`filesystem_store_datadirs`, `vmware_datastores`).
bool is_multi_valued_option(std::string_view name) noexcept;

/// A key that may be mistyped, as diagnostics show it: bounded and without anything that may
/// be a value. A line `cinder_store_password SENTINEL:x` is read as the key
/// `cinder_store_password SENTINEL`. Keeps the leading run of characters an option name holds
/// (`A-Z a-z 0-9 _`), at most 64, and stops after the name of a secret option or reference key
/// the key starts with (any case: `keySENTINEL` shows as `key...`); "..." marks that something
/// was left out.
std::string printable_key(std::string_view key);

/// The three above as the INI reader, the substitution and store_options take them. Static.
const ini_key_rules& option_name_rules() noexcept;

/// The rules of a file glance reads with Python's configparser (the swift reference file):
/// no key accumulates, the reference file's credential keys are secret, keys shown as
/// printable_key shows them, and repeats are refused as configparser refuses them
/// (ini_key_rules::strict_repeats). Static.
const ini_key_rules& reference_file_rules() noexcept;

// One definition per type, in src/drivers/<type>.cpp.
extern const driver file_driver;
extern const driver http_driver;
extern const driver rbd_driver;
extern const driver s3_driver;
extern const driver swift_driver;
extern const driver cinder_driver;
extern const driver vmware_driver;

// Location parsers that need no store config, for the drivers' stateless codecs (swift and
// cinder take theirs via their own codecs).
[[nodiscard]] result<file_location> parse_file_location(std::string_view uri);
[[nodiscard]] result<http_location> parse_http_location(std::string_view uri);
[[nodiscard]] result<rbd_location> parse_rbd_location(std::string_view uri);
[[nodiscard]] result<s3_location> parse_s3_location(std::string_view uri);
[[nodiscard]] result<cinder_location> parse_cinder_location(std::string_view uri);
[[nodiscard]] result<vsphere_location> parse_vsphere_location(std::string_view uri);

}  // namespace imgstore::detail
