// plan_writes: the order of a batch's compare-and-swaps, in rounds of one update per heap page.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <vector>

#include "imgstore/glance_db/database.hpp"

namespace imgstore::glance_db {
namespace {

std::vector<row_update> updates_on(const std::vector<std::optional<std::uint32_t>>& pages) {
    std::vector<row_update> out;
    for (std::size_t i = 0; i < pages.size(); ++i) {
        row_update u;
        u.id = static_cast<std::int64_t>(i + 1);
        u.heap_page = pages[i];
        out.push_back(std::move(u));
    }
    return out;
}

struct plan_case {
    const char* name;
    std::vector<std::optional<std::uint32_t>> pages;
    std::size_t max_rows;
    std::vector<std::size_t> order;
    std::vector<std::size_t> ends;
};

TEST(PlanWrites, OrdersByRoundAndCutsEveryMaxRows) {
    const auto none = std::nullopt;
    const std::vector<plan_case> cases{
        {"nothing", {}, 3, {}, {}},
        {"no pages: input order", {none, none, none, none, none}, 2, {0, 1, 2, 3, 4}, {2, 4, 5}},
        {"rounds", {1, 1, 1, 2, 2, 3}, 10, {0, 3, 5, 1, 4, 2}, {3, 5, 6}},
        {"rounds cut by max_rows", {1, 1, 1, 2, 2, 3}, 2, {0, 3, 5, 1, 4, 2}, {2, 3, 5, 6}},
        {"max_rows 0 counts as 1", {7, 7, 8}, 0, {0, 2, 1}, {1, 2, 3}},
        {"pages out of order", {9, 4, 9, 4, 1}, 10, {0, 1, 4, 2, 3}, {3, 5}},
        {"a row without a page is in round one", {5, none, 5}, 10, {0, 1, 2}, {2, 3}},
        {"one page", {3, 3, 3}, 10, {0, 1, 2}, {1, 2, 3}},
    };
    for (const auto& c : cases) {
        const auto updates = updates_on(c.pages);
        const write_plan plan = plan_writes(updates, c.max_rows);
        EXPECT_EQ(plan.order, c.order) << c.name;
        EXPECT_EQ(plan.ends, c.ends) << c.name;
    }
}

// The promises, on a larger mix: every update exactly once, no transaction over max_rows, no
// page twice in one transaction, and the updates of one page in their input order.
TEST(PlanWrites, WritesEveryUpdateOnceAndEachPageOncePerTransaction) {
    std::vector<std::optional<std::uint32_t>> pages;
    for (std::uint32_t i = 0; i < 1000; ++i) pages.push_back((i * 7919u) % 37u);
    const auto updates = updates_on(pages);
    for (std::size_t max_rows : {1u, 5u, 36u, 37u, 500u}) {
        const write_plan plan = plan_writes(updates, max_rows);
        ASSERT_EQ(plan.order.size(), updates.size());
        EXPECT_EQ(std::set<std::size_t>(plan.order.begin(), plan.order.end()).size(),
                  updates.size());
        ASSERT_FALSE(plan.ends.empty());
        EXPECT_EQ(plan.ends.back(), updates.size());
        std::size_t begin = 0;
        for (std::size_t end : plan.ends) {
            ASSERT_GT(end, begin);
            EXPECT_LE(end - begin, max_rows);
            std::set<std::uint32_t> seen;
            for (std::size_t i = begin; i < end; ++i) {
                EXPECT_TRUE(seen.insert(*updates[plan.order[i]].heap_page).second)
                    << "page twice in one transaction, max_rows " << max_rows;
            }
            begin = end;
        }
        std::vector<std::size_t> last(37, 0);
        for (std::size_t i : plan.order) {
            auto& prev = last[*updates[i].heap_page];
            EXPECT_GE(i + 1, prev) << "a page's updates out of order";
            prev = i + 1;
        }
        // 1000 updates on 37 pages: 28 rounds, each cut every max_rows.
        if (max_rows >= 37) {
            EXPECT_EQ(plan.ends.size(), 28u) << max_rows;
        }
    }
}

}  // namespace
}  // namespace imgstore::glance_db
