// The secret sentinel test of issues 2 and 15: every secret option is set to a sentinel; valid
// and invalid configs, and every class of typo around a secret, are loaded with a trace-level
// logger into a capturing sink, and the sentinel must appear in no log record, diagnostic
// (check text and its fields), warning, printed registry (stores text), store field or option
// (stores json) or location output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <cctype>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "detail/store_options.hpp"
#include "drivers/driver.hpp"
#include "imgstore/imgstore.hpp"
#include "test_util.hpp"

namespace imgstore {
namespace {

constexpr std::string_view sentinel = "SENTINEL-7f3a9c";

// Every secret option of every driver, plus the swift reference file's key.
std::string secret_conf(std::string_view swift_conf_path) {
    std::string s = R"([DEFAULT]
enabled_backends = fast:file, objects:s3, sw:swift, ref:swift, app:swift, block:cinder, vm:vmware, ceph:rbd, web:http

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

[web]
https_insecure = false
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

    // Every output path of a load: check text and each diagnostic field, warnings, the log,
    // stores text, and every store field the json output prints.
    void expect_clean(const load_result& r) {
        expect_clean("diagnostics", test::join(r.diagnostics));
        for (const diagnostic& d : r.diagnostics) {
            expect_clean("diagnostic file", d.file);
            expect_clean("diagnostic section", d.section);
            expect_clean("diagnostic key", d.key);
            expect_clean("diagnostic message", d.message);
        }
        logger_->flush();
        expect_clean("log", log_.str());
        if (!r.registry) return;
        expect_clean("warnings",
                     test::join({r.registry->warnings().begin(), r.registry->warnings().end()}));
        expect_clean("registry text", to_string(*r.registry));
        for (const store& s : r.registry->stores()) {
            expect_clean("id", s.id());
            for (const auto& p : s.url_prefixes()) expect_clean("prefix", p);
            for (const auto& o : s.options()) expect_clean(o.name, o.value);
            expect_clean("reason", s.reason());
            expect_clean("description", s.description());
            expect_clean("volume type", s.volume_type());
            for (const auto& d : s.datastores()) expect_clean("datastore", d);
        }
    }

    // Loads `api_text` (and `swift_text` as the reference file, when given), plain and strict,
    // and checks every output.
    void load_and_check(std::string_view what,
                        const std::string& api_text,
                        const std::string& swift_text = {}) {
        SCOPED_TRACE(what);
        if (!swift_text.empty()) dir_.write("glance-swift.conf", swift_text);
        auto path = dir_.write("variant.conf", api_text);
        for (bool strict : {false, true}) {
            registry_options o = options_;
            o.strict = strict;
            expect_clean(store_registry::load({.files = {path}}, o));
        }
        if (!swift_text.empty()) dir_.write("glance-swift.conf", swift_conf());
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

TEST_F(SecretSentinel, AUrlGivenAsAConfigPathIsNamedWithoutItsUserinfo) {
    // A URL pasted where a path belongs: missing file, missing directory, both forms of key.
    const std::string s(sentinel);
    const std::string urls[] = {"s3://AK:" + s + "@s3.example.com/glance/x",
                                "swift://tenant:user:" + s + "/with/slash@keystone/v3/c/x",
                                "https://u:" + s + "@example.com/glance-api.conf"};
    for (const auto& url : urls) {
        expect_clean(store_registry::load({.files = {url}}, options_));
        expect_clean(store_registry::load({.directory = url}, options_));
    }
}

TEST(SecretOptions, AreExactlyGlanceStoresSecretOptionsAndEachIsDeclared) {
    EXPECT_THAT(detail::secret_options(),
                ::testing::UnorderedElementsAre(
                    "s3_store_access_key", "s3_store_secret_key", "swift_store_user",
                    "swift_store_key", "swift_store_application_credential_id",
                    "swift_store_application_credential_secret", "cinder_store_password",
                    "cinder_store_application_credential_secret", "vmware_server_password"));
    for (std::string_view name : detail::secret_options()) {
        bool declared = false;
        for (store_type t : all_store_types()) {
            for (const auto& spec : detail::all_options(detail::driver_for(t))) {
                declared |= spec.name == name;
            }
        }
        EXPECT_TRUE(declared) << name;
    }
    EXPECT_THAT(detail::secret_reference_keys(),
                ::testing::UnorderedElementsAre("user", "key", "application_credential_id",
                                                "application_credential_secret"));
}

// The store section of the base config that holds options of `type`.
std::string section_for(store_type type) {
    switch (type) {
        case store_type::s3:
            return "objects";
        case store_type::swift:
            return "sw";
        case store_type::cinder:
            return "block";
        case store_type::vmware:
            return "vm";
        case store_type::http:
            return "web";
        case store_type::rbd:
            return "ceph";
        case store_type::file:
            return "fast";
    }
    return "fast";
}

std::optional<store_type> declaring_type(std::string_view option) {
    for (store_type t : all_store_types()) {
        for (const auto& spec : detail::driver_for(t).options) {
            if (spec.name == option) return t;
        }
    }
    return std::nullopt;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

TEST_F(SecretSentinel, EverySecretOptionIsShownRedactedOnEveryOutput) {
    const std::string base = secret_conf(swift_conf_path_);
    const std::string s(sentinel);
    for (std::string_view name : detail::secret_options()) {
        const auto type = declaring_type(name);
        ASSERT_TRUE(type) << name;
        // The swift store with application credentials holds both of them.
        const std::string section =
            name.starts_with("swift_store_application") ? "app" : section_for(*type);
        const std::string text =
            base + "[" + section + "]\n" + std::string(name) + " = " + s + "\n";
        auto path = dir_.write("one.conf", text);
        load_result r = store_registry::load({.files = {path}}, options_);
        ASSERT_TRUE(r.ok()) << name << "\n" << test::join(r.diagnostics);
        expect_clean(r);
        bool shown_redacted = false;
        for (const auto& o : r.registry->find(section)->options()) {
            if (o.name == name) shown_redacted = o.value == "***";
        }
        EXPECT_TRUE(shown_redacted) << name;
    }
}

TEST_F(SecretSentinel, NoTypoAroundASecretOptionShowsTheSecret) {
    const std::string base = secret_conf(swift_conf_path_);
    const std::string s(sentinel);
    // Each class of typo: a line without '=' (read whole as a key up to a ':', or not at all),
    // wrong case, trailing garbage glued to the name, a blank or tab instead of '=', and a '$'
    // that oslo.config would substitute.
    const std::vector<std::string> typos{
        "@N@ @S@:x",
        "@N@ @S@=x",
        "@N@ @S@",
        "@N@\t@S@:x",
        "@U@ = @S@",
        "@U@ @S@:x",
        "@N@@S@ = x",
        "@N@.@S@ = x",
        "@N@-@S@:x",
        "@N@_ = @S@",
        "@N@ = @S@ trailing",
        "@N@ =@S@\n    @S@",
        // `$` substitution in a secret: an unknown name, a braced one, a cycle.
        "@N@ = x$@S@",
        "@N@ = ${@S@}",
        "@N@ = $@N@@S@",
        "@N@ = $@N@",
    };
    auto fill = [&](std::string t, std::string_view name) {
        for (auto [from, to] : {std::pair<std::string_view, std::string>{"@N@", std::string(name)},
                                {"@U@", upper(name)},
                                {"@S@", s}}) {
            for (auto p = t.find(from); p != std::string::npos; p = t.find(from, p + to.size())) {
                t.replace(p, from.size(), to);
            }
        }
        return t;
    };
    for (std::string_view name : detail::secret_options()) {
        const auto type = declaring_type(name);
        ASSERT_TRUE(type) << name;
        for (const std::string& typo : typos) {
            const std::string line = fill(typo, name) + "\n";
            // In the store's own section, in another store's section, in [backend_defaults],
            // in [DEFAULT] and before any section header.
            load_and_check(line, base + "[" + section_for(*type) + "]\n" + line);
            load_and_check(line, base + "[fast]\n" + line);
            load_and_check(line, base + "[backend_defaults]\n" + line);
            load_and_check(line, base + "[DEFAULT]\n" + line);
            load_and_check(line, line + base);
        }
    }
    // The swift reference file's credentials, with the same typos.
    for (std::string_view name : detail::secret_reference_keys()) {
        for (const std::string& typo : typos) {
            const std::string line = fill(typo, name) + "\n";
            load_and_check(line, base, swift_conf() + "[ref1]\n" + line);
            load_and_check(line, base, line + swift_conf());
        }
    }
}

TEST_F(SecretSentinel, UrlValuedOptionsAreShownWithoutTheirUserinfo) {
    const std::string base = secret_conf(swift_conf_path_);
    const std::string s(sentinel);
    // Credentials pasted into a URL, with the characters a secret may hold: '/', ':', '@'.
    const std::vector<std::string> urls{
        "https://admin:@S@@host.example.com/v3", "http://admin:a/@S@@host.example.com:5000/v3",
        "https://admin:a@b@S@@host.example.com", "admin:@S@@host.example.com",
        "https://@S@@host.example.com/x@y",      "HTTPS://admin:@S@@host.example.com",
    };
    std::vector<std::string_view> url_options;
    for (store_type t : all_store_types()) {
        for (const auto& spec : detail::driver_for(t).options) {
            if (spec.url) url_options.push_back(spec.name);
        }
    }
    EXPECT_THAT(url_options, ::testing::UnorderedElementsAre(
                                 "cinder_store_auth_address", "cinder_endpoint_template",
                                 "http_proxy_information", "swift_store_auth_address",
                                 "swift_store_endpoint", "s3_store_host", "vmware_server_host"));
    for (std::string_view name : url_options) {
        const auto type = declaring_type(name);
        ASSERT_TRUE(type) << name;
        for (std::string url : urls) {
            url.replace(url.find("@S@"), 3, s);
            const std::string value =
                name == "http_proxy_information" ? "http:" + url + ", https:" + url : url;
            const std::string line = std::string(name) + " = " + value + "\n";
            load_and_check(line, base + "[" + section_for(*type) + "]\n" + line);
            load_and_check(line, base + "[backend_defaults]\n" + line);
        }
    }
    // The reference file's auth_address too.
    for (std::string url : urls) {
        url.replace(url.find("@S@"), 3, s);
        load_and_check(url, base, swift_conf() + "[ref1]\nauth_address = " + url + "\n");
    }
}

TEST(SecretOptions, UrlRedactionKeepsEverythingButTheUserinfo) {
    using detail::option_kind;
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"http://controller:5000/v3", "http://controller:5000/v3"},
        {"https://u:p@controller:5000/v3", "https://***@controller:5000/v3"},
        {"https://u:a/b@c@controller/v3", "https://***@controller/v3"},
        {"u:p@vcenter.example.com", "***@vcenter.example.com"},
        {"vcenter.example.com", "vcenter.example.com"},
        {"", ""},
    };
    for (auto [in, out] : cases) {
        EXPECT_EQ(detail::redact_option_url(in, option_kind::string), out) << in;
    }
    EXPECT_EQ(detail::redact_option_url("http:http://u:p@proxy:3128, https:https://proxy:3129",
                                        option_kind::dict),
              "http:http://***@proxy:3128, https:https://proxy:3129");
}

TEST(SecretOptions, PrintableKeyIsBoundedAndStopsBeforeAnythingValueLike) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"no_such_option", "no_such_option"},
        {"cinder_store_password SECRET", "cinder_store_password..."},
        {"CINDER_STORE_PASSWORDSECRET", "CINDER_STORE_PASSWORD..."},
        {"vmware_server_password.SECRET", "vmware_server_password..."},
        {"keySECRET", "key..."},
        {"weight\tSECRET", "weight..."},
        {"", ""},
    };
    for (auto [in, out] : cases) EXPECT_EQ(detail::printable_key(in), out) << in;
    EXPECT_EQ(detail::printable_key(std::string(100, 'a')), std::string(64, 'a') + "...");
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
