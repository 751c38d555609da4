// CLI tests (issue 4): the built `imgstore` tool run as a child process from the repository root.
// Every subcommand and exit status (0, 1, 2, 3), golden outputs for the example config, the
// malformed-line pass-through of `stamp`, a secret sentinel over every subcommand's stdout and
// stderr, and independence from the order of enabled_backends.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cli_runner.hpp"

namespace imgstore::cli_test {
namespace {

const fs::path golden_dir = fs::path(IMGSTORE_CLI_TEST_DIR) / "golden";
constexpr std::string_view sentinel = "SENTINEL-5ec7e7";

const args example_stamp{"--volume-types", "examples/volume-types.tsv", "--input",
                         "examples/images.jsonl"};

void expect_golden(const std::string& name, const std::string& actual) {
    const fs::path p = golden_dir / name;
    if (std::getenv("IMGSTORE_UPDATE_GOLDEN") != nullptr) {
        write_file(p, actual);
        return;
    }
    ASSERT_TRUE(fs::exists(p)) << p << " is missing: run with IMGSTORE_UPDATE_GOLDEN=1";
    EXPECT_EQ(read_file(p), actual)
        << "output differs from " << p
        << " (after a deliberate change: rerun with IMGSTORE_UPDATE_GOLDEN=1)";
}

// A config with two stores, in the given enabled_backends order.
std::string small_config(std::string_view extra = {}) {
    return "[DEFAULT]\nenabled_backends = fast:file, web:http\n\n[glance_store]\n"
           "default_backend = fast\n\n[web]\n\n[fast]\nfilesystem_store_datadir = /srv/images\n" +
           std::string(extra);
}

// ---- check ----------------------------------------------------------------------------------

TEST(Cli, CheckAcceptsTheExampleConfig) {
    const auto r = tool(cat({"check"}, example_config));
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "configuration valid: 11 stores (2 reserved, 0 unresolvable)"))
        << r.out;
    expect_golden("check.txt", r.out);
}

TEST(Cli, CheckPrintsEveryProblemWithFileLineSectionAndKey) {
    scratch_dir d;
    const std::string conf = d.write("bad.conf",
                                     "[DEFAULT]\n"
                                     "enabled_backends = fast:file, slow:floppy\n"
                                     "[glance_store]\n"
                                     "default_backend = nowhere\n"
                                     "[fast]\n"
                                     "filesystem_store_datadir = /srv/images\n"
                                     "no_such_option = 1\n");
    const auto r = tool({"check", "--config-file", conf});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.out, conf + ":2: [DEFAULT] enabled_backends: ")) << r.out;
    EXPECT_TRUE(contains(r.out, "unknown type 'floppy'")) << r.out;
    EXPECT_TRUE(contains(r.out, conf + ":4: [glance_store] default_backend: ")) << r.out;
    EXPECT_TRUE(contains(r.out, "warning: " + conf + ":7: [fast] no_such_option: ")) << r.out;
    const auto lines = lines_of(r.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back(), "imgstore check: configuration invalid: 2 errors, 1 warning");
}

TEST(Cli, CheckPrintsNoControlByteAndQuotesEveryValueBounded) {
    // Each class of bytes a terminal acts on (ESC, BEL, DEL, the C1 CSI as UTF-8) and a 10 KB
    // value, where a value reaches check's output: enabled_backends' id and type,
    // default_backend, a section name, and a --config-dir file name. (CR, LF and invalid UTF-8
    // cannot get into a value through a file: the library's tests give them in code.)
    std::string big;
    while (big.size() < 10240) big += "\x1b[2J\xC2\x9Bx";
    const std::string values[] = {"a\x1b[2Jb", "a\x07z", "a\x7fz",
                                  "a\xC2\x9B"
                                  "31mz",
                                  big};
    for (const std::string& v : values) {
        scratch_dir d;
        const std::string conf =
            d.write("e.conf", "[DEFAULT]\nenabled_backends = a:fi" + v + "le, " + v +
                                  ":file, b:file\n[glance_store]\ndefault_backend = " + v +
                                  "\n[b]\n[" + v + "]\nk = 1\nk = 2\n");
        d.write("conf.d/x" + v.substr(0, 200) + ".conf", "[other]\nk = 1\nk = 2\n");
        const auto r =
            tool({"check", "--config-file", conf, "--config-dir", (d / "conf.d").string()});
        EXPECT_EQ(r.status, 1) << r.out << r.err;
        EXPECT_EQ(test::terminal_control_at(r.out), std::string::npos) << r.out;
        EXPECT_EQ(test::terminal_control_at(r.err), std::string::npos) << r.err;
        const auto lines = lines_of(r.out);
        // unknown type, bad id, default_backend, the repeated key in [v] and in the file in
        // conf.d, the summary
        EXPECT_EQ(lines.size(), 6u) << r.out;
        EXPECT_TRUE(contains(r.out, "unknown type 'fi")) << r.out;
        EXPECT_TRUE(contains(r.out, "\\x")) << r.out;  // the bytes are there, escaped
        for (const auto& line : lines) EXPECT_LE(line.size(), 1024u) << line;
    }
}

