// The data plane as an embedder sees it: backends per store, custom factories for other store
// types, not_supported answers, settings from the config, the reader contract.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include "data_test_util.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

using data::byte_range;
using data::errc;

constexpr std::string_view every_type_data_conf = R"([DEFAULT]
enabled_backends = fast:file, web:http, ceph:rbd, objects:s3, sw:swift, block:cinder, vm:vmware
[glance_store]
default_backend = fast
[fast]
filesystem_store_datadir = {}
[ceph]
rbd_store_fsid = C0FFEE00-0000-4000-8000-000000000001
[objects]
s3_store_host = https://s3.example.com
s3_store_access_key = AKIA
s3_store_secret_key = s3-secret
s3_store_bucket = glance
[sw]
swift_store_auth_address = https://keystone.example.com/v3
swift_store_user = svc:glance
swift_store_key = swift-secret
[vm]
vmware_server_host = vcenter.example.com
vmware_server_username = admin
vmware_server_password = vm-secret
vmware_datastores = dc1:ds1:100
)";

TEST(DataPlane, AnswersNotSupportedForStoreTypesWithoutADataPlane) {
    test::temp_dir tmp;
    auto plane = test::make_plane(fmt::format(every_type_data_conf, tmp.path().string()));
    const std::map<std::string, std::string> urls{
        {"ceph", "rbd://c0ffee00-0000-4000-8000-000000000001/images/img/snap"},
        {"objects", "s3+https://s3.example.com/glance/img"},
        {"sw", "swift+https://keystone.example.com/v3/glance/img"},
        {"block", "cinder://block/0b5e6c3a-1d2f-4a5b-8c9d-0e1f2a3b4c5d"},
        {"vm", "vsphere://vcenter.example.com/folder/openstack_glance/img?dsName=ds1"}};
    for (const auto& [id, url] : urls) {
        SCOPED_TRACE(id);
        const data::backend* b = plane->find(id);
        ASSERT_NE(b, nullptr);
        EXPECT_EQ(b->config().id(), id);
        test::string_source source("data");
        EXPECT_EQ(b->get(url, byte_range::all()).error(), make_error_code(errc::not_supported));
        EXPECT_EQ(b->add("img", source, {}).error(), make_error_code(errc::not_supported));
        EXPECT_EQ(b->remove(url).error(), make_error_code(errc::not_supported));
    }
    EXPECT_EQ(plane->find("nowhere"), nullptr);
    EXPECT_EQ(plane->find("FAST"), nullptr);
    EXPECT_EQ(&plane->default_backend(), plane->find("fast"));
}

// An embedder's own store implementation: objects in memory, keyed by location URL.
class memory_backend final : public data::backend {
  public:
    explicit memory_backend(const store& s) : store_(s) {}
    const store& config() const noexcept override { return store_; }

    class memory_reader final : public data::reader {
      public:
        memory_reader(std::string data, data::extent e)
            : reader(e, 16), data_(std::move(data)), position_(e.offset) {}

      private:
        result<std::size_t> read_some(std::span<std::byte> out) override {
            std::size_t n = std::min(out.size(), data_.size() - position_);
            std::memcpy(out.data(), data_.data() + position_, n);
            position_ += n;
            return n;
        }
        std::string data_;
        std::size_t position_;
    };

    result<std::unique_ptr<data::reader>> get(std::string_view url,
                                              const byte_range& range) const override {
        auto object = object_of(url);
        if (!object) return object.error();
        std::lock_guard lock(mutex_);
        auto it = objects_.find(*object);
        if (it == objects_.end()) return make_error_code(errc::not_found);
        if (!range.is_all()) return make_error_code(errc::bad_range);
        const std::uint64_t size = it->second.size();
        return std::make_unique<memory_reader>(it->second, data::extent{0, size, size});
    }
    result<data::add_result> add(std::string_view image_id,
                                 data::source& data,
                                 const data::add_options&) const override {
        auto hasher = data::image_hasher::make("sha512");
        std::string content;
        std::array<std::byte, 3> buffer{};
        for (;;) {
            auto n = data.read(buffer);
            if (!n) return n.error();
            if (*n == 0) break;
            hasher->update(std::span(buffer).first(*n));
            content.append(reinterpret_cast<const char*>(buffer.data()), *n);
        }
        // A new location is written by the store's location class, credentials left out.
        s3_location location{.scheme = "s3+https",
                             .service_url = "s3.example.com",
                             .bucket = "glance",
                             .key = std::string(image_id)};
        auto url = store_.format_location(location);
        if (!url) return url.error();
        auto hashes = hasher->finish();
        std::lock_guard lock(mutex_);
        objects_[location.bucket + '/' + location.key] = content;
        return data::add_result{std::move(*url),      content.size(),
                                hashes.checksum,      hashes.os_hash_algo,
                                hashes.os_hash_value, std::string(store_.id())};
    }
    result<void> remove(std::string_view url) const override {
        auto object = object_of(url);
        if (!object) return object.error();
        std::lock_guard lock(mutex_);
        if (objects_.erase(*object) == 0) return make_error_code(errc::not_found);
        return {};
    }

