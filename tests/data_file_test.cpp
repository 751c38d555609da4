// The file store's data plane: ranged reads, add (hashes, limits, atomicity, datadir choice),
// remove, and hostile locations refused.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "data_test_util.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

namespace fs = std::filesystem;
using data::byte_range;
using data::errc;
using data::extent;

// Two file stores: `fast` (the default) over one datadir, `other` over another.
struct file_stores {
    test::temp_dir tmp;
    fs::path fast_dir = tmp.path() / "fast";
    fs::path other_dir = tmp.path() / "other";
    std::shared_ptr<const data::data_plane> plane;

    explicit file_stores(std::string_view extra_fast_options = "") {
        fs::create_directories(fast_dir);
        fs::create_directories(other_dir);
        plane = test::make_plane(fmt::format(R"([DEFAULT]
enabled_backends = fast:file, other:file
[glance_store]
default_backend = fast
[fast]
filesystem_store_datadir = {}
{}
[other]
filesystem_store_datadir = {}
)",
                                             fast_dir.string(), extra_fast_options,
                                             other_dir.string()));
    }
    const data::backend& fast() const { return *plane->find("fast"); }
    std::string url(std::string_view rest) const {
        return "file://" + fast_dir.string() + std::string(rest);
    }
};

// A config with one file store, `fast`, over `datadir`, plus `extra` lines in its section.
std::string one_file_store(const std::string& datadir, std::string_view extra = "") {
    return fmt::format(R"([DEFAULT]
enabled_backends = fast:file
[glance_store]
default_backend = fast
[fast]
filesystem_store_datadir = {}
{}
)",
                       datadir, extra);
}

std::string file_contents(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
    return s;
}