TEST(Cli, CheckRefusesWhatConfigparserRefusesInTheSwiftReferenceFile) {
    scratch_dir d;
    const std::string conf = d.write("glance-api.conf",
                                     "[DEFAULT]\nenabled_backends = s:swift\n[glance_store]\n"
                                     "default_backend = s\n[s]\n"
                                     "swift_store_config_file = glance-swift.conf\n");
    const std::string swift = d.write("glance-swift.conf",
                                      "[ref1]\nuser = u\nkey = k\nauth_address = h\n[ref1]\n"
                                      "key = k2\n");
    const auto r = tool({"check", "--config-file", conf});
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, swift + ":5: [ref1]: section repeats line 1")) << r.out;
    EXPECT_TRUE(contains(r.out, swift + ":6: [ref1] key: repeats the key of line 3")) << r.out;
    EXPECT_FALSE(contains(r.out, "k2")) << r.out;
}

TEST(Cli, CheckStrictTurnsUnknownKeysIntoErrors) {
    scratch_dir d;
    const std::string conf = d.write("glance.conf", small_config("fast_typo_option = 1\n"));
    const auto lenient = tool({"check", "--config-file", conf});
    EXPECT_EQ(lenient.status, 0) << lenient.out;
    EXPECT_TRUE(contains(lenient.out, "[fast] fast_typo_option: ")) << lenient.out;
    EXPECT_TRUE(contains(lenient.out, "configuration valid: 4 stores")) << lenient.out;
    const auto strict = tool({"check", "--strict", "--config-file", conf});
    EXPECT_EQ(strict.status, 1) << strict.out;
    EXPECT_TRUE(contains(strict.out, "configuration invalid: 1 error")) << strict.out;
}

TEST(Cli, CheckReadsConfigDirAfterFilesAndLaterFilesOverride) {
    scratch_dir d;
    const std::string base = d.write("base.conf", small_config());
    fs::create_directories(d / "conf.d");
    d.write("conf.d/10-default.conf", "[glance_store]\ndefault_backend = web\n");
    const auto r = tool({"check", "--config-file", base, "--config-dir", (d / "conf.d").string()});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "default 'web'")) << r.out;
    const std::string override_file =
        d.write("override.conf", "[glance_store]\ndefault_backend = fast\n");
    const auto r2 = tool({"check", "--config-file", base, "--config-file", override_file});
    EXPECT_TRUE(contains(r2.out, "default 'fast'")) << r2.out;
}

TEST(Cli, MissingConfigFileIsAConfigurationError) {
    const auto r = tool({"check", "--config-file", "/nonexistent/glance-api.conf"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.out, "/nonexistent/glance-api.conf")) << r.out;
}

TEST(Cli, InvalidConfigExitsOneForEverySubcommand) {
    scratch_dir d;
    const std::string conf = d.write("bad.conf", "[DEFAULT]\nenabled_backends = fast:floppy\n");
    const std::string input = d.write("in.jsonl", "{\"id\": \"x\", \"locations\": []}\n");
    for (const args& a : {args{"stores"}, args{"stores", "--format", "json"},
                          args{"resolve", "file:///x"}, args{"stamp", "--input", input}}) {
        const auto r = tool(cat(a, {"--config-file", conf}));
        EXPECT_EQ(r.status, 1) << a[0];
        EXPECT_TRUE(r.out.empty()) << a[0] << ": " << r.out;
        EXPECT_TRUE(contains(r.err, "unknown type 'floppy'")) << a[0] << ": " << r.err;
    }
}

// ---- usage ----------------------------------------------------------------------------------

