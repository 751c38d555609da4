// The tests that run threads: built and run under the tsan preset as well as dev. Each shares
// one object between threads the way a service does and checks every answer against one
// computed single-threaded.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "imgstore/reload.hpp"
#include "imgstore/resolver.hpp"
#include "resolve_table.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

// Four threads resolve every case of the table through one resolver, each with the resolver's
// own thread_local scratch buffer, and must get the single-threaded answers.
TEST(LocationResolver, IsSafeToShareBetweenThreads) {
    const location_resolver& resolver = test::table_resolver();
    const auto& cases = test::table();
    std::vector<std::string> expected;
    for (const auto& c : cases) expected.push_back(test::summary(resolver.resolve(c.url)));
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int round = 0; round < 20; ++round) {
                for (std::size_t i = 0; i < cases.size(); ++i) {
                    if (test::summary(resolver.resolve(cases[i].url)) != expected[i]) ++mismatches;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches.load(), 0);
}

// Readers resolve while the config flips between two layouts. Every answer must come from one
// snapshot: the owner is a store of the snapshot's own registry, and the owner of /srv/p/x and
// of /srv/q/x agree with that registry's layout (never one from each). Run under the tsan preset.
TEST(LiveRegistry, ReadersNeverSeeAMixOfOldAndNew) {
    const glance_config layout_ab = test::two_file_stores("/srv/p", "/srv/q");
    const glance_config layout_ba = test::two_file_stores("/srv/q", "/srv/p");
    auto live = live_registry::create(layout_ab);
    ASSERT_TRUE(live.ok());
    std::atomic<bool> stop{false};
    std::atomic<long> checks{0};
    std::atomic<long> failures{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) {
        readers.emplace_back([&] {
            std::string scratch;
            while (!stop.load(std::memory_order_relaxed)) {
                auto snap = live.handle->current();
                resolution p = snap->resolver->resolve("file:///srv/p/x", scratch);
                std::string p_owner(p.owner ? p.owner->id() : "");
                resolution q = snap->resolver->resolve("file:///srv/q/x", scratch);
                const auto stores = snap->registry->stores();
                bool own = p.owner >= stores.data() && p.owner < stores.data() + stores.size() &&
                           q.owner >= stores.data() && q.owner < stores.data() + stores.size();
                bool consistent = own && ((p_owner == "a" && q.owner->id() == "b") ||
                                          (p_owner == "b" && q.owner->id() == "a"));
                if (!consistent) failures.fetch_add(1);
                checks.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
    // The reload results are checked after the readers are joined: an ASSERT that returned
    // here would leave joinable threads behind and abort the process instead of failing.
    int failed_reloads = 0;
    for (int i = 0; i < 200; ++i) {
        reload_result r = live.handle->reload(i % 2 == 0 ? layout_ba : layout_ab);
        if (!r.ok || r.diff.added.size() != 2u) ++failed_reloads;
    }
    stop = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(failed_reloads, 0);
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(checks.load(), 0);
}

}  // namespace
}  // namespace imgstore
