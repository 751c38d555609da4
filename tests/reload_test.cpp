#include "imgstore/reload.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>

#include "imgstore/config.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

using ::testing::ElementsAre;

std::string owner_of(const snapshot& s, std::string_view url) {
    resolution r = s.resolver->resolve(url);
    return r.status == resolve_status::matched ? std::string(r.owner->id()) : std::string("-");
}

bool matches(const prefix_change& c, std::string_view id, std::string_view prefix) {
    return c.store_id == id && c.prefix == prefix;
}

// The embedding API cannot be misused silently (issue 15): what holds stores is made only
// from config that loaded, so no public constructor takes unvalidated parts.
static_assert(!std::is_constructible_v<live_registry,
                                       std::shared_ptr<const snapshot>,
                                       registry_options,
                                       resolver_options>);
static_assert(!std::is_default_constructible_v<store_registry> &&
              !std::is_copy_constructible_v<store_registry> &&
              !std::is_move_constructible_v<store_registry>);
static_assert(!std::is_default_constructible_v<store> && !std::is_copy_constructible_v<store>);
static_assert(!std::is_constructible_v<store, const store&&>);  // stores() are const

TEST(LiveRegistry, SwapsInANewConfigAndReportsTheDiff) {
    auto live = live_registry::create(test::two_file_stores("/srv/one", "/srv/two"));
    ASSERT_TRUE(live.ok()) << test::join(live.diagnostics);
    auto before = live.handle->current();
    EXPECT_EQ(owner_of(*before, "file:///srv/one/x"), "a");

    glance_config next = test::two_file_stores("/srv/one", "/srv/three");
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
    auto live = live_registry::create(test::two_file_stores("/srv/one", "/srv/two"));
    ASSERT_TRUE(live.ok());
    auto before = live.handle->current();
    glance_config bad = test::two_file_stores("relative/dir", "/srv/two");
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
    auto live = live_registry::create(test::two_file_stores("/srv/one", "/srv/two"));
    ASSERT_TRUE(live.ok());
    glance_config next = test::two_file_stores("/srv/one", "/srv/two");
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

std::string reload_test_one_store_conf(std::string_view datadir) {
    return "[DEFAULT]\nenabled_backends = a:file\n[glance_store]\ndefault_backend = a\n[a]\n"
           "filesystem_store_datadir = " +
           std::string(datadir) + "\n";
}

TEST(LiveRegistry, ReloadWithoutArgumentsRereadsTheSourcesItWasCreatedFrom) {
    test::temp_dir dir;
    auto path = dir.write("glance-api.conf", reload_test_one_store_conf("/srv/x"));
    auto live = live_registry::create(config_sources{.files = {path}});
    ASSERT_TRUE(live.ok()) << test::join(live.diagnostics);
    EXPECT_THAT(live.handle->sources().files, ElementsAre(path));
    dir.write("glance-api.conf", reload_test_one_store_conf("/srv/y"));
    reload_result r = live.handle->reload();
    ASSERT_TRUE(r.ok) << test::join(r.diagnostics);
    EXPECT_EQ(owner_of(*live.handle->current(), "file:///srv/y/img"), "a");
    ASSERT_EQ(r.diff.added.size(), 1u);
    EXPECT_TRUE(matches(r.diff.added[0], "a", "file:///srv/y/"));
}

TEST(LiveRegistry, ReloadWithoutArgumentsFollowsTheLastSourcesThatLoaded) {
    test::temp_dir dir;
    auto first = dir.write("first.conf", reload_test_one_store_conf("/srv/x"));
    auto second = dir.write("second.conf", reload_test_one_store_conf("/srv/y"));
    auto broken = dir.write("broken.conf", "[DEFAULT]\nenabled_backends = a:nosuchtype\n");
    auto live = live_registry::create(config_sources{.files = {first}});
    ASSERT_TRUE(live.ok()) << test::join(live.diagnostics);
    ASSERT_TRUE(live.handle->reload(config_sources{.files = {second}}).ok);
    EXPECT_FALSE(live.handle->reload(config_sources{.files = {broken}}).ok);
    EXPECT_THAT(live.handle->sources().files, ElementsAre(second));  // the failed one not kept
    dir.write("second.conf", reload_test_one_store_conf("/srv/z"));
    ASSERT_TRUE(live.handle->reload().ok);
    EXPECT_EQ(owner_of(*live.handle->current(), "file:///srv/z/img"), "a");
}

TEST(LiveRegistry, ReloadWithoutArgumentsOfConfigBuiltInCodeFailsAndKeepsTheSnapshot) {
    auto live = live_registry::create(test::two_file_stores("/srv/one", "/srv/two"));
    ASSERT_TRUE(live.ok()) << test::join(live.diagnostics);
    auto before = live.handle->current();
    reload_result r = live.handle->reload();
    EXPECT_FALSE(r.ok);
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_EQ(r.diagnostics[0].level, severity::error);
    EXPECT_NE(r.diagnostics[0].message.find("reload(config)"), std::string::npos);
    EXPECT_EQ(live.handle->current(), before);
}

}  // namespace
}  // namespace imgstore
