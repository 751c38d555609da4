#include "backfill_decide.hpp"

#include <array>
#include <span>

#include "imgstore/glance_db/meta_data.hpp"
#include "imgstore/location.hpp"

namespace imgstore::cli {

std::string_view to_string(backfill_outcome o) noexcept {
    static constexpr std::array<std::string_view, backfill_outcome_count> names{
        "stamped",
        "already_set",
        "unknown_store",
        "mismatch",
        "no_store",
        "invalid",
        "malformed_metadata",
        "undecryptable",
        "changed_concurrently",
        "no_longer_eligible"};
    return names[static_cast<std::size_t>(o)];
}

row_decision decide_row(const glance_db::location_row& row, const backfill_rules& rules) {
    row_decision d;
    std::string plain;
    if (rules.cipher != nullptr) {
        auto decrypted = rules.cipher->decrypt(row.value);
        if (!decrypted) {
            d.outcome = backfill_outcome::undecryptable;
            d.detail = decrypted.error().message;
            return d;
        }
        plain = std::move(*decrypted);
    }
    const std::string_view url = rules.cipher != nullptr ? std::string_view(plain) : row.value;
    if (rules.describe) d.url = redact_url(url);

    std::optional<std::string_view> meta;
    if (row.meta_data) meta = *row.meta_data;
    const glance_db::meta_info info = glance_db::inspect_meta(meta);
    if (info.kind == glance_db::meta_kind::malformed) {
        d.outcome = backfill_outcome::malformed_metadata;
        d.detail = info.reason;
        return d;
    }
    location_ref ref{url, std::nullopt};
    if (info.kind == glance_db::meta_kind::has_store) {
        d.old_store = info.store;
        ref.store = d.old_store;
        if (!rules.restamp_unknown && rules.resolver->registry().find(d.old_store) == nullptr) {
            d.outcome = backfill_outcome::unknown_store;
            return d;
        }
    }
    const image_stamp s =
        stamp_locations(*rules.resolver, std::span<const location_ref>(&ref, 1), rules.stamp);
    const location_report& report = s.locations.front();
    d.reason = report.reason;
    switch (report.outcome) {
        case stamp_outcome::already_set:
            d.outcome = backfill_outcome::already_set;
            return d;
        case stamp_outcome::mismatch:
            d.outcome = backfill_outcome::mismatch;
            d.store = report.resolved_store;
            return d;
        case stamp_outcome::no_store:
            d.outcome = backfill_outcome::no_store;
            return d;
        case stamp_outcome::invalid:
            d.outcome = backfill_outcome::invalid;
            return d;
        case stamp_outcome::stamped:
            break;
    }
    const location_change& change = s.changes.front();
    auto new_meta = info.kind == glance_db::meta_kind::has_store
                        ? glance_db::replace_store(meta, change.new_store)
                        : glance_db::splice_store(meta, change.new_store);
    if (!new_meta) {  // a store id that is not UTF-8 cannot come from a loaded registry
        d.outcome = backfill_outcome::malformed_metadata;
        d.detail = new_meta.error().message;
        return d;
    }
    glance_db::row_update u;
    u.id = row.id;
    u.old_value = row.value;
    u.old_meta = row.meta_data;
    u.old_status = row.status;
    u.heap_page = row.heap_page;
    u.new_meta = std::move(*new_meta);
    if (change.new_url) {
        d.new_url = *change.new_url;
        if (rules.cipher != nullptr) {
            auto encrypted = rules.cipher->encrypt(*change.new_url);
            if (!encrypted) {
                d.outcome = backfill_outcome::undecryptable;
                d.detail = encrypted.error().message;
                return d;
            }
            u.new_value = std::move(*encrypted);
        } else {
            u.new_value = *change.new_url;
        }
    } else {
        u.new_value = row.value;
    }
    d.outcome = backfill_outcome::stamped;
    d.store = change.new_store;
    d.update = std::move(u);
    return d;
}

}  // namespace imgstore::cli
