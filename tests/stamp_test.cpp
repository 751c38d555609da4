#include "imgstore/stamp.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "imgstore/config.hpp"
#include "imgstore/registry.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

constexpr std::string_view volume = "db457a25-8f16-4b2c-a644-eae8d17fe224";

// Two file stores that upstream confuses (images is a string prefix of images2), two cinder
// stores (cinder1 is a string prefix of cinder10) and two rbd pools.
constexpr std::string_view conf = R"([DEFAULT]
enabled_backends = fast:file, slow:file, cinder1:cinder, cinder10:cinder, ceph:rbd
[glance_store]
default_backend = fast
[fast]
filesystem_store_datadir = /srv/glance/images
[slow]
filesystem_store_datadir = /srv/glance/images2
[cinder1]
cinder_volume_type = ssd
[cinder10]
cinder_volume_type = hdd
[ceph]
rbd_store_fsid = c0ffee00-0000-4000-8000-000000000001
)";

class Stamp : public ::testing::Test {
  protected:
    void SetUp() override {
        config_load parsed = parse_config(conf);
        ASSERT_TRUE(parsed.ok()) << test::join(parsed.diagnostics);
        load_result loaded = store_registry::build(parsed.config);
        ASSERT_TRUE(loaded.ok()) << test::join(loaded.diagnostics);
        resolver_.emplace(loaded.registry);
    }

    image_stamp stamp(const std::vector<location_ref>& locations, const stamp_options& o = {}) {
        return stamp_locations(*resolver_, locations, o);
    }

    std::optional<location_resolver> resolver_;
};

TEST_F(Stamp, SetsTheStoreOfALegacyLocation) {
    // glance G1: a location without metadata['store'] gets the store its URL resolves to.
    auto s = stamp({{"file:///srv/glance/images2/IMG", std::nullopt}});
    ASSERT_EQ(s.changes.size(), 1u);
    EXPECT_EQ(s.changes[0].index, 0u);
    EXPECT_EQ(s.changes[0].new_store, "slow");  // upstream (first startswith) says "fast"
    EXPECT_FALSE(s.changes[0].old_store);
    EXPECT_FALSE(s.changes[0].new_url);
    EXPECT_EQ(s.locations[0].outcome, stamp_outcome::stamped);
}

TEST_F(Stamp, TreatsAnEmptyStoreAsMissing) {
    auto s = stamp({{"cinder://cinder10/db457a25-8f16-4b2c-a644-eae8d17fe224", ""}});
    ASSERT_EQ(s.changes.size(), 1u);
    EXPECT_EQ(s.changes[0].new_store, "cinder10");  // upstream says "cinder1"
    EXPECT_FALSE(s.changes[0].old_store);           // an empty id is no id: nothing stale to report
}

TEST_F(Stamp, ReplacesAStaleStoreAndReportsTheOldOne) {
    // glance G2: a store id that is not configured (renamed or removed) is replaced.
    auto s = stamp({{"file:///srv/glance/images/IMG", "rbd2"}});
    ASSERT_EQ(s.changes.size(), 1u);
    EXPECT_EQ(s.changes[0].new_store, "fast");
    EXPECT_EQ(s.changes[0].old_store, std::optional<std::string>("rbd2"));
}

TEST_F(Stamp, NeverChangesAKnownStore) {
    // glance G3: a valid store id is left alone.
    auto s = stamp({{"file:///srv/glance/images/IMG", "fast"}});
    EXPECT_TRUE(s.changes.empty());
    EXPECT_EQ(s.locations[0].outcome, stamp_outcome::already_set);
}

TEST_F(Stamp, ReportsAMismatchWithoutFixingIt) {
    auto s = stamp({{"file:///srv/glance/images2/IMG", "fast"}});
    EXPECT_TRUE(s.changes.empty());
    ASSERT_EQ(s.locations.size(), 1u);
    EXPECT_EQ(s.locations[0].outcome, stamp_outcome::mismatch);
    EXPECT_EQ(s.locations[0].resolved_store, "slow");
}

TEST_F(Stamp, LeavesUnownedAndInvalidLocationsAlone) {
    // glance G4: nothing resolves, nothing is saved; our reasons say why.
    auto s = stamp({{"file:///elsewhere/IMG", std::nullopt},
                    {"file:///srv/glance/images/../etc/passwd", std::nullopt},
                    {"sheepdog://127.0.0.1:7000:IMG", std::nullopt}});
    EXPECT_TRUE(s.changes.empty());
    ASSERT_EQ(s.locations.size(), 3u);
    EXPECT_EQ(s.locations[0].outcome, stamp_outcome::no_store);
    EXPECT_EQ(s.locations[0].reason, reason_code::no_prefix);
    EXPECT_EQ(s.locations[1].outcome, stamp_outcome::invalid);
    EXPECT_EQ(s.locations[1].reason, reason_code::dot_segment);
    EXPECT_EQ(s.locations[2].outcome, stamp_outcome::no_store);
    EXPECT_EQ(s.locations[2].reason, reason_code::unknown_scheme);
}