TEST(Cli, UsageErrorsExitTwo) {
    scratch_dir d;
    const std::string input = d.write("in.jsonl", "{}\n");
    const std::vector<args> cases{
        {},
        {"frobnicate"},
        {"check", "--no-such-flag"},
        {"stores", "--format", "xml"},
        {"stores", "--config-file"},
        {"stamp", "unexpected-positional"},
        cat({"stamp", "--input", input, "--output", input}, example_config),
    };
    for (const args& a : cases) {
        const auto r = tool(a);
        EXPECT_EQ(r.status, 2) << (a.empty() ? "(no args)" : a[0]) << " " << r.err;
        EXPECT_FALSE(r.err.empty());
        EXPECT_TRUE(r.out.empty());
    }
    EXPECT_EQ(read_file(input), "{}\n");  // --output == --input was refused before writing
}

TEST(Cli, HelpExitsZeroAndListsTheCommonOptions) {
    const auto top = tool({"--help"});
    EXPECT_EQ(top.status, 0);
    for (const char* sub : {"check", "stores", "resolve", "stamp"}) {
        EXPECT_TRUE(contains(top.out, sub)) << top.out;
        const auto r = tool({sub, "--help"});
        EXPECT_EQ(r.status, 0) << sub;
        EXPECT_TRUE(contains(r.out, "--config-file")) << r.out;
        EXPECT_TRUE(contains(r.out, "--config-dir")) << r.out;
        EXPECT_TRUE(contains(r.out, "--strict")) << r.out;
    }
}

// ---- stores ---------------------------------------------------------------------------------

TEST(Cli, StoresJsonMatchesGolden) {
    const auto r = tool(cat({"stores", "--format", "json"}, example_config));
    EXPECT_EQ(r.status, 0) << r.err;
    const auto v = boost::json::parse(r.out);
    const auto& fast = v.at("fast").as_object();
    EXPECT_EQ(fast.at("store_entry"), "file");
    EXPECT_EQ(fast.at("default"), true);
    for (const char* key : {"store_entry", "schemes", "url_prefixes", "location_class", "default",
                            "reserved", "description", "weight", "status", "reason"}) {
        EXPECT_TRUE(fast.contains(key)) << key;
    }
    EXPECT_EQ(v.at("os_glance_staging_store").at("reserved"), true);
    expect_golden("stores.json", r.out);
}

TEST(Cli, StoresTextMatchesGolden) {
    const auto r = tool(cat({"stores"}, example_config));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "s3_store_secret_key = ***")) << r.out;
    expect_golden("stores.txt", r.out);
}

// ---- resolve --------------------------------------------------------------------------------

TEST(Cli, ResolveMatchesGoldenInInputOrder) {
    const std::string urls = read_file(fs::path(IMGSTORE_CLI_TEST_DIR) / "urls.txt");
    const auto r = tool(cat({"resolve"}, example_config), urls);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto out = lines_of(r.out);
    EXPECT_EQ(out.size(), lines_of(urls).size());
    for (const auto& line : out) {
        const auto v = boost::json::parse(line).as_object();
        const auto result = v.at("result").as_string();
        EXPECT_TRUE(result == "matched" || result == "no_store" || result == "invalid") << line;
    }
    expect_golden("resolve.jsonl", r.out);
    const auto explained = tool(cat({"resolve", "--explain"}, example_config), urls);
    EXPECT_EQ(explained.status, 0);
    EXPECT_EQ(lines_of(explained.out).size(), out.size());
    expect_golden("resolve-explain.jsonl", explained.out);
}