TEST(FileBackend, ReadsAWholeImageInChunksOfAnySize) {
    file_stores s;
    const std::string content = pattern(200'000);
    test::temp_dir unused;
    std::ofstream(s.fast_dir / "img", std::ios::binary) << content;
    for (std::size_t step : {1u, 7u, 4096u, 65536u, 65537u, 1u << 20}) {
        SCOPED_TRACE(step);
        auto r = s.fast().get(s.url("/img"), byte_range::all());
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_EQ((*r)->range(), (extent{0, content.size(), content.size()}));
        EXPECT_EQ((*r)->chunk_size(), 65536u);
        if (step > 1000) {
            auto all = test::read_all(**r, step);
            ASSERT_TRUE(all);
            EXPECT_EQ(*all, content);
        } else {
            // Byte-wise reads over the first chunk boundary and a little further.
            std::string got;
            std::vector<std::byte> buffer(step);
            while (got.size() < 70'000) {
                auto n = (*r)->read(buffer);
                ASSERT_TRUE(n);
                ASSERT_GE(*n, 1u);
                got.append(reinterpret_cast<const char*>(buffer.data()), *n);
            }
            EXPECT_EQ(got, content.substr(0, got.size()));
        }
    }
}

struct range_case {
    const char* name;
    std::size_t size;
    byte_range range;
    std::optional<extent> expected;  // none: bad_range
};

void PrintTo(const range_case& c, std::ostream* os) { *os << c.name; }

class FileBackendRanges : public ::testing::TestWithParam<range_case> {};

TEST_P(FileBackendRanges, ReadsExactlyTheRequestedBytes) {
    const range_case& c = GetParam();
    file_stores s;
    const std::string content = pattern(c.size);
    std::ofstream(s.fast_dir / "img", std::ios::binary) << content;
    auto r = s.fast().get(s.url("/img"), c.range);
    if (!c.expected) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), make_error_code(errc::bad_range));
        return;
    }
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ((*r)->range(), *c.expected);
    auto got = test::read_all(**r, 3);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, content.substr(c.expected->offset, c.expected->length));
    EXPECT_EQ((*r)->remaining(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Table,
    FileBackendRanges,
    ::testing::Values(range_case{"AllOfTen", 10, byte_range::all(), extent{0, 10, 10}},
                      range_case{"FromZero", 10, byte_range::from(0), extent{0, 10, 10}},
                      range_case{"FromLastByte", 10, byte_range::from(9), extent{9, 1, 10}},
                      range_case{"FromTheEnd", 10, byte_range::from(10), std::nullopt},
                      range_case{"FromPastTheEnd", 10, byte_range::from(11), std::nullopt},
                      range_case{"Between", 10, byte_range::between(2, 5), extent{2, 4, 10}},
                      range_case{"OneByte", 10, byte_range::between(4, 4), extent{4, 1, 10}},
                      range_case{"LastClamped", 10, byte_range::between(8, 100), extent{8, 2, 10}},
                      range_case{"LastBeforeFirst", 10, byte_range::between(5, 2), std::nullopt},
                      range_case{"Suffix", 10, byte_range::suffix(3), extent{7, 3, 10}},
                      range_case{"SuffixLongerThanObject", 10, byte_range::suffix(100),
                                 extent{0, 10, 10}},
                      range_case{"EmptySuffix", 10, byte_range::suffix(0), std::nullopt},
                      range_case{"AllOfEmpty", 0, byte_range::all(), extent{0, 0, 0}},
                      // from(0) is all(): an empty object reads as empty, not as bad_range.
                      range_case{"FromZeroOfEmpty", 0, byte_range::from(0), extent{0, 0, 0}},
                      range_case{"FromOneOfEmpty", 0, byte_range::from(1), std::nullopt},
                      range_case{"SuffixOfEmpty", 0, byte_range::suffix(4), extent{0, 0, 0}},
                      range_case{"AcrossAChunkBoundary", 200'000,
                                 byte_range::between(65'530, 65'545), extent{65'530, 16, 200'000}},
                      range_case{"LastChunkPartly", 200'000, byte_range::from(196'600),
                                 extent{196'600, 3'400, 200'000}}),
    [](const auto& row) { return std::string(row.param.name); });

TEST(FileBackend, ReportsAFileThatShrankAsTruncated) {
    file_stores s;
    std::ofstream(s.fast_dir / "img", std::ios::binary) << pattern(1000);
    auto r = s.fast().get(s.url("/img"), byte_range::all());
    ASSERT_TRUE(r);
    fs::resize_file(s.fast_dir / "img", 10);
    auto got = test::read_all(**r);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error(), make_error_code(errc::truncated));
}

TEST(FileBackend, AddsAnImageWithTheHashesGlanceRecords) {
    for (std::string_view algorithm : {"sha512", "sha256", "sha3_256", "blake2b"}) {
        SCOPED_TRACE(algorithm);
        file_stores s;
        data::data_options options;
        options.hashing_algorithm = std::string(algorithm);
        auto plane = test::make_plane(one_file_store(s.fast_dir.string()), {}, options);
        const std::string content = pattern(300'001);
        test::string_source source(content, 1000);
        auto added =
            plane->default_backend().add("0b5e6c3a-1d2f-4a5b-8c9d-0e1f2a3b4c5d", source, {});
        ASSERT_TRUE(added) << added.error().message();
        const std::string file = (s.fast_dir / "0b5e6c3a-1d2f-4a5b-8c9d-0e1f2a3b4c5d").string();
        EXPECT_EQ(added->location_url, "file://" + file);
        EXPECT_EQ(added->size, content.size());
        EXPECT_EQ(added->store_id, "fast");
        EXPECT_EQ(file_contents(file), content);
        EXPECT_EQ(added->checksum, test::openssl_digest("md5", file));
        EXPECT_EQ(added->os_hash_algo, algorithm);
        const std::string openssl_name = algorithm == "sha3_256"  ? "sha3-256"
                                         : algorithm == "blake2b" ? "blake2b512"
                                                                  : std::string(algorithm);
        EXPECT_EQ(added->os_hash_value, test::openssl_digest(openssl_name, file));
        // The location it returns resolves to the store and reads back.
        auto r = plane->default_backend().get(added->location_url, byte_range::all());
        ASSERT_TRUE(r);
        EXPECT_EQ(test::read_all(**r).value(), content);
        EXPECT_EQ(plane->resolver().resolve(added->location_url).owner->id(), "fast");
    }
}

TEST(FileBackend, AddsAnEmptyImage) {
    file_stores s;
    test::string_source source("");
    auto added = s.fast().add("empty", source, {.expected_size = 0});
    ASSERT_TRUE(added) << added.error().message();
    EXPECT_EQ(added->size, 0u);
    EXPECT_EQ(added->checksum, "d41d8cd98f00b204e9800998ecf8427e");  // md5 of nothing
    EXPECT_TRUE(fs::is_regular_file(s.fast_dir / "empty"));
}

// Nothing but the images themselves is ever left in a datadir.
std::vector<std::string> dir_entries(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
}

TEST(FileBackend, EnforcesTheSizeLimitAtItsEdgeAndLeavesNothingBehind) {
    file_stores s;
    const std::string content = pattern(100'000);
    {
        test::string_source at_limit(content, 777);
        auto added = s.fast().add("at-limit", at_limit, {.size_limit = content.size()});
        ASSERT_TRUE(added) << added.error().message();
    }
    {
        test::string_source over(content, 777);
        auto added = s.fast().add("over", over, {.size_limit = content.size() - 1});
        ASSERT_FALSE(added);
        EXPECT_EQ(added.error(), make_error_code(errc::too_large));
    }
    {
        test::string_source over(content);
        auto added = s.fast().add("over-expected", over, {.expected_size = content.size() - 1});
        ASSERT_FALSE(added);
        EXPECT_EQ(added.error(), make_error_code(errc::too_large));
    }
    {
        test::string_source short_data(content);
        auto added = s.fast().add("short", short_data, {.expected_size = content.size() + 1});
        ASSERT_FALSE(added);
        EXPECT_EQ(added.error(), make_error_code(errc::size_mismatch));
    }
    {
        // The source's own error comes back unchanged.
        const auto broken = make_error_code(boost::system::errc::connection_reset);
        test::string_source failing(content, 1000);
        failing.fail_after(5000, broken);
        auto added = s.fast().add("broken", failing, {});
        ASSERT_FALSE(added);
        EXPECT_EQ(added.error(), broken);
    }
    EXPECT_THAT(dir_entries(s.fast_dir), ::testing::ElementsAre("at-limit"));
}

TEST(FileBackend, RefusesToReplaceAnExistingImage) {
    file_stores s;
    std::ofstream(s.fast_dir / "taken", std::ios::binary) << "original";
    fs::create_symlink("/nonexistent", s.fast_dir / "dangling");
    for (const char* id : {"taken", "dangling"}) {
        test::string_source source("new data");
        auto added = s.fast().add(id, source, {});
        ASSERT_FALSE(added) << id;
        EXPECT_EQ(added.error(), make_error_code(errc::duplicate));
    }
    EXPECT_EQ(file_contents(s.fast_dir / "taken"), "original");
    EXPECT_THAT(dir_entries(s.fast_dir), ::testing::ElementsAre("dangling", "taken"));
}

TEST(FileBackend, RefusesImageIdsThatAreNotOneFileName) {
    file_stores s;
    for (const char* id :
         {"", ".", "..", "../x", "a/b", "/abs", ".hidden", "a b", "a%2Fb", "a\\b", "\xc3\xa9"}) {
        test::string_source source("data");
        auto added = s.fast().add(id, source, {});
        ASSERT_FALSE(added) << id;
        EXPECT_EQ(added.error(), make_error_code(errc::invalid_image_id)) << id;
    }
    const std::string long_id(256, 'a');
    test::string_source source("data");
    EXPECT_EQ(s.fast().add(long_id, source, {}).error(), make_error_code(errc::invalid_image_id));
    EXPECT_TRUE(dir_entries(s.fast_dir).empty());
}

TEST(FileBackend, SetsTheConfiguredFileModeReadAsOctal) {
    file_stores s("filesystem_store_file_perm = 640");
    test::string_source source("data");
    ASSERT_TRUE(s.fast().add("img", source, {}));
    struct stat st {};
    ASSERT_EQ(::stat((s.fast_dir / "img").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST(FileBackend, RefusesFileModesUpstreamRefuses) {
    for (const char* perm : {"200", "8", "1789", "77777"}) {
        SCOPED_TRACE(perm);
        test::temp_dir tmp;
        auto made = test::try_make_plane(one_file_store(
            tmp.path().string(), std::string("filesystem_store_file_perm = ") + perm));
        ASSERT_FALSE(made.ok());
        ASSERT_EQ(made.diagnostics.size(), 1u);
        EXPECT_EQ(made.diagnostics[0].section, "fast");
        EXPECT_EQ(made.diagnostics[0].key, "filesystem_store_file_perm");
    }
}

// filesystem_store_datadirs as upstream's _find_best_datadir: highest priority with room.
TEST(FileBackend, ChoosesTheDatadirByPriorityThenFreeSpace) {
    test::temp_dir tmp;
    for (const char* d : {"low", "high1", "high2"}) fs::create_directories(tmp.path() / d);
    auto plane = test::make_plane(fmt::format(R"([DEFAULT]
enabled_backends = many:file
[glance_store]
default_backend = many
[many]
filesystem_store_datadirs = {0}/low:1
filesystem_store_datadirs = {0}/high1:7
filesystem_store_datadirs = {0}/high2:7
)",
                                              tmp.path().string()));
    const data::backend& many = plane->default_backend();
    test::string_source source("data");
    auto added = many.add("img", source, {.expected_size = 4});
    ASSERT_TRUE(added) << added.error().message();
    // Same file system, so the same free space: the first listed of the highest priority.
    EXPECT_EQ(added->location_url, "file://" + (tmp.path() / "high1" / "img").string());
    // No directory can hold it: storage_full, and nothing written anywhere.
    test::string_source huge("x");
    auto refused = many.add("huge", huge, {.expected_size = std::uint64_t{1} << 62});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), make_error_code(errc::storage_full));
    EXPECT_TRUE(dir_entries(tmp.path() / "low").empty());
    EXPECT_TRUE(dir_entries(tmp.path() / "high2").empty());
}

TEST(FileBackend, FallsBackToALowerPriorityWhenNoHigherDirectoryIsUsable) {
    test::temp_dir tmp;
    fs::create_directories(tmp.path() / "low");
    // The high-priority directory is missing: it has no free space to offer.
    auto plane = test::make_plane(fmt::format(R"([DEFAULT]
enabled_backends = many:file
[glance_store]
default_backend = many
[many]
filesystem_store_datadirs = {0}/gone:9
filesystem_store_datadirs = {0}/low:1
)",
                                              tmp.path().string()));
    test::string_source source("data");
    auto added = plane->default_backend().add("img", source, {});
    ASSERT_TRUE(added) << added.error().message();
    EXPECT_EQ(added->location_url, "file://" + (tmp.path() / "low" / "img").string());
}

// A small tmpfs, unmounted on destruction; mounted() is false without the privilege to mount
// (the tests using it then skip: CI runs as root).
class small_tmpfs {
  public:
    small_tmpfs(fs::path where, std::size_t bytes) : path_(std::move(where)) {
        fs::create_directories(path_);
        const std::string options = "size=" + std::to_string(bytes);
        mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) == 0;
    }
    ~small_tmpfs() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    }
    small_tmpfs(const small_tmpfs&) = delete;
    small_tmpfs& operator=(const small_tmpfs&) = delete;
    bool mounted() const { return mounted_; }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
    bool mounted_ = false;
};

TEST(FileBackend, ReportsAFullDiskAsStorageFullAndLeavesNothingBehind) {
    test::temp_dir tmp;
    small_tmpfs disk(tmp.path() / "disk", 256 << 10);
    if (!disk.mounted()) GTEST_SKIP() << "needs the privilege to mount a tmpfs";
    auto plane = test::make_plane(one_file_store(disk.path().string()));
    test::string_source source(pattern(1 << 20));
    auto added = plane->default_backend().add("img", source, {});
    ASSERT_FALSE(added);
    EXPECT_EQ(added.error(), make_error_code(errc::storage_full));
    EXPECT_TRUE(dir_entries(disk.path()).empty());
}

TEST(FileBackend, ChoosesTheDatadirWithTheMostFreeSpaceThatCanHoldTheImage) {
    test::temp_dir tmp;
    small_tmpfs small(tmp.path() / "small", 256 << 10);
    small_tmpfs large(tmp.path() / "large", 1 << 20);
    small_tmpfs low(tmp.path() / "low", 4 << 20);
    if (!small.mounted() || !large.mounted() || !low.mounted()) {
        GTEST_SKIP() << "needs the privilege to mount a tmpfs";
    }
    auto plane = test::make_plane(fmt::format(R"([DEFAULT]
enabled_backends = many:file
[glance_store]
default_backend = many
[many]
filesystem_store_datadirs = {}:5
filesystem_store_datadirs = {}:5
filesystem_store_datadirs = {}:1
)",
                                              small.path().string(), large.path().string(),
                                              low.path().string()));
    const data::backend& many = plane->default_backend();
    auto add = [&](const char* id, std::size_t size) {
        test::string_source source(pattern(size));
        return many.add(id, source, {.expected_size = size});
    };
    // Same priority: the most free space, though listed second.
    auto first = add("first", 1000);
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_EQ(first->location_url, "file://" + (large.path() / "first").string());
    // Too big for every directory of priority 5: the lower priority takes it.
    auto big = add("big", 2 << 20);
    ASSERT_TRUE(big) << big.error().message();
    EXPECT_EQ(big->location_url, "file://" + (low.path() / "big").string());
    // Too big for all of them.
    auto huge = add("huge", 8 << 20);
    ASSERT_FALSE(huge);
    EXPECT_EQ(huge.error(), make_error_code(errc::storage_full));
}

