// The order of a batch's writes: in rounds of one update per heap page on PostgreSQL
// (database.hpp, plan_writes, says why).
// clang-format off (database.hpp declares what this file defines: its own header comes first)
#include "imgstore/glance_db/database.hpp"
// clang-format on

#include <algorithm>
#include <unordered_map>

namespace imgstore::glance_db {

write_plan plan_writes(std::span<const row_update> updates, std::size_t max_rows) {
    max_rows = std::max<std::size_t>(max_rows, 1);
    write_plan plan;
    plan.order.resize(updates.size());
    // round[i]: how many updates before i are on the same page (0 without a page: one round).
    std::vector<std::uint32_t> round(updates.size(), 0);
    std::unordered_map<std::uint32_t, std::uint32_t> seen;
    for (std::size_t i = 0; i < updates.size(); ++i) {
        plan.order[i] = i;
        if (updates[i].heap_page) round[i] = seen[*updates[i].heap_page]++;
    }
    std::stable_sort(plan.order.begin(), plan.order.end(),
                     [&](std::size_t a, std::size_t b) { return round[a] < round[b]; });
    std::size_t begin = 0;
    for (std::size_t i = 1; i <= plan.order.size(); ++i) {
        if (i == plan.order.size() || i - begin == max_rows ||
            round[plan.order[i]] != round[plan.order[i - 1]]) {
            plan.ends.push_back(i);
            begin = i;
        }
    }
    return plan;
}

}  // namespace imgstore::glance_db
