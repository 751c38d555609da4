#include "imgstore/stamp.hpp"

#include <algorithm>
#include <string>

#include "drivers/driver.hpp"

namespace imgstore {

std::string_view to_string(stamp_outcome o) noexcept {
    switch (o) {
        case stamp_outcome::stamped:
            return "stamped";
        case stamp_outcome::already_set:
            return "already_set";
        case stamp_outcome::mismatch:
            return "mismatch";
        case stamp_outcome::no_store:
            return "no_store";
        case stamp_outcome::invalid:
            return "invalid";
    }
    return "invalid";
}

image_stamp stamp_locations(const location_resolver& resolver,
                            std::span<const location_ref> locations,
                            const stamp_options& options) {
    const store_registry& registry = resolver.registry();
    image_stamp out;
    out.locations.reserve(locations.size());
    std::string scratch;
    for (std::size_t i = 0; i < locations.size(); ++i) {
        const location_ref& loc = locations[i];
        const bool has_store = loc.store && !loc.store->empty();
        const bool known = has_store && registry.find(*loc.store) != nullptr;
        const resolution r = resolver.resolve(loc.url, scratch);
        location_report report;
        report.reason = r.reason;
        if (known) {
            // A valid store id is never changed: a URL that disagrees is reported only.
            if (r.status == resolve_status::matched && r.owner->id() != *loc.store) {
                report.outcome = stamp_outcome::mismatch;
                report.resolved_store = std::string(r.owner->id());
            } else {
                report.outcome = stamp_outcome::already_set;
            }
            out.locations.push_back(std::move(report));
            continue;
        }
        location_change change;
        change.index = i;
        if (has_store) change.old_store = std::string(*loc.store);
        if (r.status == resolve_status::matched) {
            change.new_store = std::string(r.owner->id());
        } else if (r.reason == reason_code::cinder_legacy && options.volume_type_of) {
            // The legacy form's driver places it (from the canonical form: the raw URL may
            // carry a userinfo, which must reach neither the lookup nor the rewritten URL).
            const detail::driver* d = detail::driver_for_url(r.canonical_url);
            if (d != nullptr && d->adopt_legacy != nullptr) {
                detail::legacy_adoption a =
                    d->adopt_legacy(registry, r.canonical_url, options.volume_type_of);
                if (a.owner != nullptr) {
                    change.new_store = std::string(a.owner->id());
                    change.new_url = std::move(a.new_url);
                } else if (a.ambiguous) {
                    report.reason = reason_code::ambiguous;
                }
            }
        }
        if (change.new_store.empty()) {
            report.outcome = r.status == resolve_status::invalid ? stamp_outcome::invalid
                                                                 : stamp_outcome::no_store;
        } else {
            report.outcome = stamp_outcome::stamped;
            report.reason = reason_code::none;
            out.changes.push_back(std::move(change));
        }
        out.locations.push_back(std::move(report));
    }
    return out;
}

stamp_view stamp_image(const location_resolver& resolver,
                       std::span<const location_ref> locations,
                       std::span<const volume_answer> answers) {
    stamp_view view;
    stamp_options options;
    // Answers come from the caller; what they lack is recorded, not looked up.
    options.volume_type_of = [&](std::string_view volume) -> std::optional<std::string> {
        for (const volume_answer& a : answers) {
            if (a.volume_id == volume) return a.type;
        }
        if (std::find(view.volume_lookups.begin(), view.volume_lookups.end(), volume) ==
            view.volume_lookups.end()) {
            view.volume_lookups.emplace_back(volume);
        }
        return std::nullopt;
    };
    view.stamp = stamp_locations(resolver, locations, options);
    view.locations.reserve(locations.size());
    for (const location_ref& loc : locations) {
        stamped_location out{std::string(loc.url), std::nullopt};
        if (loc.store && !loc.store->empty()) out.store = std::string(*loc.store);
        view.locations.push_back(std::move(out));
    }
    for (const location_change& c : view.stamp.changes) {
        view.locations[c.index].store = c.new_store;
        if (c.new_url) view.locations[c.index].url = *c.new_url;
    }
    return view;
}

void stamp_totals::add(const image_stamp& s) noexcept {
    ++images;
    locations += s.locations.size();
    for (const location_report& r : s.locations) {
        switch (r.outcome) {
            case stamp_outcome::stamped:
                ++stamped;
                break;
            case stamp_outcome::already_set:
                ++already_set;
                break;
            case stamp_outcome::mismatch:
                ++mismatch;
                break;
            case stamp_outcome::no_store:
                ++no_store;
                break;
            case stamp_outcome::invalid:
                ++invalid;
                break;
        }
    }
    for (const location_change& c : s.changes) rewritten += c.new_url ? 1u : 0u;
}

}  // namespace imgstore