TEST_F(Stamp, LegacyCinderNeedsTheVolumeTypeLookup) {
    const std::string url = "cinder://" + std::string(volume);
    auto without = stamp({{url, std::nullopt}});
    EXPECT_TRUE(without.changes.empty());
    EXPECT_EQ(without.locations[0].outcome, stamp_outcome::no_store);
    EXPECT_EQ(without.locations[0].reason, reason_code::cinder_legacy);

    // glance G5: the volume's type names the store, and the URL is rewritten to its prefix.
    std::vector<std::string> asked;
    stamp_options o;
    o.volume_type_of = [&](std::string_view v) -> std::optional<std::string> {
        asked.emplace_back(v);
        return "hdd";
    };
    auto with = stamp({{url, std::nullopt}}, o);
    EXPECT_THAT(asked, ::testing::ElementsAre(std::string(volume)));
    ASSERT_EQ(with.changes.size(), 1u);
    EXPECT_EQ(with.changes[0].new_store, "cinder10");
    EXPECT_EQ(with.changes[0].new_url, "cinder://cinder10/" + std::string(volume));
}

TEST_F(Stamp, LegacyCinderUserinfoReachesNeitherTheLookupNorTheNewUrl) {
    // Found by resolve_fuzz (fuzz/corpus/resolve/crash-cinder-legacy-userinfo-stamp). A cinder
    // URL with a userinfo is invalid (semantics section 3): upstream reads the userinfo as part
    // of the volume id, so no store holds it, and the lookup is never asked.
    const std::string url = "cinder://fzuser:fzsecret@" + std::string(volume);
    std::vector<std::string> asked;
    stamp_options o;
    o.volume_type_of = [&](std::string_view v) -> std::optional<std::string> {
        asked.emplace_back(v);
        return "ssd";
    };
    auto s = stamp({{url, std::nullopt}}, o);
    EXPECT_TRUE(asked.empty());
    EXPECT_TRUE(s.changes.empty());
    EXPECT_EQ(s.locations[0].outcome, stamp_outcome::invalid);
    EXPECT_EQ(s.locations[0].reason, reason_code::bad_userinfo);
}

TEST_F(Stamp, LegacyCinderWithAnUnknownTypeStaysUnowned) {
    // glance G6: no store claims the volume; nothing changes.
    stamp_options o;
    o.volume_type_of = [](std::string_view) -> std::optional<std::string> { return "tape"; };
    auto s = stamp({{"cinder://" + std::string(volume), std::nullopt}}, o);
    EXPECT_TRUE(s.changes.empty());
    EXPECT_EQ(s.locations[0].outcome, stamp_outcome::no_store);
    EXPECT_EQ(s.locations[0].reason, reason_code::cinder_legacy);
}

TEST_F(Stamp, StampImageGivesTheViewAndTheChangesInOneCall) {
    const std::vector<location_ref> locations = {
        {"file:///srv/glance/images2/IMG", std::nullopt},
        {"file:///srv/glance/images/IMG", "slow"},  // known store: kept, mismatch reported
        {"file:///elsewhere/IMG", std::nullopt},
        {"file:///srv/glance/images/IMG", "gone"},  // stale id replaced
    };
    stamp_view v = stamp_image(*resolver_, locations);
    EXPECT_TRUE(v.complete());
    ASSERT_EQ(v.locations.size(), 4u);
    EXPECT_EQ(v.locations[0].store, "slow");
    EXPECT_EQ(v.locations[1].store, "slow");
    EXPECT_EQ(v.locations[2].store, std::nullopt);
    EXPECT_EQ(v.locations[3].store, "fast");
    for (std::size_t i = 0; i < locations.size(); ++i)
        EXPECT_EQ(v.locations[i].url, locations[i].url);
    ASSERT_EQ(v.stamp.changes.size(), 2u);
    EXPECT_EQ(v.stamp.locations[1].outcome, stamp_outcome::mismatch);
    EXPECT_EQ(v.stamp.changes[1].old_store, "gone");
}

TEST_F(Stamp, StampImageListsVolumeLookupsInsteadOfBlockingAndCompletesWithTheAnswers) {
    const std::string url = "cinder://" + std::string(volume);
    const std::vector<location_ref> locations = {
        {url, std::nullopt}, {"file:///srv/glance/images/IMG", std::nullopt}, {url, std::nullopt}};
    stamp_view first = stamp_image(*resolver_, locations);
    // One lookup for the volume named twice.
    EXPECT_THAT(first.volume_lookups, ::testing::ElementsAre(std::string(volume)));
    EXPECT_FALSE(first.complete());
    ASSERT_EQ(first.stamp.changes.size(), 1u);  // the file location is final already
    EXPECT_EQ(first.stamp.locations[0].reason, reason_code::cinder_legacy);
    EXPECT_EQ(first.locations[0].url, url);

    const std::vector<volume_answer> answers = {{std::string(volume), "ssd"}};
    stamp_view second = stamp_image(*resolver_, locations, answers);
    EXPECT_TRUE(second.complete());
    ASSERT_EQ(second.stamp.changes.size(), 3u);
    EXPECT_EQ(second.locations[0].store, "cinder1");
    EXPECT_EQ(second.locations[0].url, "cinder://cinder1/" + std::string(volume));
    EXPECT_EQ(second.locations[2].url, "cinder://cinder1/" + std::string(volume));
}

