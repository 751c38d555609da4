#include "imgstore/resolver.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <utility>

#include "detail/canonical_url.hpp"
#include "detail/prefix_index.hpp"
#include "drivers/driver.hpp"

namespace imgstore {
namespace {

constexpr std::uint32_t no_owner = std::numeric_limits<std::uint32_t>::max();

struct verdict {
    resolve_status status = resolve_status::invalid;
    reason_code reason = reason_code::none;
    std::uint32_t owner = no_owner;
};

}  // namespace

struct location_resolver::impl {
    // The stores claiming a whole family (http): every URL of the family is theirs.
    struct family_claim {
        const detail::whole_family_claim* claim = nullptr;  // null: matched against prefixes
        std::vector<std::uint32_t> stores;                  // resolvable ones, registration order
    };
    using userinfo_check = bool (*)(const store&, std::string_view);

    // The fields every resolve reads first, together.
    std::shared_ptr<const store_registry> registry;
    resolver_options options;
    detail::scheme_mask declared = 0;
    std::uint32_t claimed_families = 0;  // bit per family with a claim: one test per URL
    detail::prefix_index index;
    // Per store: its driver's userinfo rule (swift), null when any userinfo will do. An array,
    // so that a URL with credentials reads its owner's store object only when there is a rule.
    std::vector<userinfo_check> userinfo_rule;
    // Per family: its driver's legacy-form test (cinder), null when it has none.
    std::array<bool (*)(const detail::canonical_url&), detail::scheme_family_count> legacy_rule{};
    std::array<family_claim, detail::scheme_family_count> claims;

    impl(std::shared_ptr<const store_registry> r, const resolver_options& o)
        : registry(std::move(r)), options(o) {
        for (std::size_t f = 0; f < claims.size(); ++f) {
            claims[f].claim =
                detail::driver_for(static_cast<detail::scheme_family_id>(f)).whole_family;
            if (claims[f].claim != nullptr) claimed_families |= 1u << f;
            legacy_rule[f] = detail::driver_for(static_cast<detail::scheme_family_id>(f)).is_legacy;
        }
        const auto stores = registry->stores();
        std::vector<detail::prefix_entry> entries;
        userinfo_rule.assign(stores.size(), nullptr);
        for (std::size_t i = 0; i < stores.size(); ++i) {
            const store& s = stores[i];
            const detail::driver& d = detail::driver_for(s.type());
            declared |= d.schemes.mask();
            if (s.status() != store_status::ok) continue;  // never matched
            const auto id = static_cast<std::uint32_t>(i);
            for (family_claim& c : claims) {
                if (c.claim == d.whole_family && c.claim != nullptr) c.stores.push_back(id);
            }
            userinfo_rule[i] = d.accepts_userinfo;
            for (const std::string& prefix : s.url_prefixes()) {
                // The registry hands out canonical prefixes of the store's declared schemes
                // (a scheme without its row in the table does not compile): all are known.
                auto split = detail::split_canonical(prefix);
                if (!split) continue;
                entries.push_back({detail::family_of(split->scheme), split->rest, id});
            }
        }
        index = detail::prefix_index(entries);
    }

    const store& at(std::uint32_t i) const { return registry->stores()[i]; }

    // Everything after canonicalisation: the rules of semantics section 3 that need the index,
    // and the decisions each store type makes through its driver's hooks.
    verdict decide(const detail::canonical_url& c) const {
        if ((claimed_families >> static_cast<unsigned>(c.family) & 1u) != 0) {
            const family_claim& whole = claims[static_cast<std::size_t>(c.family)];
            // Stores without prefixes claim the family at the lowest priority (no other type
            // has prefixes in it, so nothing else can match).
            if (whole.stores.size() == 1) {
                return {resolve_status::matched, reason_code::none, whole.stores.front()};
            }
            return {resolve_status::no_store,
                    whole.stores.empty() ? reason_code::no_prefix : reason_code::ambiguous};
        }
        const std::string_view key = c.key_tail();
        const detail::prefix_match m = key.size() <= detail::canonical_url::max_bits_key
                                           ? index.longest(c.family, key, c.boundary_bits)
                                           : index.longest(c.family, key, !c.trailing_slash);
        if (c.trailing_slash) {
            // A trailing '/' is an empty last segment; the one useful thing to say about it is
            // that the URL names a store's root.
            return {resolve_status::invalid, m && m.length >= key.size()
                                                 ? reason_code::store_root
                                                 : reason_code::empty_segment};
        }
        if (!m) {
            const auto is_legacy = legacy_rule[static_cast<std::size_t>(c.family)];
            if (is_legacy != nullptr && is_legacy(c)) {
                return {resolve_status::no_store, reason_code::cinder_legacy};
            }
            return {resolve_status::no_store, reason_code::no_prefix};
        }
        if (m.length > key.size()) return {resolve_status::invalid, reason_code::store_root};

        std::uint32_t owner = m.owners.front();
        if (m.owners.size() > 1) {
            // Only stores whose driver allows it share a prefix (the registry refuses anything
            // else): exactly one of them must own the URL (vmware: its dsName).
            owner = no_owner;
            for (std::uint32_t candidate : m.owners) {
                const store& s = at(candidate);
                const auto owns = detail::driver_for(s.type()).owns_shared;
                if (owns == nullptr || !owns(s, c.query)) continue;
                if (owner != no_owner) return {resolve_status::no_store, reason_code::ambiguous};
                owner = candidate;
            }
            if (owner == no_owner) return {resolve_status::no_store, reason_code::ambiguous};
        }
        if (c.has_credentials && userinfo_rule[owner] != nullptr &&
            !userinfo_rule[owner](at(owner), c.userinfo)) {
            return {resolve_status::no_store, reason_code::user_mismatch};
        }
        return {resolve_status::matched, reason_code::none, owner};
    }

