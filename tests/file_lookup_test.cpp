// Files named inside the config: swift_store_config_file is found as oslo.config's find_file
// finds it (semantics section 1), rbd_store_ceph_conf stays relative to the current directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "imgstore/config.hpp"
#include "imgstore/registry.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Points $HOME at a directory for one test and restores it (unit_tests run on one thread).
class home_override {
  public:
    explicit home_override(const fs::path& home) {
        if (const char* old = std::getenv("HOME")) old_ = old;
        ::setenv("HOME", home.c_str(), 1);
    }
    ~home_override() {
        if (old_) {
            ::setenv("HOME", old_->c_str(), 1);
        } else {
            ::unsetenv("HOME");
        }
    }
    home_override(const home_override&) = delete;
    home_override& operator=(const home_override&) = delete;

  private:
    std::optional<std::string> old_;
};

// A name no system directory (/etc/glance, /etc) holds.
const std::string lookup_name = "imgstore-lookup-test-7d1e.conf";

class FileLookup : public ::testing::Test {
  protected:
    fs::path at(std::string_view sub) const { return dir_.path() / sub; }
    // --config-dir D, --config-file A/api.conf --config-file B/more.conf
    config_sources sources() const {
        return {.files = {at("A/api.conf"), at("B/more.conf")}, .directory = at("D")};
    }
    void SetUp() override {
        for (auto sub : {"A", "B", "D", "home/.glance"}) fs::create_directories(at(sub));
    }

    test::temp_dir dir_;
    home_override home_{at("home")};
};

TEST_F(FileLookup, SearchesConfigDirThenConfigFilesLastFirstThenHomeThenEtc) {
    const file_search r = find_config_file(lookup_name, sources());
    EXPECT_FALSE(r.found);
    EXPECT_THAT(r.searched, ElementsAre(at("D"), at("B"), at("A"), at("home/.glance"), at("home"),
                                        fs::path("/etc/glance"), fs::path("/etc")));
}

TEST_F(FileLookup, TheFirstDirectoryHoldingTheFileWins) {
    // Each row: where copies of the file are, and which one is found.
    const struct {
        std::vector<std::string_view> copies;
        std::string_view found;
    } rows[] = {
        {{"D", "B", "A", "home/.glance", "home"}, "D"},
        {{"B", "A", "home/.glance", "home"}, "B"},
        {{"A", "home/.glance", "home"}, "A"},
        {{"home/.glance", "home"}, "home/.glance"},
        {{"home"}, "home"},
    };
    for (const auto& row : rows) {
        test::temp_dir scratch;
        for (auto sub : {"A", "B", "D", "home/.glance"})
            fs::create_directories(scratch.path() / sub);
        home_override home(scratch.path() / "home");
        for (auto where : row.copies) {
            scratch.write(std::string(where) + "/" + lookup_name, "[ref1]\n");
        }
        const config_sources s{
            .files = {scratch.path() / "A/api.conf", scratch.path() / "B/more.conf"},
            .directory = scratch.path() / "D"};
        const file_search r = find_config_file(lookup_name, s);
        ASSERT_TRUE(r.found) << row.found;
        EXPECT_EQ(*r.found, scratch.path() / row.found / lookup_name);
    }
}

TEST_F(FileLookup, AbsoluteNameIsTakenAsIsAndRelativeSubdirectoriesWork) {
    const fs::path absolute = dir_.write("elsewhere/ref.conf", "[ref1]\n");
    EXPECT_EQ(find_config_file(absolute, sources()).found, absolute);
    EXPECT_TRUE(find_config_file(absolute, sources()).searched.empty());
    EXPECT_FALSE(find_config_file(at("elsewhere/none.conf"), sources()).found);

    dir_.write("B/swift/" + lookup_name, "[ref1]\n");
    EXPECT_EQ(find_config_file(fs::path("swift") / lookup_name, sources()).found,
              at("B/swift") / lookup_name);
}

TEST_F(FileLookup, NeverLooksInTheCurrentDirectory) {
    const fs::path in_cwd = fs::current_path() / lookup_name;
    { std::ofstream(in_cwd) << "[ref1]\n"; }
    const file_search r = find_config_file(lookup_name, {});
    fs::remove(in_cwd);
    EXPECT_FALSE(r.found);
    for (const fs::path& d : r.searched) EXPECT_NE(d, fs::current_path());
}

TEST_F(FileLookup, RelativeAndHomeConfigFilePathsAreMadeAbsolute) {
    const file_search r = find_config_file(lookup_name, {.files = {"rel/api.conf", "~/x.conf"}});
    ASSERT_GE(r.searched.size(), 2u);
    EXPECT_EQ(r.searched[0], at("home"));  // the last file first: ~ is $HOME
    EXPECT_EQ(r.searched[1], fs::current_path() / "rel");
}

constexpr std::string_view swift_reference =
    "[ref1]\nuser = svc:glance\nkey = k\nauth_address = https://keystone.example.com/v3\n";

std::string swift_api_conf(std::string_view reference_file) {
    return "[DEFAULT]\nenabled_backends = sw:swift\n[glance_store]\ndefault_backend = sw\n"
           "[sw]\nswift_store_config_file = " +
           std::string(reference_file) + "\n";
}