  private:
    // An embedder's backend reads a location through the store's location class: the bucket
    // and key, whatever credentials or spelling the URL has.
    result<std::string> object_of(std::string_view url) const {
        auto parsed = store_.parse_location(url);
        if (!parsed) return make_error_code(errc::invalid_location);
        const auto& location = std::get<s3_location>(*parsed);
        return location.bucket + '/' + location.key;
    }

    const store& store_;
    mutable std::mutex mutex_;
    mutable std::map<std::string, std::string> objects_;
};

TEST(DataPlane, UsesAnEmbeddersFactoryForItsStoreType) {
    test::temp_dir tmp;
    data::backend_registry backends;
    std::vector<std::string> seen_keys;
    backends.set_factory(store_type::s3, [&](const data::backend_context& c) {
        // The factory reads the store's raw settings, credentials included.
        seen_keys.emplace_back(c.config.raw_option("s3_store_secret_key").front().reveal());
        return std::make_unique<memory_backend>(c.config);
    });
    auto plane = test::make_plane(fmt::format(every_type_data_conf, tmp.path().string()), backends);
    EXPECT_THAT(seen_keys, ::testing::ElementsAre("s3-secret"));
    const data::backend& objects = *plane->find("objects");
    test::string_source source("some image bytes");
    auto added = objects.add("img", source, {});
    ASSERT_TRUE(added);
    EXPECT_EQ(added->store_id, "objects");
    EXPECT_EQ(plane->resolver().resolve(added->location_url).owner->id(), "objects");
    EXPECT_EQ(added->location_url, "s3+https://s3.example.com/glance/img");
    auto r = objects.get(added->location_url, byte_range::all());
    ASSERT_TRUE(r);
    EXPECT_EQ(test::read_all(**r, 5).value(), "some image bytes");
    // The same object under a location that carries credentials, as older Glance wrote them.
    auto with_keys =
        objects.get("s3+https://AKIA:s3-secret@s3.example.com/glance/img", byte_range::all());
    ASSERT_TRUE(with_keys);
    EXPECT_EQ(test::read_all(**with_keys, 5).value(), "some image bytes");
    EXPECT_EQ(objects.get("s3+https://s3.example.com/glance/other", byte_range::all()).error(),
              make_error_code(errc::not_found));
    EXPECT_TRUE(objects.remove(added->location_url));
    // Other types keep their backends.
    test::string_source more("x");
    EXPECT_EQ(plane->find("sw")->add("img", more, {}).error(),
              make_error_code(errc::not_supported));
}

TEST(DataPlane, FailsAsAWholeWhenAFactoryFails) {
    test::temp_dir tmp;
    data::backend_registry backends;
    backends.set_factory(store_type::rbd, [](const data::backend_context& c) {
        c.diagnostics.push_back({severity::error, "", 0, std::string(c.config.id()),
                                 "rbd_store_pool", "cannot reach the cluster"});
        return std::unique_ptr<data::backend>();
    });
    backends.set_factory(store_type::swift, [](const data::backend_context&) {
        return std::unique_ptr<data::backend>();  // fails without saying why
    });
    auto made =
        test::try_make_plane(fmt::format(every_type_data_conf, tmp.path().string()), backends);
    EXPECT_FALSE(made.ok());
    ASSERT_EQ(made.diagnostics.size(), 2u) << test::join(made.diagnostics);
    EXPECT_EQ(made.diagnostics[0].section, "ceph");
    EXPECT_EQ(made.diagnostics[1].section, "sw");
}