TEST(Cli, ResolveArgumentsGiveTheSameAnswersAsStdin) {
    const args urls{"FILE:///var/lib/glance/images2/x", "gopher://h/x", "file:///a/../b",
                    "s3://AK:SK@s3.example.com/glance/x"};
    std::string input;
    for (const auto& u : urls) input += u + "\n";
    const auto from_args = tool(cat(cat({"resolve"}, example_config), urls));
    const auto from_stdin = tool(cat({"resolve"}, example_config), input);
    EXPECT_EQ(from_args.status, 0);
    EXPECT_EQ(from_args.out, from_stdin.out);
    EXPECT_EQ(lines_of(from_args.out).at(0),
              R"({"result":"matched","store":"archive","url":"file:///var/lib/glance/images2/x"})");
    EXPECT_EQ(lines_of(from_args.out).at(1), R"({"result":"no_store","reason":"unknown_scheme"})");
    EXPECT_EQ(lines_of(from_args.out).at(2), R"({"result":"invalid","reason":"dot_segment"})");
    EXPECT_EQ(lines_of(from_args.out).at(3),
              R"({"result":"matched","store":"objects","url":"s3://s3.example.com/glance/x"})");
}

TEST(Cli, ResolveHandlesCrlfBlankAndUnterminatedAndOverlongLines) {
    const std::string huge(3u << 20, 'a');  // longer than the line buffer: answered too_long
    const std::string input = "file:///var/lib/glance/images/a\r\n\nfile:///" + huge +
                              "\nfile:///var/lib/glance/images/b";
    const auto r = tool(cat({"resolve"}, example_config), input);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto out = lines_of(r.out);
    ASSERT_EQ(out.size(), 4u) << r.out.substr(0, 1000);
    EXPECT_EQ(out[0],
              R"({"result":"matched","store":"fast","url":"file:///var/lib/glance/images/a"})");
    EXPECT_TRUE(contains(out[1], R"("result":"invalid")")) << out[1];
    EXPECT_EQ(out[2], R"({"result":"invalid","reason":"too_long"})");
    EXPECT_EQ(out[3],
              R"({"result":"matched","store":"fast","url":"file:///var/lib/glance/images/b"})");
}

TEST(Cli, ResolveNeverEchoesAnInvalidUrl) {
    const auto r = tool(cat({"resolve", "--explain"}, example_config),
                        "file:///var/lib/glance/images/has space/ECHO-ME\n"
                        "file:///var/lib/glance/images/ECHO-ME/../x\n");
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(lines_of(r.out).size(), 2u);
    EXPECT_FALSE(contains(r.out, "ECHO-ME")) << r.out;
}

// ---- stamp ----------------------------------------------------------------------------------

TEST(Cli, StampOfTheExampleMatchesGolden) {
    scratch_dir d;
    const std::string report = (d / "report.json").string();
    const auto r = tool(cat(cat({"stamp", "--report", report}, example_config), example_stamp));
    EXPECT_EQ(r.status, 3) << "the example holds malformed lines on purpose\n" << r.err;
    expect_golden("stamp.jsonl", r.out);
    expect_golden("stamp.stderr", r.err);
    expect_golden("stamp-report.json", read_file(report));
    const auto v = boost::json::parse(read_file(report));
    EXPECT_EQ(v.at("malformed_lines"), 3);
    EXPECT_EQ(v.at("rewritten"), 1);
}

TEST(Cli, StampKeepsUnchangedRecordsByteForByteAndStampsTheRest) {
    const auto r = tool(cat(cat({"stamp"}, example_config), example_stamp));
    const auto in = lines_of(read_file(source_dir / "examples/images.jsonl"));
    const auto out = lines_of(r.out);
    ASSERT_EQ(in.size(), out.size());
    std::size_t changed = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == out[i]) continue;
        ++changed;
        // Changed records differ only by the edits: every store is now set.
        const auto v = boost::json::parse(out[i]);
        EXPECT_EQ(v.at("id"), boost::json::parse(in[i]).at("id"));
        EXPECT_TRUE(contains(out[i], "\"store\": \"")) << out[i];
    }
    EXPECT_GE(changed, 20u);
    EXPECT_LT(changed, in.size());
}

TEST(Cli, StampIsIdempotent) {
    scratch_dir d;
    const std::string once = (d / "once.jsonl").string();
    const std::string twice = (d / "twice.jsonl").string();
    const std::string report = (d / "report.json").string();
    tool(cat(cat({"stamp", "--output", once}, example_config), example_stamp));
    const auto r = tool(cat({"stamp", "--input", once, "--output", twice, "--report", report,
                             "--volume-types", "examples/volume-types.tsv"},
                            example_config));
    EXPECT_EQ(r.status, 3);  // the malformed lines are still there
    EXPECT_EQ(read_file(once), read_file(twice));
    EXPECT_EQ(boost::json::parse(read_file(report)).at("stamped"), 0);
}

TEST(Cli, StampCopiesMalformedLinesThroughAndReportsTheirLineNumbers) {
    const std::string good =
        R"({"id": "a", "locations": [{"url": "file:///srv/glance/images/a", "metadata": {}}]})";
    const std::vector<std::string> bad{
        R"({"id": "b", "locations": [{"url": "file:///srv/glance/images/SECRET-CONTENT")",
        R"("just a string SECRET-CONTENT")",
        R"({"id": "c", "locations": "SECRET-CONTENT"})",
        R"({"id": "d", "locations": [42]})",
        R"({"id": "e", "locations": [{"metadata": {}, "path": "SECRET-CONTENT"}]})",
        R"({"id": "f", "locations": [{"url": "file:///x", "metadata": ["SECRET-CONTENT"]}]})",
        R"({"id": "g", "locations": [{"url": "file:///x", "metadata": {"store": 7}}]})",
        "\x80\xff SECRET-CONTENT",
    };
    std::string input = good + "\n";
    for (const auto& b : bad) input += b + "\n" + good + "\n";
    const auto r = tool(cat({"stamp"}, example_config), input);
    EXPECT_EQ(r.status, 3);
    const auto out = lines_of(r.out);
    ASSERT_EQ(out.size(), 1 + 2 * bad.size());
    const std::string stamped =
        R"({"id": "a", "locations": [{"url": "file:///srv/glance/images/a", "metadata": {"store": "fast"}}]})";
    EXPECT_EQ(out[0], stamped);
    for (std::size_t i = 0; i < bad.size(); ++i) {
        EXPECT_EQ(out[1 + 2 * i], bad[i]);
        EXPECT_EQ(out[2 + 2 * i], stamped);
        EXPECT_TRUE(contains(r.err, "line " + std::to_string(2 + 2 * i) + ": malformed record"))
            << r.err;
    }
    EXPECT_FALSE(contains(r.err, "SECRET-CONTENT")) << r.err;
    EXPECT_TRUE(contains(r.err, std::to_string(bad.size()) + " malformed lines")) << r.err;
}

TEST(Cli, StampCopiesAnOverlongRecordThrough) {
    const std::string big = R"({"id": "big", "blob": ")" + std::string(9u << 20, 'x') + "\"}";
    const std::string good =
        R"({"id": "a", "locations": [{"url": "file:///srv/glance/images/a"}]})";
    const std::string input = big + "\n" + good + "\n";
    const auto r = tool(cat({"stamp"}, example_config), input);
    EXPECT_EQ(r.status, 3);
    EXPECT_TRUE(contains(r.err, "line 1: malformed record (longer than 8 MiB)")) << r.err;
    const auto out = lines_of(r.out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0], big);
    EXPECT_EQ(
        out[1],
        R"({"id": "a", "locations": [{"url": "file:///srv/glance/images/a", "metadata": {"store": "fast"}}]})");
}

TEST(Cli, StampWithWellFormedInputExitsZeroAndKeepsTheFileShape) {
    // Compact style, CRLF, a blank line, a record without locations, no final newline.
    const std::string input =
        "{\"id\":\"a\",\"locations\":[{\"url\":\"rbd://5c3b2a3e-8d4f-4c1a-9e2b-1f0a7d6c5b4a/images/"
        "a/s\"}]}\r\n"
        "\n"
        "{\"id\":\"q\",\"status\":\"queued\"}\n"
        "{\"id\":\"b\",\"locations\":[{\"url\":\"file:///srv/glance/images/"
        "b\",\"metadata\":{\"k\":1.50}}]}";
    const auto r = tool(cat({"stamp"}, example_config), input);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              "{\"id\":\"a\",\"locations\":[{\"url\":\"rbd://5c3b2a3e-8d4f-4c1a-9e2b-1f0a7d6c5b4a/"
              "images/a/s\",\"metadata\":{\"store\":\"ceph-a\"}}]}\r\n"
              "\n"
              "{\"id\":\"q\",\"status\":\"queued\"}\n"
              "{\"id\":\"b\",\"locations\":[{\"url\":\"file:///srv/glance/images/b\",\"metadata\":"
              "{\"store\":\"fast\",\"k\":1.50}}]}");
    EXPECT_TRUE(contains(r.err, "3 images, 2 locations: 2 stamped")) << r.err;
}

