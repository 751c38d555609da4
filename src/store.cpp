#include "imgstore/store.hpp"

#include <array>
#include <string>

#include "detail/canonical_url.hpp"
#include "detail/location_codec.hpp"
#include "detail/text.hpp"
#include "drivers/driver.hpp"
#include "imgstore/registry.hpp"

namespace imgstore {
namespace {

// The public enum's values and, below, their names as enabled_backends spells them: the one
// place that lists every type (each type's rules live in src/drivers/<type>.cpp).
constexpr std::array<store_type, 7> types{store_type::file,  store_type::http,  store_type::rbd,
                                          store_type::s3,    store_type::swift, store_type::cinder,
                                          store_type::vmware};

}  // namespace

std::string_view to_string(store_type t) noexcept {
    switch (t) {
        case store_type::file:
            return "file";
        case store_type::http:
            return "http";
        case store_type::rbd:
            return "rbd";
        case store_type::s3:
            return "s3";
        case store_type::swift:
            return "swift";
        case store_type::cinder:
            return "cinder";
        case store_type::vmware:
            return "vmware";
    }
    return "file";
}

std::optional<store_type> parse_store_type(std::string_view name) noexcept {
    for (store_type t : types) {
        if (to_string(t) == name) return t;
    }
    return std::nullopt;
}

std::span<const store_type> all_store_types() noexcept { return types; }

std::string_view to_string(store_status s) noexcept {
    return s == store_status::ok ? "ok" : "unresolvable";
}

store::store(init&& i)
    : id_(std::move(i.id)),
      type_(i.type),
      schemes_(std::move(i.schemes)),
      prefixes_(std::move(i.prefixes)),
      location_class_(std::move(i.location_class)),
      is_default_(i.is_default),
      is_reserved_(i.is_reserved),
      description_(std::move(i.description)),
      weight_(i.weight),
      status_(i.status),
      reason_(std::move(i.reason)),
      options_(std::move(i.options)),
      required_user_(std::move(i.required_user)),
      datastores_(std::move(i.datastores)),
      volume_type_(std::move(i.volume_type)),
      datadirs_(std::move(i.datadirs)),
      raw_options_(std::move(i.raw_options)),
      codec_(std::move(i.codec)) {}

store::store(store&&) noexcept = default;
store& store::operator=(store&&) noexcept = default;
store::~store() = default;

std::span<const secret> store::raw_option(std::string_view name) const noexcept {
    for (const auto& [option, values] : raw_options_) {
        if (option == name) return values;
    }
    return {};
}

result<location> store::parse_location(std::string_view uri) const {
    auto sep = uri.find("://");
    if (sep == std::string_view::npos) return make_error_code(errc::bad_uri);
    std::string_view scheme = uri.substr(0, sep);
    bool known = false;
    for (const auto& s : schemes_) known = known || detail::iequals(s, scheme);
    if (!known) return make_error_code(errc::unknown_scheme);
    if (!codec_) return make_error_code(errc::bad_uri);
    // One set of rules: a URL the resolver calls invalid is no location (a dot segment, a
    // %2F that the rbd class would decode into a name, a userinfo where none belongs, a
    // store's root...). The same checks, in the same code, as location_resolver::resolve().
    std::string scratch;
    detail::canonical_url c;
    if (detail::canonicalize(uri, scratch, c) != reason_code::none) {
        return make_error_code(errc::bad_uri);
    }
    if (!detail::family_info(c.family).trailing_slash_allowed &&
        (c.trailing_slash ||
         registry_->is_store_root(static_cast<unsigned>(c.family), c.key_tail()))) {
        return make_error_code(errc::bad_uri);  // empty_segment or store_root
    }
    return codec_->parse(uri);
}

result<std::string> store::format_location(const location& loc) const {
    if (detail::location_type(loc) != type_) return make_error_code(errc::bad_uri);
    return uri_with_credentials(loc);
}

}  // namespace imgstore
