#include "imgstore/reload.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "imgstore/config.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

using ::testing::ElementsAre;

glance_config two_dirs(std::string_view a_dir, std::string_view b_dir) {
    glance_config c;
    c.add("DEFAULT", "enabled_backends", "a:file, b:file");
    c.add("glance_store", "default_backend", "a");
    c.add("a", "filesystem_store_datadir", a_dir);
    c.add("b", "filesystem_store_datadir", b_dir);
    return c;
}

std::string owner_of(const snapshot& s, std::string_view url) {
    resolution r = s.resolver->resolve(url);
    return r.status == resolve_status::matched ? std::string(r.owner->id()) : std::string("-");
}

bool matches(const prefix_change& c, std::string_view id, std::string_view prefix) {
    return c.store_id == id && c.prefix == prefix;
}

TEST(LiveRegistry, SwapsInANewConfigAndReportsTheDiff) {
    auto live = live_registry::create(two_dirs("/srv/one", "/srv/two"));
    ASSERT_TRUE(live.ok()) << test::join(live.diagnostics);
    auto before = live.handle->current();
    EXPECT_EQ(owner_of(*before, "file:///srv/one/x"), "a");

    glance_config next = two_dirs("/srv/one", "/srv/three");
    next.add("DEFAULT", "enabled_backends", "a:file, b:file, c:cinder");  // last one wins
    reload_result r = live.handle->reload(next);
    ASSERT_TRUE(r.ok) << test::join(r.diagnostics);
    ASSERT_EQ(r.diff.added.size(), 2u);
    EXPECT_TRUE(matches(r.diff.added[0], "b", "file:///srv/three/"));
    EXPECT_TRUE(matches(r.diff.added[1], "c", "cinder://c/"));
    ASSERT_EQ(r.diff.removed.size(), 1u);
    EXPECT_TRUE(matches(r.diff.removed[0], "b", "file:///srv/two/"));
    EXPECT_THAT(r.diff.added_stores, ElementsAre("c"));
    EXPECT_TRUE(r.diff.removed_stores.empty());
    EXPECT_TRUE(r.diff.changed.empty());

    auto after = live.handle->current();
    EXPECT_EQ(owner_of(*after, "file:///srv/three/x"), "b");
    EXPECT_EQ(owner_of(*after, "file:///srv/two/x"), "-");
    // A reader holding the old snapshot keeps its answers.
    EXPECT_EQ(owner_of(*before, "file:///srv/two/x"), "b");
}

TEST(LiveRegistry, AFailedReloadKeepsTheOldSnapshotAndReturnsEveryProblem) {
    auto live = live_registry::create(two_dirs("/srv/one", "/srv/two"));
    ASSERT_TRUE(live.ok());
    auto before = live.handle->current();
    glance_config bad = two_dirs("relative/dir", "/srv/two");
    bad.add("glance_store", "default_backend", "nosuch");
    reload_result r = live.handle->reload(bad);
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.diff.empty());
    std::string all = test::join(r.diagnostics);
    EXPECT_THAT(all, ::testing::HasSubstr("filesystem_store_datadir: must be an absolute path"));
    EXPECT_THAT(all, ::testing::HasSubstr("'nosuch' is not a store in enabled_backends"));
    EXPECT_EQ(live.handle->current(), before);
}

TEST(LiveRegistry, ReportsStoresWhoseDefaultFlagChanged) {
    auto live = live_registry::create(two_dirs("/srv/one", "/srv/two"));
    ASSERT_TRUE(live.ok());
    glance_config next = two_dirs("/srv/one", "/srv/two");
    next.add("glance_store", "default_backend", "b");
    reload_result r = live.handle->reload(next);
    ASSERT_TRUE(r.ok);
    EXPECT_THAT(r.diff.changed, ElementsAre("a", "b"));
    EXPECT_TRUE(r.diff.added.empty());
    EXPECT_TRUE(r.diff.removed.empty());
}

TEST(LiveRegistry, CreateFailsWithEveryProblem) {
    glance_config bad;
    bad.add("DEFAULT", "enabled_backends", "a:nosuch, :file");
    auto live = live_registry::create(bad);
    EXPECT_FALSE(live.ok());
    EXPECT_GE(live.diagnostics.size(), 3u) << test::join(live.diagnostics);
}

TEST(LiveRegistry, ReloadsFromFiles) {
    test::temp_dir dir;
    auto path = dir.write("glance-api.conf",
                          "[DEFAULT]\nenabled_backends = a:file\n[glance_store]\n"
                          "default_backend = a\n[a]\nfilesystem_store_datadir = /srv/x\n");
    config_sources sources{.files = {path}};
    auto live = live_registry::create(sources);
    ASSERT_TRUE(live.ok()) << test::join(live.diagnostics);
    dir.write("glance-api.conf",
              "[DEFAULT]\nenabled_backends = a:file\n[glance_store]\n"
              "default_backend = a\n[a]\nfilesystem_store_datadir = /srv/y\n");
    reload_result r = live.handle->reload(sources);
    ASSERT_TRUE(r.ok) << test::join(r.diagnostics);
    EXPECT_EQ(owner_of(*live.handle->current(), "file:///srv/y/img"), "a");
}

// Readers resolve while the config flips between two layouts. Every answer must come from one
// snapshot: the owner is a store of the snapshot's own registry, and the owner of /srv/p/x and
// of /srv/q/x agree with that registry's layout (never one from each). Run under the tsan preset.
TEST(LiveRegistry, ReadersNeverSeeAMixOfOldAndNew) {
    const glance_config layout_ab = two_dirs("/srv/p", "/srv/q");
    const glance_config layout_ba = two_dirs("/srv/q", "/srv/p");
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
    for (int i = 0; i < 200; ++i) {
        reload_result r = live.handle->reload(i % 2 == 0 ? layout_ba : layout_ab);
        ASSERT_TRUE(r.ok);
        ASSERT_EQ(r.diff.added.size(), 2u);
    }
    stop = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(checks.load(), 0);
}

}  // namespace
}  // namespace imgstore