TEST(Cli, StampReplacesAStaleStoreAndRewritesLegacyCinder) {
    const std::string input =
        R"({"id": "a", "locations": [{"url": "file:///srv/glance/images/a", "metadata": {"store": "gone", "x": 1}}]})"
        "\n"
        R"({"id": "b", "locations": [{"url": "cinder://0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e"}]})"
        "\n";
    const auto r =
        tool(cat({"stamp", "--volume-types", "examples/volume-types.tsv"}, example_config), input);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto out = lines_of(r.out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(
        out[0],
        R"({"id": "a", "locations": [{"url": "file:///srv/glance/images/a", "metadata": {"store": "fast", "x": 1}}]})");
    const auto b = boost::json::parse(out[1]);
    EXPECT_EQ(b.at("locations").at(0).at("metadata").at("store"), "volumes");
    EXPECT_TRUE(contains(b.at("locations").at(0).at("url").as_string(), "cinder://volumes/"))
        << out[1];
    EXPECT_TRUE(contains(r.err, "(1 rewritten)")) << r.err;
}

TEST(Cli, StampInputAndOutputErrorsExitThree) {
    scratch_dir d;
    const std::string tsv =
        d.write("types.tsv", "0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e glance-ssd\n");
    const std::string input = d.write("in.jsonl", "{\"id\": \"a\"}\n");
    const std::vector<args> cases{
        {"stamp", "--input", "/nonexistent/images.jsonl"},
        {"stamp", "--input", input, "--volume-types", "/nonexistent/types.tsv"},
        {"stamp", "--input", input, "--volume-types", tsv},  // no tab
        {"stamp", "--input", input, "--output", "/nonexistent/dir/out.jsonl"},
        {"stamp", "--input", input, "--report", "/nonexistent/dir/report.json"},
    };
    for (const args& a : cases) {
        const auto r = tool(cat(a, example_config));
        EXPECT_EQ(r.status, 3) << a.back() << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "imgstore stamp: ")) << r.err;
    }
}