// Whatever happens while streaming, an exception included, no temporary file stays.
class throwing_source final : public data::source {
  public:
    result<std::size_t> read(std::span<std::byte> out) override {
        if (calls_++ == 3) throw std::runtime_error("client went away");
        std::fill(out.begin(), out.end(), std::byte{'x'});
        return out.size();
    }

  private:
    int calls_ = 0;
};

TEST(FileBackend, RemovesTheTemporaryFileWhenTheSourceThrows) {
    file_stores s;
    throwing_source source;
    EXPECT_THROW((void)s.fast().add("img", source, {}), std::runtime_error);
    EXPECT_TRUE(dir_entries(s.fast_dir).empty());
}

TEST(FileBackend, LetsExactlyOneOfConcurrentAddsOfOneImageWin) {
    file_stores s;
    constexpr int writers = 8;
    std::vector<boost::system::error_code> outcomes(writers);
    std::vector<std::string> contents(writers);
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < writers; ++i) {
            contents[static_cast<std::size_t>(i)] =
                std::string(100'000, static_cast<char>('a' + i));
            threads.emplace_back([&, i] {
                const auto k = static_cast<std::size_t>(i);
                test::string_source source(contents[k], 4096);
                auto added = s.fast().add("img", source, {});
                outcomes[k] = added ? boost::system::error_code{} : added.error();
            });
        }
        for (auto& t : threads) t.join();
    }
    const auto winners = std::count(outcomes.begin(), outcomes.end(), boost::system::error_code{});
    EXPECT_EQ(winners, 1);
    EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), make_error_code(errc::duplicate)),
              writers - 1);
    // The file is one writer's data, whole.
    const std::string stored = file_contents(s.fast_dir / "img");
    EXPECT_NE(std::find(contents.begin(), contents.end(), stored), contents.end());
    EXPECT_THAT(dir_entries(s.fast_dir), ::testing::ElementsAre("img"));
}

