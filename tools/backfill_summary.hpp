// `imgstore backfill`: the counts a run reports (stderr summary, `--report` JSON) and keeps in
// its `--resume` checkpoint.
#pragma once

#include <array>
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>

#include "backfill_decide.hpp"

namespace imgstore::cli {

/// Running totals of one backfill (or undo). A value type.
struct backfill_counters {
    std::uint64_t rows = 0;       ///< rows decided
    std::uint64_t rewritten = 0;  ///< of the stamped, legacy cinder URLs rewritten
    std::uint64_t retries = 0;    ///< rows decided again after a compare-and-swap lost a race
    std::array<std::uint64_t, backfill_outcome_count> outcomes{};
    std::map<std::string, std::uint64_t> no_store_reasons;
    std::map<std::string, std::uint64_t> invalid_reasons;

    std::uint64_t operator[](backfill_outcome o) const {
        return outcomes[static_cast<std::size_t>(o)];
    }
    /// Counts one final decision.
    void add(const row_decision& d);
    /// Adds the counts of `other`.
    void merge(const backfill_counters& other);
};

/// The one-paragraph summary for stderr, in the shape of `imgstore stamp`'s, e.g.
/// "imgstore backfill: 33 rows: 22 stamped (1 rewritten), ...; dry run, nothing written".
std::string summary_text(const backfill_counters& c, bool applied);

/// The counters as a JSON object: `rows`, one key per outcome, `rewritten`, `retries`,
/// `no_store_reasons`, `invalid_reasons`.
boost::json::object counters_json(const backfill_counters& c);

/// The inverse of counters_json(); false when `o` lacks a field or holds a wrong type.
bool counters_from_json(const boost::json::object& o, backfill_counters& out);

}  // namespace imgstore::cli