// ---- secrets --------------------------------------------------------------------------------

// Every secret option of every store type is the sentinel, and so are the unrelated passwords.
std::string sentinel_config(const std::string& swift_conf) {
    std::string s = R"([DEFAULT]
enabled_backends = fast:file, objects:s3, inline:swift, ref:swift, block:cinder, vm:vmware, ceph:rbd, web:http
transport_url = rabbit://openstack:@S@@controller

[database]
connection = mysql+pymysql://glance:@S@@controller/glance

[keystone_authtoken]
password = @S@

[glance_store]
default_backend = fast

[backend_defaults]
s3_store_secret_key = @S@

[fast]
filesystem_store_datadir = /srv/images
custom_api_password = @S@

[objects]
s3_store_host = https://s3.example.com
s3_store_access_key = @S@
s3_store_secret_key = @S@
s3_store_bucket = glance

[inline]
swift_store_auth_address = https://keystone.example.com/v3
swift_store_user = svc:glance
swift_store_key = @S@
swift_store_container = images

[ref]
swift_store_config_file = @SWIFT@
default_swift_reference = ref1
swift_store_container = other

[block]
cinder_store_user_name = glance
cinder_store_password = @S@
cinder_store_application_credential_secret = @S@

[vm]
vmware_server_host = vcenter.example.com
vmware_server_username = admin
vmware_server_password = @S@
vmware_datastores = dc1:ds1

[ceph]
rbd_store_fsid = c0ffee00-0000-4000-8000-000000000001
)";
    for (auto [from, to] : {std::pair<std::string_view, std::string_view>{"@S@", sentinel},
                            {"@SWIFT@", swift_conf}}) {
        for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
            s.replace(p, from.size(), to);
        }
    }
    return s;
}

// URLs with the sentinel as userinfo, for every result kind.
std::string sentinel_urls() {
    const std::string s(sentinel);
    return "s3://AK:" + s + "@s3.example.com/glance/img\n" +                    // matched
           "s3://" + s + ":" + s + "/with/slash@s3.example.com/glance/img\n" +  // matched
           "swift+https://svc%3Aglance:" + s + "@keystone.example.com/v3/images/img\n" +
           "https://user:" + s + "@example.org/img\n" +             // matched (http store)
           "gopher://user:" + s + "@example.org/img\n" +            // no_store
           "file://" + s + "@/srv/images/img\n" +                   // file with userinfo
           "s3://a:" + s + "@b@s3.example.com/glance/img#frag\n" +  // invalid
           "https://user:" + s + "@example.org/a/../img\n" +        // invalid
           "swift+https://other:" + s + "@keystone.example.com/v3/images/img\n" +  // user mismatch
           // swift keys with a raw '/' (upstream writes them so); shaped like a port and a
           // path, they were read as host 'svc' and printed by --explain
           "swift+https://svc:443/" + s + "@keystone.example.com/v3/images/img\n" +
           "swift://svc%3Aglance:1/" + s + "@keystone.example.com/v3/images/img\n" +
           "swift+config://u:k/" + s + "@ref1/other/img\n" +  // invalid: userinfo on a reference
           s + "\n" +                                         // invalid
           "s3://AK:" + s + " with space@s3.example.com/glance/img\n";  // invalid
}