TEST_F(Stamp, StampImageTakesAnUnknownVolumeAsAnswered) {
    const std::string url = "cinder://" + std::string(volume);
    const std::vector<location_ref> locations = {{url, std::nullopt}};
    const std::vector<volume_answer> answers = {{std::string(volume), std::nullopt}};
    stamp_view v = stamp_image(*resolver_, locations, answers);
    EXPECT_TRUE(v.complete());
    EXPECT_TRUE(v.stamp.changes.empty());
    EXPECT_EQ(v.stamp.locations[0].outcome, stamp_outcome::no_store);
    EXPECT_EQ(v.locations[0].store, std::nullopt);
}

TEST(StampCinder, TwoStoresWithOneVolumeTypeAreAmbiguous) {
    // Upstream stamps the first store in enabled_backends order; the answer must not depend
    // on that order, so a volume type that two stores share owns nothing.
    config_load parsed = parse_config(R"([DEFAULT]
enabled_backends = a:cinder, b:cinder
[glance_store]
default_backend = a
[a]
cinder_volume_type = ssd
[b]
cinder_volume_type = ssd
)");
    load_result loaded = store_registry::build(parsed.config);
    ASSERT_TRUE(loaded.ok()) << test::join(loaded.diagnostics);
    location_resolver resolver(loaded.registry);
    stamp_options o;
    o.volume_type_of = [](std::string_view) -> std::optional<std::string> { return "ssd"; };
    const std::string url = "cinder://" + std::string(volume);
    std::vector<location_ref> locs{{url, std::nullopt}};
    auto s = stamp_locations(resolver, locs, o);
    EXPECT_TRUE(s.changes.empty());
    EXPECT_EQ(s.locations[0].reason, reason_code::ambiguous);
}

TEST_F(Stamp, IsIdempotent) {
    const std::string legacy_cinder = "cinder://" + std::string(volume);
    std::vector<std::string> urls{
        "file:///srv/glance/images/A", "FILE:///srv/glance/images2/B", legacy_cinder,
        "rbd://c0ffee00-0000-4000-8000-000000000001/images/I/snap", "file:///nowhere/C"};
    std::vector<std::optional<std::string>> stores{std::nullopt, "gone", std::nullopt, "",
                                                   std::nullopt};
    stamp_options o;
    o.volume_type_of = [](std::string_view) -> std::optional<std::string> { return "ssd"; };
    auto as_refs = [&] {
        std::vector<location_ref> refs;
        for (std::size_t i = 0; i < urls.size(); ++i) {
            refs.push_back(
                {urls[i], stores[i] ? std::optional<std::string_view>(*stores[i]) : std::nullopt});
        }
        return refs;
    };
    auto first = stamp(as_refs(), o);
    ASSERT_EQ(first.changes.size(), 4u);
    for (const auto& c : first.changes) {
        stores[c.index] = c.new_store;
        if (c.new_url) urls[c.index] = *c.new_url;
    }
    auto second = stamp(as_refs(), o);
    EXPECT_TRUE(second.changes.empty());
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(second.locations[i].outcome, stamp_outcome::already_set) << i;
    }
}

TEST_F(Stamp, TotalsCountEveryOutcome) {
    stamp_options o;
    o.volume_type_of = [](std::string_view) -> std::optional<std::string> { return "ssd"; };
    const std::string legacy_cinder = "cinder://" + std::string(volume);
    stamp_totals totals;
    totals.add(stamp({{"file:///srv/glance/images/A", std::nullopt},
                      {legacy_cinder, std::nullopt},
                      {"file:///srv/glance/images2/B", "fast"}},
                     o));
    totals.add(stamp({{"file:///srv/glance/images/A", "fast"},
                      {"file:///x/../y", std::nullopt},
                      {"file:///x/y", std::nullopt}}));
    EXPECT_EQ(totals.images, 2u);
    EXPECT_EQ(totals.locations, 6u);
    EXPECT_EQ(totals.stamped, 2u);
    EXPECT_EQ(totals.rewritten, 1u);
    EXPECT_EQ(totals.mismatch, 1u);
    EXPECT_EQ(totals.already_set, 1u);
    EXPECT_EQ(totals.invalid, 1u);
    EXPECT_EQ(totals.no_store, 1u);
}

TEST(StampOutcome, HasStableNames) {
    EXPECT_EQ(to_string(stamp_outcome::stamped), "stamped");
    EXPECT_EQ(to_string(stamp_outcome::already_set), "already_set");
    EXPECT_EQ(to_string(stamp_outcome::mismatch), "mismatch");
    EXPECT_EQ(to_string(stamp_outcome::no_store), "no_store");
    EXPECT_EQ(to_string(stamp_outcome::invalid), "invalid");
}

}  // namespace
}  // namespace imgstore