    resolution resolve(std::string_view url, std::string& scratch) const {
        detail::canonical_url c;
        resolution out;
        const reason_code r =
            detail::canonicalize(url, scratch, c, options.max_url_bytes, declared);
        if (r != reason_code::none) {
            out.status = r == reason_code::unknown_scheme ? resolve_status::no_store
                                                          : resolve_status::invalid;
            out.reason = r;
            return out;
        }
        const verdict v = decide(c);
        out.status = v.status;
        out.reason = v.reason;
        out.has_credentials = c.has_credentials;
        if (v.status != resolve_status::invalid) out.canonical_url = c.canonical;
        if (v.owner != no_owner) out.owner = &at(v.owner);
        return out;
    }
};

namespace {

// A null registry is a load that failed and was not checked: say so instead of crashing.
std::shared_ptr<const store_registry> registry_or_throw(
    std::shared_ptr<const store_registry> registry) {
    if (registry == nullptr) {
        throw std::invalid_argument(
            "imgstore::location_resolver: null registry (the load failed: check "
            "load_result::ok() and its diagnostics)");
    }
    return registry;
}

}  // namespace

location_resolver::location_resolver(std::shared_ptr<const store_registry> registry,
                                     const resolver_options& options)
    : impl_(std::make_unique<impl>(registry_or_throw(std::move(registry)), options)) {}

location_resolver::~location_resolver() = default;
location_resolver::location_resolver(location_resolver&&) noexcept = default;
location_resolver& location_resolver::operator=(location_resolver&&) noexcept = default;

resolution location_resolver::resolve(std::string_view url, std::string& scratch) const {
    return impl_->resolve(url, scratch);
}

resolution location_resolver::resolve(std::string_view url) const {
    thread_local std::string scratch;
    return impl_->resolve(url, scratch);
}

explanation location_resolver::explain(std::string_view url) const {
    explanation out;
    std::string scratch;
    const resolution r = impl_->resolve(url, scratch);
    out.status = r.status;
    out.reason = r.reason;
    if (r.owner != nullptr) out.store_id = std::string(r.owner->id());

    detail::canonical_url c;
    if (detail::canonicalize(url, scratch, c, impl_->options.max_url_bytes, impl_->declared) !=
        reason_code::none) {
        return out;
    }
    out.canonical_url = std::string(c.canonical);
    const std::string family(detail::family_name(c.family));
    out.match_key = family + "://" + std::string(c.key_tail());
    if (const auto& whole = impl_->claims[static_cast<std::size_t>(c.family)]; whole.claim) {
        for (std::uint32_t i : whole.stores) {
            out.hits.push_back(std::string(impl_->at(i).id()) + " (" +
                               std::string(whole.claim->explain) + ")");
        }
        return out;
    }
    const std::string_view key = c.key_tail();
    for (const detail::prefix_probe& p : impl_->index.probe_all(c.family, key, !c.trailing_slash)) {
        if (!p.probed) continue;
        std::string candidate = family + "://" + std::string(key.substr(0, p.length));
        if (p.length > key.size()) candidate += '/';
        for (std::uint32_t i : p.owners) {
            out.hits.push_back(std::string(impl_->at(i).id()) + " " + candidate);
        }
        out.considered.push_back(std::move(candidate));
    }
    return out;
}

const store_registry& location_resolver::registry() const noexcept { return *impl_->registry; }

const std::shared_ptr<const store_registry>& location_resolver::registry_ptr() const noexcept {
    return impl_->registry;
}

std::size_t location_resolver::index_bytes() const noexcept {
    std::size_t claimed = 0;
    for (const auto& c : impl_->claims) claimed += c.stores.capacity() * sizeof(std::uint32_t);
    return sizeof(impl) + impl_->index.bytes() + claimed +
           impl_->userinfo_rule.capacity() * sizeof(impl::userinfo_check);
}

}  // namespace imgstore