class CliSecrets : public ::testing::Test {
  protected:
    void SetUp() override {
        swift_ = dir_.write("glance-swift.conf",
                            "[ref1]\nuser = tenant:user1\nkey = " + std::string(sentinel) +
                                "\nauth_address = https://swift.example.com/v1\n");
        config_ = dir_.write("glance-api.conf", sentinel_config(swift_));
    }
    void expect_clean(const std::string& what, const run_result& r) {
        EXPECT_FALSE(contains(r.out, sentinel)) << what << " stdout leaks:\n" << r.out;
        EXPECT_FALSE(contains(r.err, sentinel)) << what << " stderr leaks:\n" << r.err;
    }
    args config() const { return {"--config-file", config_}; }

    scratch_dir dir_;
    std::string swift_;
    std::string config_;
};

TEST_F(CliSecrets, CheckAndStoresNeverShowASecret) {
    const auto check = tool(cat({"check"}, config()));
    EXPECT_EQ(check.status, 0) << check.out;
    EXPECT_TRUE(contains(check.out, "custom_api_password")) << check.out;  // the unknown key
    expect_clean("check", check);
    const auto text = tool(cat({"stores"}, config()));
    EXPECT_EQ(text.status, 0);
    EXPECT_TRUE(contains(text.out, "s3_store_secret_key = ***")) << text.out;
    expect_clean("stores", text);
    const auto json = tool(cat({"stores", "--format", "json"}, config()));
    EXPECT_EQ(json.status, 0);
    EXPECT_TRUE(boost::json::parse(json.out).as_object().contains("objects"));
    expect_clean("stores --format json", json);
}

TEST_F(CliSecrets, InvalidConfigsNeverShowASecret) {
    const std::string base = sentinel_config(swift_);
    const std::string s(sentinel);
    const std::vector<std::string> variants{
        base + "[objects]\ns3_store_secret_key " + s + "\n",
        base + "[objects]\ns3_store_bucket =\ns3_store_host = https://" + s + "@h\n",
        base + "[inline]\nswift_store_multi_tenant = " + s + "\n",
        // (Store ids and default_backend are not secrets: the messages may name them.)
        base + "[objects]\ns3_store_secret_key = " + s + "-2\n",
        base + "[block]\ncinder_store_password = " + s + "\n  " + s + "\n",
        base + "[" + s + "\n",
    };
    for (std::size_t i = 0; i < variants.size(); ++i) {
        const std::string conf = dir_.write("bad.conf", variants[i]);
        const auto check = tool({"check", "--strict", "--config-file", conf});
        EXPECT_EQ(check.status, 1) << "variant " << i << "\n" << check.out;
        expect_clean("check, variant " + std::to_string(i), check);
        const auto stores = tool({"stores", "--config-file", conf});
        expect_clean("stores, variant " + std::to_string(i), stores);
    }
}

TEST_F(CliSecrets, ResolveNeverShowsASecret) {
    const std::string urls = sentinel_urls();
    const auto plain = tool(cat({"resolve"}, config()), urls);
    EXPECT_EQ(plain.status, 0) << plain.err;
    EXPECT_EQ(lines_of(plain.out).size(), lines_of(urls).size());
    EXPECT_TRUE(contains(plain.out, R"("store":"objects","url":"s3://s3.example.com/glance/img")"))
        << plain.out;
    expect_clean("resolve", plain);
    const auto explained = tool(cat({"resolve", "--explain"}, config()), urls);
    EXPECT_EQ(explained.status, 0);
    expect_clean("resolve --explain", explained);
    const auto from_args = tool(cat(cat({"resolve"}, config()), lines_of(urls)));
    EXPECT_EQ(from_args.out, plain.out);
    expect_clean("resolve URL...", from_args);
}

TEST_F(CliSecrets, StampNeverShowsASecretOutsideTheRecords) {
    std::string input;
    for (const auto& url : lines_of(sentinel_urls())) {
        input += "{\"id\": \"x\", \"locations\": [{\"url\": \"" + url + "\", \"metadata\": {}}]}\n";
    }
    input +=
        "{\"id\": \"broken\", \"locations\": [{\"url\": \"s3://a:" + std::string(sentinel) + "\n";
    const std::string in = dir_.write("in.jsonl", input);
    const std::string out = (dir_ / "out.jsonl").string();
    const std::string report = (dir_ / "report.json").string();
    const auto r =
        tool(cat({"stamp", "--input", in, "--output", out, "--report", report}, config()));
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_TRUE(r.out.empty());
    expect_clean("stamp", r);
    EXPECT_FALSE(contains(read_file(report), sentinel)) << read_file(report);
    // The records themselves keep their URLs (credentials included): they are the data.
    const auto records = lines_of(read_file(out));
    EXPECT_EQ(records.size(), lines_of(input).size());
    EXPECT_EQ(records.front(),
              R"({"id": "x", "locations": [{"url": "s3://AK:)" + std::string(sentinel) +
                  R"(@s3.example.com/glance/img", "metadata": {"store": "objects"}}]})");
}

