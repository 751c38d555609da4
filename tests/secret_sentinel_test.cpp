// The secret sentinel test of issue 2: every secret option is set to a sentinel; valid and
// invalid configs are loaded with a trace-level logger into a capturing sink, and the sentinel
// must appear in no log record, diagnostic, printed registry, store option or location output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <sstream>
#include <string>

#include "imgstore/imgstore.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

constexpr std::string_view sentinel = "SENTINEL-7f3a9c";

// Every secret option of every driver, plus the swift reference file's key.
std::string secret_conf(std::string_view swift_conf_path) {
    std::string s = R"([DEFAULT]
enabled_backends = fast:file, objects:s3, sw:swift, ref:swift, app:swift, block:cinder, vm:vmware, ceph:rbd

[glance_store]
default_backend = fast

[fast]
filesystem_store_datadir = /srv/images

[objects]
s3_store_host = https://s3.example.com
s3_store_access_key = @S@
s3_store_secret_key = @S@
s3_store_bucket = glance

[sw]
swift_store_auth_address = https://keystone.example.com/v3
swift_store_user = svc:glance
swift_store_key = @S@
swift_store_container = images

[ref]
swift_store_config_file = @SWIFTCONF@
default_swift_reference = ref1
swift_store_container = other

[app]
swift_store_auth_address = https://keystone.example.com/v3
swift_store_application_credential_id = app-id
swift_store_application_credential_secret = @S@
swift_store_container = app

[block]
cinder_store_password = @S@
cinder_store_application_credential_secret = @S@
cinder_store_user_name = glance

[vm]
vmware_server_host = vcenter.example.com
vmware_server_username = admin
vmware_server_password = @S@
vmware_datastores = dc1:ds1

[ceph]
rbd_store_fsid = c0ffee00-0000-4000-8000-000000000001
)";
    auto replace_all = [&](std::string_view from, std::string_view to) {
        for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
            s.replace(p, from.size(), to);
        }
    };
    replace_all("@S@", sentinel);
    replace_all("@SWIFTCONF@", swift_conf_path);
    return s;
}

std::string swift_conf() {
    return "[ref1]\nuser = tenant:user1\nkey = " + std::string(sentinel) +
           "\nauth_address = https://swift.example.com/v1\n"
           "[ref2]\napplication_credential_id = app-id\napplication_credential_secret = " +
           std::string(sentinel) + "\nauth_address = https://swift.example.com/v1\n";
}

class SecretSentinel : public ::testing::Test {
  protected:
    void SetUp() override {
        sink_ = std::make_shared<spdlog::sinks::ostream_sink_st>(log_);
        logger_ = std::make_shared<spdlog::logger>("sentinel", sink_);
        logger_->set_level(spdlog::level::trace);
        options_.logger = logger_;
        swift_conf_path_ = dir_.write("glance-swift.conf", swift_conf()).string();
    }

    void expect_clean(std::string_view what, std::string_view text) {
        EXPECT_EQ(text.find(sentinel), std::string_view::npos) << what << " leaks:\n" << text;
    }

    void expect_clean(const load_result& r) {
        expect_clean("diagnostics", test::join(r.diagnostics));
        logger_->flush();
        expect_clean("log", log_.str());
        if (!r.registry) return;
        expect_clean("registry text", to_string(*r.registry));
        for (const store& s : r.registry->stores()) {
            for (const auto& p : s.url_prefixes()) expect_clean("prefix", p);
            for (const auto& o : s.options()) expect_clean(o.name, o.value);
            expect_clean("reason", s.reason());
        }
    }

    test::temp_dir dir_;
    std::ostringstream log_;
    std::shared_ptr<spdlog::sinks::ostream_sink_st> sink_;
    std::shared_ptr<spdlog::logger> logger_;
    registry_options options_;
    std::string swift_conf_path_;
};

TEST_F(SecretSentinel, ValidConfigNeverShowsASecret) {
    auto path = dir_.write("glance-api.conf", secret_conf(swift_conf_path_));
    load_result r = store_registry::load({.files = {path}}, options_);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    expect_clean(r);
    // The options are there, only redacted.
    bool saw_redacted = false;
    for (const auto& o : r.registry->find("objects")->options()) {
        if (o.name == "s3_store_secret_key") saw_redacted = o.value == "***";
    }
    EXPECT_TRUE(saw_redacted);
}