TEST(FileBackend, ReportsAMissingDatadirOnAddAsAnIoError) {
    file_stores s;
    fs::remove_all(s.fast_dir);
    test::string_source source("data");
    auto added = s.fast().add("img", source, {});
    ASSERT_FALSE(added);
    EXPECT_EQ(added.error(), make_error_code(errc::io_error));
}

TEST(FileBackend, RemovesAnImageOnce) {
    file_stores s;
    std::ofstream(s.fast_dir / "img") << "data";
    EXPECT_TRUE(s.fast().remove(s.url("/img")));
    EXPECT_FALSE(fs::exists(s.fast_dir / "img"));
    auto again = s.fast().remove(s.url("/img"));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), make_error_code(errc::not_found));
}

TEST(FileBackend, ReadsLocationsWrittenWithTheFilesystemSchemeOrEscapes) {
    file_stores s;
    std::ofstream(s.fast_dir / "abc") << "data";
    for (std::string url : {"filesystem://" + s.fast_dir.string() + "/abc", s.url("/%61bc")}) {
        auto r = s.fast().get(url, byte_range::all());
        ASSERT_TRUE(r) << url << ": " << r.error().message();
        EXPECT_EQ(test::read_all(**r).value(), "data");
    }
}

// Hostile locations (they come from the database): each refused by get and by remove, and
// nothing outside the datadir is touched.
struct hostile_case {
    const char* name;
    const char* rest;  // appended to "file://" + the fast store's datadir; see the test
    errc expected;
    // A second acceptable answer where the resolver's verdict is still being tightened.
    std::optional<errc> also = std::nullopt;
};

