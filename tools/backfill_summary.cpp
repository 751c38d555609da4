#include "backfill_summary.hpp"

namespace imgstore::cli {
namespace {

std::string reason_list(const std::map<std::string, std::uint64_t>& m) {
    std::string out;
    for (const auto& [r, n] : m) out += (out.empty() ? "" : ", ") + r + " " + std::to_string(n);
    return out;
}

}  // namespace

void backfill_counters::add(const row_decision& d) {
    ++rows;
    ++outcomes[static_cast<std::size_t>(d.outcome)];
    if (d.outcome == backfill_outcome::stamped && !d.new_url.empty()) ++rewritten;
    if (d.outcome == backfill_outcome::no_store)
        ++no_store_reasons[std::string(to_string(d.reason))];
    if (d.outcome == backfill_outcome::invalid) ++invalid_reasons[std::string(to_string(d.reason))];
}

void backfill_counters::merge(const backfill_counters& other) {
    rows += other.rows;
    rewritten += other.rewritten;
    retries += other.retries;
    for (std::size_t i = 0; i < outcomes.size(); ++i) outcomes[i] += other.outcomes[i];
    for (const auto& [reason, n] : other.no_store_reasons) no_store_reasons[reason] += n;
    for (const auto& [reason, n] : other.invalid_reasons) invalid_reasons[reason] += n;
}

std::string summary_text(const backfill_counters& c, bool applied) {
    using o = backfill_outcome;
    const auto n = [&](o x) { return std::to_string(c[x]); };
    std::string out = "imgstore backfill: " + std::to_string(c.rows) + " rows: " + n(o::stamped) +
                      (applied ? " stamped (" : " to stamp (") + std::to_string(c.rewritten) +
                      " rewritten), " + n(o::already_set) + " already set, " + n(o::unknown_store) +
                      " unknown store, " + n(o::mismatch) + " mismatch, " + n(o::no_store) +
                      " no_store, " + n(o::invalid) + " invalid, " + n(o::malformed_metadata) +
                      " malformed metadata, " + n(o::undecryptable) + " undecryptable, " +
                      n(o::changed_concurrently) + " changed concurrently, " +
                      n(o::no_longer_eligible) + " no longer eligible; " +
                      (applied ? "applied" : "dry run, nothing written") + "\n";
    if (!c.no_store_reasons.empty()) out += "  no_store: " + reason_list(c.no_store_reasons) + "\n";
    if (!c.invalid_reasons.empty()) out += "  invalid: " + reason_list(c.invalid_reasons) + "\n";
    return out;
}

boost::json::object counters_json(const backfill_counters& c) {
    boost::json::object o;
    o["rows"] = c.rows;
    for (std::size_t i = 0; i < backfill_outcome_count; ++i) {
        o[to_string(static_cast<backfill_outcome>(i))] = c.outcomes[i];
    }
    o["rewritten"] = c.rewritten;
    o["retries"] = c.retries;
    for (const auto* group : {&c.no_store_reasons, &c.invalid_reasons}) {
        boost::json::object reasons;
        for (const auto& [r, n] : *group) reasons[r] = n;
        o[group == &c.no_store_reasons ? "no_store_reasons" : "invalid_reasons"] =
            std::move(reasons);
    }
    return o;
}

bool counters_from_json(const boost::json::object& o, backfill_counters& out) {
    const auto number = [&](const boost::json::object& from, std::string_view key,
                            std::uint64_t& to) {
        const boost::json::value* v = from.if_contains(key);
        if (v == nullptr) return false;
        if (v->is_uint64()) {
            to = v->as_uint64();
        } else if (v->is_int64() && v->as_int64() >= 0) {
            to = static_cast<std::uint64_t>(v->as_int64());
        } else {
            return false;
        }
        return true;
    };
    backfill_counters c;
    if (!number(o, "rows", c.rows) || !number(o, "rewritten", c.rewritten) ||
        !number(o, "retries", c.retries))
        return false;
    for (std::size_t i = 0; i < backfill_outcome_count; ++i) {
        if (!number(o, to_string(static_cast<backfill_outcome>(i)), c.outcomes[i])) return false;
    }
    for (auto* group : {&c.no_store_reasons, &c.invalid_reasons}) {
        const boost::json::value* v =
            o.if_contains(group == &c.no_store_reasons ? "no_store_reasons" : "invalid_reasons");
        if (v == nullptr || !v->is_object()) return false;
        for (const auto& [key, value] : v->get_object()) {
            std::uint64_t n = 0;
            if (!number(v->get_object(), key, n)) return false;
            (*group)[std::string(key)] = n;
        }
    }
    out = std::move(c);
    return true;
}

}  // namespace imgstore::cli