TEST_F(SecretSentinel, InvalidConfigsNeverShowASecret) {
    const std::string base = secret_conf(swift_conf_path_);
    // Each variant breaks the config around a secret: a bad line, a repeated key, an unknown
    // key, a wrong type, a wrong choice, a missing reference, a broken default.
    const std::string variants[] = {
        base + "[objects]\ns3_store_secret_key " + std::string(sentinel) + "\n",
        base + "[objects]\ns3_store_secret_key = " + std::string(sentinel) + "x\n",
        base + "[vm]\nvmware_password_typo = " + std::string(sentinel) + "\n",
        base + "[sw]\nswift_store_multi_tenant = " + std::string(sentinel) + "\n",
        base + "[objects]\ns3_store_bucket_url_format = " + std::string(sentinel) + "\n",
        base + "[" + std::string(sentinel) + "\n",
        // Broken config around the secrets: ids and references are not secrets and are
        // named in messages, so these break them with ordinary values.
        base + "[ref]\ndefault_swift_reference = nosuchref\n",
        base + "[glance_store]\ndefault_backend = nosuch\n",
        base + "[DEFAULT]\nenabled_backends = broken:nosuchtype\n",
        base + "[vm]\nvmware_datastores = nocolon\n",
        base + "[app]\nswift_store_application_credential_id =\n",
        base + "[objects]\ns3_store_bucket = a/b\n",
        // A secret in a value with bad bytes, an inline '#', a continuation line.
        base + "[objects]\ns3_store_secret_key = " + std::string(sentinel) + "\xff\n",
        base + "[block]\ncinder_store_password = /" + std::string(sentinel) + " #x\n",
        base + "[vm]\nvmware_server_password = a\n    " + std::string(sentinel) + "\n",
        base + "[backend_defaults]\nvmware_server_password = " + std::string(sentinel) +
            "\nweight = heavy\n",
        // Credentials pasted as URL userinfo into options that hold URLs or hosts.
        base + "[objects]\ns3_store_host = https://AKIA:" + std::string(sentinel) +
            "@s3.example.com\n",
        base + "[sw]\nswift_store_auth_address = https://svc:" + std::string(sentinel) +
            "@keystone.example.com/v3\n",
        base + "[vm]\nvmware_server_host = admin:" + std::string(sentinel) + "@vcenter\n",
    };
    registry_options strict = options_;
    strict.strict = true;
    for (const auto& text : variants) {
        auto path = dir_.write("bad.conf", text);
        load_result r = store_registry::load({.files = {path}}, strict);
        EXPECT_FALSE(r.ok() && r.diagnostics.empty());
        expect_clean(r);
    }
}

TEST_F(SecretSentinel, LocationsAndResolutionNeverShowASecret) {
    auto path = dir_.write("glance-api.conf", secret_conf(swift_conf_path_));
    load_result r = store_registry::load({.files = {path}}, options_);
    ASSERT_TRUE(r.ok()) << test::join(r.diagnostics);
    location_resolver resolver(r.registry);
    const std::string s(sentinel);
    const std::string urls[] = {
        "s3+https://AKIA:" + s + "@s3.example.com/glance/img",
        "s3://AKIA:a/" + s + "@s3.example.com/glance/img",
        "s3://a@b:" + s + "@s3.example.com/glance/img",
        "swift+https://svc%3Aglance:" + s + "@keystone.example.com/v3/images/img",
        "https://user:" + s + "@example.com/x",
        "http://u:" + s + "@h@x/y",
        "swift://user:" + s + "@http://authurl.com/v1/container/obj",
    };
    for (const auto& url : urls) {
        std::string scratch;
        resolution res = resolver.resolve(url, scratch);
        expect_clean("canonical url", res.canonical_url);
        explanation ex = resolver.explain(url);
        expect_clean("explain canonical", ex.canonical_url);
        expect_clean("explain key", ex.match_key);
        for (const auto& c : ex.considered) expect_clean("considered", c);
        expect_clean("redact_url", redact_url(url));
        for (const store& st : r.registry->stores()) {
            auto loc = st.parse_location(url);
            if (loc) {
                expect_clean("redacted_uri", redacted_uri(*loc));
            } else {
                expect_clean("parse error", loc.error().message());
            }
        }
    }
    logger_->flush();
    expect_clean("log", log_.str());
}

}  // namespace
}  // namespace imgstore