TEST_F(FileLookup, RegistryFindsTheReferenceFileBesideTheConfigFile) {
    dir_.write("A/glance-swift.conf", swift_reference);
    const fs::path api = dir_.write("A/glance-api.conf", swift_api_conf("glance-swift.conf"));
    load_result r = store_registry::load({.files = {api}});
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    EXPECT_THAT(r.registry->find("sw")->url_prefixes(),
                ElementsAre("swift+https://keystone.example.com/v3/glance/",
                            "swift+config://ref1/glance/"));
}

TEST_F(FileLookup, RegistryFindsTheReferenceFileInTheConfigDir) {
    dir_.write("D/refs/glance-swift.conf", swift_reference);
    dir_.write("D/glance-api.conf", swift_api_conf("refs/glance-swift.conf"));
    load_result r = store_registry::load({.directory = at("D")});
    EXPECT_TRUE(r.ok()) << test::join(r.diagnostics);
}

TEST_F(FileLookup, AReferenceFileNotFoundIsALoadErrorNamingThePlacesSearched) {
    const fs::path api = dir_.write("A/glance-api.conf", swift_api_conf(lookup_name));
    load_result r = store_registry::load({.files = {api}});
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.diagnostics.size(), 1u) << test::join(r.diagnostics);
    const diagnostic& d = r.diagnostics[0];
    EXPECT_EQ(d.file, api.string());
    EXPECT_EQ(d.line, 6u);
    EXPECT_EQ(d.key, "swift_store_config_file");
    EXPECT_THAT(d.message, HasSubstr("reference file " + lookup_name + " not found in: " +
                                     at("A").string() + ", " + at("home/.glance").string() + ", " +
                                     at("home").string() + ", /etc/glance, /etc"));

    const fs::path empty = dir_.write("A/empty.conf", swift_api_conf(""));
    load_result e = store_registry::load({.files = {empty}});
    ASSERT_FALSE(e.ok());
    EXPECT_THAT(test::join(e.diagnostics), HasSubstr("swift_store_config_file: is empty"));
}

TEST_F(FileLookup, CephConfStaysRelativeToTheCurrentDirectory) {
    const std::string name = "imgstore-lookup-ceph-7d1e.conf";
    const std::string fsid = "c0ffee00-0000-4000-8000-0000000000aa";
    dir_.write("A/" + name, "[global]\nfsid = " + fsid + "\n");  // beside: not read
    const fs::path api =
        dir_.write("A/glance-api.conf",
                   "[DEFAULT]\nenabled_backends = ceph:rbd\n[glance_store]\ndefault_backend = "
                   "ceph\n[ceph]\nrbd_store_ceph_conf = " +
                       name + "\n");
    load_result beside = store_registry::load({.files = {api}});
    ASSERT_TRUE(beside.ok()) << test::join(beside.diagnostics);
    EXPECT_EQ(beside.registry->find("ceph")->status(), store_status::unresolvable);

    const fs::path in_cwd = fs::current_path() / name;
    { std::ofstream(in_cwd) << "[global]\nfsid = " << fsid << "\n"; }
    load_result here = store_registry::load({.files = {api}});
    fs::remove(in_cwd);
    ASSERT_TRUE(here.ok()) << test::join(here.diagnostics);
    EXPECT_THAT(here.registry->find("ceph")->url_prefixes(),
                ElementsAre("rbd://" + fsid + "/images/"));
}

TEST_F(FileLookup, TheFilesTheConfigNamesAreListedOnceWhetherOrNotTheBuildSucceeds) {
    // Two swift stores sharing one reference file, two rbd stores sharing one ceph.conf, a third
    // whose ceph.conf is missing (tried, so listed), and an rbd store with its fsid set (which
    // reads no file).
    const fs::path reference = dir_.write("A/glance-swift.conf", swift_reference);
    const fs::path ceph =
        dir_.write("A/ceph.conf", "[global]\nfsid = c0ffee00-0000-4000-8000-0000000000aa\n");
    const std::string ceph_at = "rbd_store_ceph_conf = " + ceph.string() + "\n";
    const std::string stores =
        "[DEFAULT]\nenabled_backends = sw1:swift, sw2:swift, c1:rbd, c2:rbd, c3:rbd, c4:rbd\n"
        "[glance_store]\ndefault_backend = sw1\n"
        "[sw1]\nswift_store_config_file = glance-swift.conf\n"
        "[sw2]\nswift_store_config_file = glance-swift.conf\nswift_store_container = other\n"
        "[c1]\n" +
        ceph_at + "[c2]\n" + ceph_at + "rbd_store_pool = other\n" +
        "[c3]\nrbd_store_ceph_conf = " + at("A/missing.conf").string() + "\n" +
        "[c4]\nrbd_store_fsid = c0ffee00-0000-4000-8000-0000000000bb\n";
    const fs::path api = dir_.write("A/glance-api.conf", stores);
    const load_result ok = store_registry::load({.files = {api}});
    ASSERT_TRUE(ok.ok()) << test::join(ok.diagnostics);
    EXPECT_THAT(ok.referenced_files, ElementsAre(reference, ceph, at("A/missing.conf")));

    // A build that fails still says what it read.
    const fs::path bad = dir_.write("A/bad.conf", stores + "[c4]\nrbd_store_pool = a/b\n");
    const load_result failed = store_registry::load({.files = {bad}});
    ASSERT_FALSE(failed.ok());
    EXPECT_THAT(failed.referenced_files, ElementsAre(reference, ceph, at("A/missing.conf")));
}

}  // namespace
}  // namespace imgstore