void PrintTo(const hostile_case& c, std::ostream* os) { *os << c.name; }

class FileBackendHostile : public ::testing::TestWithParam<hostile_case> {};

TEST_P(FileBackendHostile, RefusesTheLocation) {
    const hostile_case& c = GetParam();
    file_stores s;
    const fs::path outside = s.tmp.path() / "outside";
    fs::create_directories(outside);
    std::ofstream(outside / "secret") << "outside";
    std::ofstream(s.other_dir / "theirs") << "other store";
    fs::create_directories(s.fast_dir / "sub");
    std::ofstream(s.fast_dir / "sub" / "img") << "nested";
    fs::create_symlink(outside / "secret", s.fast_dir / "link");
    fs::create_symlink(outside, s.fast_dir / "linkdir");
    fs::create_symlink(s.fast_dir / "sub" / "img", s.fast_dir / "inner-link");
    fs::create_directories(s.fast_dir / "adir");
    ASSERT_EQ(::mkfifo((s.fast_dir / "fifo").c_str(), 0600), 0);

    std::string rest = c.rest;
    std::string url;
    if (rest.starts_with("@other")) {
        url = "file://" + s.other_dir.string() + rest.substr(6);
    } else if (rest.starts_with("@outside")) {
        url = "file://" + outside.string() + rest.substr(8);
    } else if (rest.starts_with("@raw:")) {
        url = rest.substr(5);
    } else {
        url = "file://" + s.fast_dir.string() + rest;
    }
    auto expected = [&](const boost::system::error_code& ec) {
        return ec == make_error_code(c.expected) || (c.also && ec == make_error_code(*c.also));
    };
    auto got = s.fast().get(url, byte_range::all());
    ASSERT_FALSE(got) << url;
    EXPECT_TRUE(expected(got.error())) << got.error().message();
    auto removed = s.fast().remove(url);
    ASSERT_FALSE(removed) << url;
    EXPECT_TRUE(expected(removed.error())) << removed.error().message();
    EXPECT_EQ(file_contents(outside / "secret"), "outside");
    EXPECT_EQ(file_contents(s.other_dir / "theirs"), "other store");
    EXPECT_TRUE(fs::is_symlink(s.fast_dir / "link"));
    EXPECT_TRUE(fs::exists(s.fast_dir / "fifo"));
}