TEST_F(CliSecrets, UsageErrorsNeverEchoASecret) {
    const std::string url = "s3://AK:" + std::string(sentinel) + "@s3.example.com/glance/img";
    for (const args& a : {args{"stamp", url}, args{"stores", url}, args{"check", "--bogus=" + url},
                          args{"frobnicate", url}}) {
        const auto r = tool(cat(a, config()));
        EXPECT_EQ(r.status, 2) << a[0] << ": " << r.err;
        expect_clean("usage error " + a[0], r);
    }
}

// ---- order independence ---------------------------------------------------------------------

// The example config with enabled_backends in another order, given by a later --config-file.
args reordered(const scratch_dir& d, std::string_view name, std::string_view backends) {
    return {"--config-file", "examples/glance-api.conf", "--config-file",
            d.write(name, "[DEFAULT]\nenabled_backends = " + std::string(backends) + "\n")};
}

TEST(Cli, StoresAndResolveDoNotDependOnTheOrderOfEnabledBackends) {
    scratch_dir d;
    const std::vector<args> orders{
        example_config,
        reordered(d, "reversed.conf",
                  "web:http, vcenter:vmware, volumes:cinder, swift:swift, objects:s3, "
                  "ceph-b:rbd, ceph-a:rbd, archive:file, fast:file"),
        reordered(d, "shuffled.conf",
                  "ceph-b:rbd, archive:file, web:http, objects:s3, fast:file, volumes:cinder, "
                  "ceph-a:rbd, vcenter:vmware, swift:swift"),
    };
    const std::string urls = read_file(fs::path(IMGSTORE_CLI_TEST_DIR) / "urls.txt");
    const auto first_stores = tool(cat({"stores", "--format", "json"}, orders[0]));
    const auto first_resolve = tool(cat({"resolve"}, orders[0]), urls);
    const auto first_stamp = tool(cat(cat({"stamp"}, orders[0]), example_stamp));
    ASSERT_EQ(first_stores.status, 0);
    const auto first_json = boost::json::parse(first_stores.out);
    for (std::size_t i = 1; i < orders.size(); ++i) {
        const auto stores = tool(cat({"stores", "--format", "json"}, orders[i]));
        ASSERT_EQ(stores.status, 0) << stores.err;
        EXPECT_NE(stores.out, first_stores.out);  // the store order does differ ...
        // ... and nothing else: JSON object equality ignores member order.
        EXPECT_EQ(boost::json::parse(stores.out), first_json) << stores.out;
        EXPECT_EQ(tool(cat({"resolve"}, orders[i]), urls).out, first_resolve.out);
        EXPECT_EQ(tool(cat(cat({"stamp"}, orders[i]), example_stamp)).out, first_stamp.out);
    }
}

// ---- the example generator ------------------------------------------------------------------

TEST(Cli, GeneratorReproducesTheExampleImages) {
    const auto r = run(IMGSTORE_GEN_IMAGES, {"--example"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, read_file(source_dir / "examples/images.jsonl"))
        << "regenerate: imgstore_gen_images --example > examples/images.jsonl";
}

TEST(Cli, GeneratorWritesRecordsAndUrlsDeterministically) {
    const auto a = run(IMGSTORE_GEN_IMAGES, {"--records", "1000", "--seed", "7"});
    const auto b = run(IMGSTORE_GEN_IMAGES, {"--records", "1000", "--seed", "7"});
    EXPECT_EQ(a.status, 0);
    EXPECT_EQ(a.out, b.out);
    EXPECT_EQ(lines_of(a.out).size(), 1000u);
    const auto stamped = tool(cat({"stamp"}, example_config), a.out);
    EXPECT_EQ(stamped.status, 0) << stamped.err;
    EXPECT_TRUE(contains(stamped.err, "1000 images")) << stamped.err;
    const auto urls = run(IMGSTORE_GEN_IMAGES, {"--urls", "500"});
    EXPECT_EQ(lines_of(urls.out).size(), 500u);
    const auto resolved = tool(cat({"resolve"}, example_config), urls.out);
    EXPECT_EQ(lines_of(resolved.out).size(), 500u);
    EXPECT_EQ(run(IMGSTORE_GEN_IMAGES, {"--bogus"}).status, 2);
}

}  // namespace
}  // namespace imgstore::cli_test
