// `imgstore backfill`: what to do with one image_locations row. The rules are the library's
// stamping rules (imgstore::stamp_locations, semantics.md section 4) applied to a row as Glance
// stores it: meta_data classified and spliced by imgstore::glance_db, the value decrypted with
// `[DEFAULT] metadata_encryption_key` when one is set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "imgstore/glance_db/crypt.hpp"
#include "imgstore/glance_db/database.hpp"
#include "imgstore/resolver.hpp"
#include "imgstore/stamp.hpp"

namespace imgstore::cli {

/// What the backfill did (or, in a dry run, would do) with one row. Stable names: they are the
/// `outcome` field of `--changes` lines and keys of the `--report` JSON.
enum class backfill_outcome {
    stamped,               ///< needed a store and its URL resolves: meta_data gets one
    already_set,           ///< names a configured store that its URL does not contradict
    unknown_store,         ///< names a store this config lacks: left alone (no --restamp-unknown)
    mismatch,              ///< names a configured store, its URL resolves to another: left alone
    no_store,              ///< needed a store, none owns the URL (reason says why)
    invalid,               ///< needed a store, the URL is invalid (reason says why)
    malformed_metadata,    ///< meta_data is not a JSON object we may edit: never touched
    undecryptable,         ///< the value does not decrypt with metadata_encryption_key
    changed_concurrently,  ///< another writer kept changing the row: not written, decide later
    no_longer_eligible,    ///< the row was deleted or left 'active' while we worked: not written
};

inline constexpr std::size_t backfill_outcome_count = 10;

/// Stable name ("stamped", "changed_concurrently", ...).
std::string_view to_string(backfill_outcome o) noexcept;

/// Everything a decision depends on. Views: the resolver, the cipher and the stamp options'
/// lookup must outlive every decide_row() call that uses them.
struct backfill_rules {
    const location_resolver* resolver = nullptr;
    stamp_options stamp;                                 ///< volume types of legacy cinder URLs
    const glance_db::location_cipher* cipher = nullptr;  ///< set iff values are encrypted
    bool restamp_unknown = false;                        ///< replace store ids this config lacks
    bool describe = false;  ///< fill row_decision::url (for --changes; it costs a copy per row)
};

/// One row's decision. `update` is set iff outcome is stamped.
struct row_decision {
    backfill_outcome outcome = backfill_outcome::already_set;
    reason_code reason = reason_code::none;  ///< no_store and invalid: why
    std::string detail;     ///< malformed_metadata / undecryptable: what is wrong (no content)
    std::string old_store;  ///< the store the row named, if any
    std::string store;      ///< stamped: the new store; mismatch: the store the URL resolves to
    std::string url;        ///< with rules.describe: the plain URL, userinfo replaced by "***"
    std::string new_url;    ///< stamped legacy cinder: the rewritten URL (no userinfo)
    std::optional<glance_db::row_update> update;
};

/// Decides one row. Never throws except std::bad_alloc; thread-safe (the rules are read only).
row_decision decide_row(const glance_db::location_row& row, const backfill_rules& rules);

}  // namespace imgstore::cli