INSTANTIATE_TEST_SUITE_P(
    Table,
    FileBackendHostile,
    ::testing::Values(
        hostile_case{"DotDot", "/../outside/secret", errc::invalid_location},
        hostile_case{"DotDotInside", "/sub/../../outside/secret", errc::invalid_location},
        hostile_case{"EncodedDotDot", "/%2e%2e/outside/secret", errc::invalid_location},
        hostile_case{"EncodedDotDotUpper", "/%2E%2E/outside/secret", errc::invalid_location},
        hostile_case{"HalfEncodedDotDot", "/.%2e/outside/secret", errc::invalid_location},
        hostile_case{"Dot", "/./sub/img", errc::invalid_location},
        hostile_case{"EncodedSlash", "/sub%2Fimg", errc::invalid_location},
        hostile_case{"EncodedBackslash", "/sub%5Cimg", errc::invalid_location},
        hostile_case{"EncodedNul", "/sub%00img", errc::invalid_location},
        hostile_case{"DoubleSlash", "//sub/img", errc::invalid_location},
        hostile_case{"TrailingSlash", "/sub/", errc::invalid_location},
        hostile_case{"DatadirItself", "", errc::invalid_location},
        hostile_case{"Query", "/sub/img?x=1", errc::invalid_location},
        hostile_case{"Fragment", "/sub/img#x", errc::invalid_location},
        hostile_case{"BadPercent", "/sub/%zz", errc::invalid_location},
        hostile_case{"Space", "/sub/a b", errc::invalid_location},
        // Semantics 3 makes a file URL with userinfo invalid; an older resolver said no_store.
        hostile_case{"Userinfo", "@raw:file://user@/etc/passwd", errc::invalid_location,
                     errc::forbidden_location},
        hostile_case{"HostName", "@raw:file://evil.example.com/etc/passwd", errc::invalid_location},
        hostile_case{"OtherScheme", "@raw:http://example.com/img", errc::invalid_location},
        hostile_case{"NotAUrl", "@raw:/etc/passwd", errc::invalid_location},
        hostile_case{"OutsideEveryDatadir", "@raw:file:///etc/passwd", errc::forbidden_location},
        hostile_case{"OutsideDirectly", "@outside/secret", errc::forbidden_location},
        hostile_case{"OtherStoresDir", "@other/theirs", errc::forbidden_location},
        hostile_case{"SymlinkToOutside", "/link", errc::forbidden_location},
        hostile_case{"SymlinkInside", "/inner-link", errc::forbidden_location},
        hostile_case{"SymlinkDirComponent", "/linkdir/secret", errc::forbidden_location},
        hostile_case{"Fifo", "/fifo", errc::forbidden_location},
        hostile_case{"Directory", "/adir", errc::forbidden_location},
        hostile_case{"FileAsDirectory", "/sub/img/x", errc::forbidden_location},
        hostile_case{"Missing", "/nothing", errc::not_found}),
    [](const auto& row) { return std::string(row.param.name); });

TEST(FileBackend, ReadsANestedImageBelowItsDatadir) {
    file_stores s;
    fs::create_directories(s.fast_dir / "sub");
    std::ofstream(s.fast_dir / "sub" / "img") << "nested";
    auto r = s.fast().get(s.url("/sub/img"), byte_range::all());
    ASSERT_TRUE(r);
    EXPECT_EQ(test::read_all(**r).value(), "nested");
}

TEST(FileBackend, ReadsThroughADatadirThatIsItselfASymlink) {
    // The operator chose the datadir path; only what lies below it is checked.
    test::temp_dir tmp;
    fs::create_directories(tmp.path() / "real");
    fs::create_symlink(tmp.path() / "real", tmp.path() / "images");
    std::ofstream(tmp.path() / "real" / "img") << "data";
    auto plane = test::make_plane(one_file_store((tmp.path() / "images").string()));
    auto r = plane->default_backend().get("file://" + (tmp.path() / "images" / "img").string(),
                                          byte_range::all());
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(test::read_all(**r).value(), "data");
}

}  // namespace
}  // namespace imgstore