TEST(DataPlane, ReadsTheHashingAlgorithmFromTheConfig) {
    config_load parsed = parse_config(R"([DEFAULT]
hashing_algorithm = sha256
)",
                                      "glance-api.conf");
    std::vector<diagnostic> diags;
    EXPECT_EQ(data::read_data_options(parsed.config, diags).hashing_algorithm, "sha256");
    EXPECT_TRUE(diags.empty());
    EXPECT_EQ(data::read_data_options(glance_config{}, diags).hashing_algorithm, "sha512");

    for (const char* bad : {"shake_128", "crc32", "", "sha-512"}) {
        config_load p = parse_config(fmt::format("[DEFAULT]\n\nhashing_algorithm = {}\n", bad),
                                     "glance-api.conf");
        std::vector<diagnostic> errors;
        (void)data::read_data_options(p.config, errors);
        ASSERT_EQ(errors.size(), 1u) << bad;
        EXPECT_THAT(to_string(errors[0]),
                    ::testing::StartsWith("glance-api.conf:3: [DEFAULT] hashing_algorithm: "));
    }
}

TEST(DataPlane, RefusesAnUnsupportedHashingAlgorithm) {
    test::temp_dir tmp;
    data::data_options options;
    options.hashing_algorithm = "whirlpool";
    auto made =
        test::try_make_plane(fmt::format(every_type_data_conf, tmp.path().string()), {}, options);
    EXPECT_FALSE(made.ok());
    EXPECT_EQ(made.diagnostics.at(0).key, "hashing_algorithm");
}

TEST(ImageHasher, AcceptsHashlibNamesCaseInsensitively) {
    for (const char* name : {"sha512", "SHA256", "sha384", "sha224", "sha1", "md5", "sha3_512",
                             "sha3_384", "sha3_256", "sha3_224", "blake2b", "blake2s"}) {
        EXPECT_TRUE(data::image_hasher::supports(name)) << name;
    }
    for (const char* name : {"", "sha-256", "SHA3-256", "shake_256", "sha512 ", "whirlpool"}) {
        EXPECT_FALSE(data::image_hasher::supports(name)) << name;
        EXPECT_EQ(data::image_hasher::make(name).error(), make_error_code(errc::not_supported));
    }
}

TEST(DataPlane, ReadersOutliveThePlaneThatMadeThem) {
    test::temp_dir tmp;
    std::ofstream(tmp.path() / "img", std::ios::binary) << "still here";
    auto plane = test::make_plane(fmt::format(every_type_data_conf, tmp.path().string()));
    auto r =
        plane->default_backend().get("file://" + (tmp.path() / "img").string(), byte_range::all());
    ASSERT_TRUE(r);
    plane.reset();  // a reload replaced it
    EXPECT_EQ(test::read_all(**r).value(), "still here");
}

// The reader contract holds for every backend, an embedder's too.
class lying_reader final : public data::reader {
  public:
    lying_reader(data::extent e, std::size_t available) : reader(e, 4), available_(available) {}
    std::size_t largest_request = 0;

  private:
    result<std::size_t> read_some(std::span<std::byte> out) override {
        largest_request = std::max(largest_request, out.size());
        std::size_t n = std::min(out.size(), available_);
        std::memset(out.data(), 'x', n);
        available_ -= n;
        return n;
    }
    std::size_t available_;
};

TEST(DataReader, NeverYieldsMoreThanItsExtentAndReportsAnEarlyEnd) {
    lying_reader longer({0, 10, 10}, 1000);
    auto all = test::read_all(longer, 64);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 10u);
    EXPECT_EQ(longer.largest_request, 10u);

    lying_reader shorter({0, 10, 10}, 6);
    auto cut = test::read_all(shorter, 4);
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error(), make_error_code(errc::truncated));
    std::array<std::byte, 4> buffer{};
    EXPECT_FALSE(shorter.read(buffer));  // unusable after an error
}

TEST(DataErrors, HaveTheirOwnCategoryAndNameEveryCode) {
    EXPECT_STREQ(data::error_category().name(), "imgstore.data");
    for (int code = static_cast<int>(errc::not_supported);
         code <= static_cast<int>(errc::tls_failed); ++code) {
        auto ec = make_error_code(static_cast<errc>(code));
        EXPECT_THAT(ec.message(), ::testing::Not(::testing::HasSubstr("unknown"))) << code;
    }
    EXPECT_NE(make_error_code(errc::not_supported), make_error_code(imgstore::errc::bad_uri));
}

}  // namespace
}  // namespace imgstore
