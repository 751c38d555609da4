// imgstore-service end to end: the real service on 127.0.0.1, a real HTTP client.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "service_test_util.hpp"

namespace imgstore {
namespace {

using test::db_server;
using test::file_path;
using test::http_client;
using test::image_path;
using test::service_fixture;
using test::sqlite_service;
using test::test_payload;

namespace json = boost::json;

constexpr const char* img1 = "aaaaaaaa-0000-4000-8000-000000000001";
constexpr const char* img2 = "bbbbbbbb-0000-4000-8000-000000000002";
constexpr const char* img3 = "cccccccc-0000-4000-8000-000000000003";
constexpr const char* missing = "dddddddd-0000-4000-8000-000000000004";

const std::vector<std::pair<std::string, std::string>> octets = {
    {"Content-Type", "application/octet-stream"}};

json::object parse_object(const std::string& body) { return json::parse(body).as_object(); }

class Service : public testing::TestWithParam<db_server> {};

TEST_P(Service, ListsTheOperatorsStoresAsGlanceDoes) {
    IMGSTORE_SERVICE(svc, GetParam());
    http_client client(svc->port());
    auto r = client.get("/v2/info/stores");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(r.header("x-openstack-request-id").empty());
    auto stores = parse_object(r.body).at("stores").as_array();
    ASSERT_EQ(stores.size(), 2u);  // reserved stores are Glance's own, not listed
    EXPECT_EQ(stores[0].at("id").as_string(), "fast");
    EXPECT_EQ(stores[0].at("description").as_string(), "Fast disks");
    EXPECT_TRUE(stores[0].at("default").as_bool());
    EXPECT_EQ(stores[0].at("weight").as_int64(), 50);
    EXPECT_EQ(stores[1].at("id").as_string(), "slow");
    EXPECT_FALSE(stores[1].as_object().contains("default"));
    EXPECT_FALSE(stores[1].as_object().contains("description"));
    EXPECT_EQ(stores[1].at("weight").as_int64(), 0);  // glance_store's default weight
}

TEST_P(Service, TheFirstGetSavesTheStampAndTheSecondWritesNothing) {
    IMGSTORE_SERVICE(svc, GetParam());
    svc->add_image(img1, "active", test_payload(100), "slow");
    http_client client(svc->port());
    auto first = client.get(image_path(img1));
    ASSERT_EQ(first.status, 200) << first.body;
    auto image = parse_object(first.body);
    EXPECT_EQ(image.at("id").as_string(), img1);
    EXPECT_EQ(image.at("status").as_string(), "active");
    EXPECT_EQ(image.at("size").as_int64(), 100);
    EXPECT_EQ(image.at("checksum").as_string(), test::md5_hex(test_payload(100)));
    EXPECT_EQ(image.at("stores").as_string(), "slow");
    EXPECT_EQ(image.at("file").as_string(), file_path(img1));
    auto locations = image.at("locations").as_array();
    ASSERT_EQ(locations.size(), 1u);
    EXPECT_EQ(locations[0].at("metadata").at("store").as_string(), "slow");

    auto row = svc->db().location(1);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->meta_data, R"({"store": "slow"})");
    ASSERT_TRUE(row->updated_at);
    const std::string stamped_at = *row->updated_at;

    auto second = client.get(image_path(img1));
    ASSERT_EQ(second.status, 200);
    EXPECT_EQ(parse_object(second.body).at("stores").as_string(), "slow");
    auto again = svc->db().location(1);
    EXPECT_EQ(again->meta_data, R"({"store": "slow"})");
    EXPECT_EQ(again->updated_at, stamped_at);  // nothing written
    EXPECT_TRUE(svc->wait_for_log("stamped=1 saved=1")) << svc->logs();
    EXPECT_TRUE(svc->wait_for_log("stamped=0 saved=0")) << svc->logs();
}

TEST_P(Service, ALocationShowsEveryMetadataKeyWithItsStamp) {
    IMGSTORE_SERVICE(svc, GetParam());
    svc->add_image(img1, "active", test_payload(10), "slow",
                   std::string(R"({"a": 1, "store": "", "b": {"c": "d"}})"));
    http_client client(svc->port());
    auto r = client.get(image_path(img1));
    ASSERT_EQ(r.status, 200) << r.body;
    auto locations = parse_object(r.body).at("locations").as_array();
    ASSERT_EQ(locations.size(), 1u);
    EXPECT_EQ(json::serialize(locations[0].at("metadata")),
              R"({"a":1,"store":"slow","b":{"c":"d"}})");
    auto row = svc->db().location(1);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->meta_data, R"({"a": 1, "store": "slow", "b": {"c": "d"}})");
}

TEST_P(Service, AnImageShowsItsLiveTagsAsJsonStrings) {
    IMGSTORE_SERVICE(svc, GetParam());
    svc->add_image(img1, "active", test_payload(10), "fast", std::string(R"({"store": "fast"})"));
    // Quotes, backslashes and control characters must be escaped; non-ASCII is sent as UTF-8,
    // as Glance's json.dumps(ensure_ascii=False) sends it.
    const std::vector<std::string> live = {"linux",     "say \"hi\"", "back\\slash",
                                           "tab\there", "bell\x07",   "d\u00e9bian \u65e5\u672c",
                                           "</script>"};
    svc->db().add_tag(img1, live[0]);
    svc->db().add_tag(img1, "retired", /*deleted=*/true);
    for (std::size_t i = 1; i < live.size(); ++i) svc->db().add_tag(img1, live[i]);
    svc->db().add_tag(img1, "linux");  // a second live row of one value: one tag
    svc->db().add_image(img3);
    svc->db().add_tag(img3, "someone else's");
    http_client client(svc->port());
    auto r = client.get(image_path(img1));
    ASSERT_EQ(r.status, 200) << r.body;
    const json::array tags = parse_object(r.body).at("tags").as_array();
    std::vector<std::string> got;
    for (const json::value& t : tags) got.emplace_back(t.as_string());
    EXPECT_EQ(got, live);
    for (std::string_view escaped :
         {R"("say \"hi\"")", R"("back\\slash")", R"("tab\there")", R"("bell\u0007")",
          "\"d\xc3\xa9"
          "bian \xe6\x97\xa5\xe6\x9c\xac\""}) {
        EXPECT_NE(r.body.find(escaped), std::string::npos) << escaped << " in " << r.body;
    }
    EXPECT_EQ(r.body.find("retired"), std::string::npos);
    EXPECT_EQ(r.body.find('\x07'), std::string::npos);
    EXPECT_EQ(r.body.find('\t'), std::string::npos);
    // An image without tags has an empty list, never a missing key or null.
    svc->add_image(img2, "queued");
    EXPECT_TRUE(parse_object(client.get(image_path(img2)).body).at("tags").as_array().empty());
}

TEST_P(Service, AnImageHasGlancesV2Shape) {
    IMGSTORE_SERVICE(svc, GetParam());
    svc->add_image(img1, "active", test_payload(10), "fast", std::string(R"({"store": "fast"})"));
    svc->db().add_location(img1, "file://" + (svc->datadir("fast") / "second").string(),
                           std::string(R"({"store": "fast"})"));
    svc->db().exec(std::string("UPDATE images SET owner = 'p1', min_disk = 3, min_ram = 512, "
                               "disk_format = 'qcow2', container_format = 'bare', "
                               "updated_at = '2021-02-03 04:05:06' WHERE id = '") +
                   img1 + "'");
    const std::vector<std::pair<std::string, std::string>> properties = {
        {"os_distro", "'debian'"},
        {"empty", "NULL"},                       // Glance shows a NULL property as ""
        {"status", "'not the status'"},          // core attributes win a clash
        {"os_glance_stage_host", "'http://h'"},  // hidden by Glance's serializer
        {"os_glance_hash_op_host", "'h2'"},
    };
    for (const auto& [name, value] : properties) {
        svc->db().exec(std::string("INSERT INTO image_properties (image_id, name, value, "
                                   "created_at, deleted) VALUES ('") +
                       img1 + "', '" + name + "', " + value + ", '2020-01-01 00:00:00', false)");
    }
    http_client client(svc->port());
    auto r = client.get(image_path(img1));
    ASSERT_EQ(r.status, 200) << r.body;
    const json::object image = parse_object(r.body);
    std::vector<std::string> keys;
    for (const auto& kv : image) keys.emplace_back(kv.key());
    std::sort(keys.begin(), keys.end());
    const std::vector<std::string> glance_keys = {"checksum",     "container_format",
                                                  "created_at",   "disk_format",
                                                  "empty",        "file",
                                                  "id",           "locations",
                                                  "min_disk",     "min_ram",
                                                  "name",         "os_distro",
                                                  "os_hash_algo", "os_hash_value",
                                                  "os_hidden",    "owner",
                                                  "protected",    "schema",
                                                  "self",         "size",
                                                  "status",       "stores",
                                                  "tags",         "updated_at",
                                                  "virtual_size", "visibility"};
    EXPECT_EQ(keys, glance_keys);
    EXPECT_EQ(image.at("os_distro").as_string(), "debian");
    EXPECT_EQ(image.at("empty").as_string(), "");
    EXPECT_EQ(image.at("status").as_string(), "active");
    EXPECT_EQ(image.at("visibility").as_string(), "public");
    EXPECT_FALSE(image.at("protected").as_bool());
    EXPECT_FALSE(image.at("os_hidden").as_bool());
    EXPECT_EQ(image.at("owner").as_string(), "p1");
    EXPECT_EQ(image.at("min_disk").as_int64(), 3);
    EXPECT_EQ(image.at("min_ram").as_int64(), 512);
    EXPECT_TRUE(image.at("virtual_size").is_null());
    EXPECT_TRUE(image.at("os_hash_algo").is_null());
    EXPECT_EQ(image.at("created_at").as_string(), "2020-01-01T00:00:00Z");
    EXPECT_EQ(image.at("updated_at").as_string(), "2021-02-03T04:05:06Z");
    EXPECT_EQ(image.at("self").as_string(), image_path(img1));
    EXPECT_EQ(image.at("file").as_string(), file_path(img1));
    EXPECT_EQ(image.at("schema").as_string(), "/v2/schemas/image");
    EXPECT_EQ(image.at("stores").as_string(), "fast,fast");  // one entry per location
}

TEST_P(Service, AnUploadThenADownloadHaveMatchingChecksums) {
    IMGSTORE_SERVICE(svc, GetParam());
    svc->add_image(img2, "queued");
    http_client client(svc->port());
    const std::string data = test_payload(300'000);
    auto up =
        client.put(file_path(img2), data,
                   {{"Content-Type", "application/octet-stream"}, {"X-Image-Meta-Store", "slow"}});
    ASSERT_EQ(up.status, 204) << up.body;
    EXPECT_TRUE(std::filesystem::exists(svc->datadir("slow") / img2));

    auto image = parse_object(client.get(image_path(img2)).body);
    EXPECT_EQ(image.at("status").as_string(), "active");
    EXPECT_EQ(image.at("size").as_int64(), 300'000);
    EXPECT_EQ(image.at("checksum").as_string(), test::md5_hex(data));
    EXPECT_EQ(image.at("os_hash_algo").as_string(), "sha512");
    EXPECT_EQ(image.at("os_hash_value").as_string().size(), 128u);
    EXPECT_EQ(image.at("stores").as_string(), "slow");

    auto down = client.get(file_path(img2));
    ASSERT_EQ(down.status, 200);
    EXPECT_EQ(down.header("content-md5"), test::md5_hex(data));
    EXPECT_EQ(test::md5_hex(down.body), test::md5_hex(data));
    EXPECT_EQ(down.body, data);

    // Active now: a second upload is refused and the data stays as it was.
    auto twice = client.put(file_path(img2), "other", octets);
    EXPECT_EQ(twice.status, 409) << twice.body;
    EXPECT_EQ(client.get(file_path(img2)).body, data);
}

TEST_P(Service, AnUploadWithoutAStoreGoesToTheDefaultStore) {
    IMGSTORE_SERVICE(svc, GetParam());
    svc->add_image(img2, "queued");
    http_client client(svc->port());
    ASSERT_EQ(client.put(file_path(img2), "abc", octets).status, 204);
    EXPECT_TRUE(std::filesystem::exists(svc->datadir("fast") / img2));
    EXPECT_EQ(parse_object(client.get(image_path(img2)).body).at("stores").as_string(), "fast");
}

INSTANTIATE_TEST_SUITE_P(Db,
                         Service,
                         testing::ValuesIn(test::all_db_servers()),
                         [](const testing::TestParamInfo<db_server>& p) {
                             return test::db_server_name(p.param);
                         });

// The rest runs on SQLite only: what it tests is the service, not the database.
TEST(ServiceDownload, RangesAreServedAsRfc9110Says) {
    auto svc = sqlite_service();
    const std::string data = test_payload(1000);
    svc->add_image(img1, "active", data);
    http_client client(svc->port());
    struct row {
        std::string range;
        int status;
        std::string body;
        std::string content_range;
    };
    const std::vector<row> rows = {
        {"bytes=0-9", 206, data.substr(0, 10), "bytes 0-9/1000"},
        {"bytes=990-", 206, data.substr(990), "bytes 990-999/1000"},
        {"bytes=-5", 206, data.substr(995), "bytes 995-999/1000"},
        {"bytes=-5000", 206, data, "bytes 0-999/1000"},
        {"bytes=500-99999", 206, data.substr(500), "bytes 500-999/1000"},
        {"bytes=999-999", 206, data.substr(999), "bytes 999-999/1000"},
        {"bytes=1000-", 416, "", ""},
        {"bytes=5-1", 416, "", ""},
        {"bytes=-0", 416, "", ""},
        {"bytes=0-1,5-6", 416, "", ""},
        {"items=0-1", 416, "", ""},
        {"bytes=x-1", 416, "", ""},
        {"bytes=99999999999999999999-", 416, "", ""},
        {"bytes=", 416, "", ""},
    };
    for (const row& r : rows) {
        auto got = client.get(file_path(img1), {{"Range", r.range}});
        EXPECT_EQ(got.status, r.status) << r.range;
        if (r.status == 206) {
            EXPECT_EQ(got.body, r.body) << r.range;
            EXPECT_EQ(got.header("content-range"), r.content_range) << r.range;
        }
    }
    EXPECT_EQ(client.get(file_path(img1)).body, data);  // still serving on that connection
}

TEST(ServiceDownload, ALocationOutsideTheStoreIsNeverServed) {
    auto svc = sqlite_service();
    const auto secret_file = svc->dir() / "secret.txt";
    std::ofstream(secret_file) << "top secret";
    std::filesystem::create_symlink(secret_file, svc->datadir("fast") / "link");
    const std::string fast = svc->datadir("fast").string();
    struct row {
        const char* id;
        std::string url;
        std::optional<std::string> meta;
    };
    const std::vector<row> rows = {
        {"e0000000-0000-4000-8000-000000000001", "file://" + fast + "/../secret.txt", {}},
        {"e0000000-0000-4000-8000-000000000002", "file://" + fast + "/%2E%2E/secret.txt", {}},
        {"e0000000-0000-4000-8000-000000000003", "file://" + secret_file.string(),
         R"({"store": "fast"})"},
        {"e0000000-0000-4000-8000-000000000004", "file://" + fast + "/link", {}},
        {"e0000000-0000-4000-8000-000000000005", "file://" + fast + "/link",
         R"({"store": "fast"})"},
        {"e0000000-0000-4000-8000-000000000006", "file://" + fast, {}},
        {"e0000000-0000-4000-8000-000000000007", "file://" + fast + "/../slow/x",
         R"({"store": "slow"})"},
    };
    http_client client(svc->port());
    for (const row& r : rows) {
        svc->db().add_image(r.id);
        svc->db().add_location(r.id, r.url, r.meta);
        auto got = client.get(file_path(r.id));
        EXPECT_EQ(got.status, 404) << r.url << " " << got.body;
        EXPECT_EQ(got.body.find("top secret"), std::string::npos) << r.url;
    }
    EXPECT_EQ(client.get("/v2/info/stores").status, 200);
}

TEST(ServiceDownload, FallbackProbeServesAnUnstampedImageFromWhicheverStoreHasIt) {
    service::service_options options;
    options.fallback_probe = true;
    auto svc = sqlite_service(options);
    svc->add_image(img1, "active", std::string("probe me"), "slow");
    http_client client(svc->port());
    auto got = client.get(file_path(img1));
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(got.body, "probe me");
    EXPECT_TRUE(svc->wait_for_log("store=slow")) << svc->logs();
}

// A reload that removes the store a download is reading from: the download finishes whole on
// the configuration it started with; the next request sees the new one.
TEST(ServiceReload, ADownloadInFlightFinishesOnItsSnapshotWhenAReloadRemovesItsStore) {
    namespace asio = boost::asio;
    namespace beast = boost::beast;
    auto svc = sqlite_service();
    const std::string data = test_payload(32u << 20);  // beyond the socket buffers
    svc->add_image(img1, "active", data, "slow", R"({"store": "slow"})");
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect({asio::ip::make_address("127.0.0.1"), svc->port()});
    beast::http::request<beast::http::empty_body> req{beast::http::verb::get, file_path(img1), 11};
    req.set(beast::http::field::host, "127.0.0.1");
    beast::http::write(stream, req);
    beast::flat_buffer buffer;
    beast::http::response_parser<beast::http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    beast::http::read_header(stream, buffer, parser);
    ASSERT_EQ(parser.get().result_int(), 200u);
    std::string received;
    std::vector<char> chunk(64u << 10);
    auto read_some = [&] {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        beast::error_code ec;
        beast::http::read(stream, buffer, parser, ec);
        if (ec && ec != beast::http::error::need_buffer) throw beast::system_error(ec);
        received.append(chunk.data(), chunk.size() - parser.get().body().size);
    };
    read_some();
    ASSERT_LT(received.size(), data.size());
    svc->write_config("[DEFAULT]\nenabled_backends = fast:file\n");
    ASSERT_TRUE(svc->service().reload());
    while (!parser.is_done()) read_some();
    EXPECT_EQ(received.size(), data.size());
    EXPECT_TRUE(received == data);
    // The next download runs on the new configuration, which has no store `slow`.
    EXPECT_NE(http_client(svc->port()).get(file_path(img1)).status, 200);
}

TEST(ServiceRequests, UnknownImagesAndBadIdsAreAnsweredAndTheServiceStaysUp) {
    auto svc = sqlite_service();
    http_client client(svc->port());
    EXPECT_EQ(client.get(image_path(missing)).status, 404);
    EXPECT_EQ(client.get(file_path(missing)).status, 404);
    EXPECT_EQ(client.put(file_path(missing), "x", octets).status, 404);
    for (const std::string bad :
         {"abc", "aaaaaaaa-0000-4000-8000-00000000000", "aaaaaaaa-0000-4000-8000-0000000000011",
          "aaaaaaaa_0000-4000-8000-000000000001", "..%2F..%2Fetc%2Fpasswd", "' OR 1=1 --",
          "gggggggg-0000-4000-8000-000000000001", ""}) {
        auto got = client.get("/v2/images/" + bad);
        EXPECT_EQ(got.status, 400) << bad;
        EXPECT_EQ(client.get("/v2/images/" + bad + "/file").status, 400) << bad;
    }
    EXPECT_EQ(client.get("/v2/nothing").status, 404);
    EXPECT_EQ(client.send("DELETE", image_path(missing), "", {}).status, 405);
    EXPECT_EQ(client.send("POST", "/v2/info/stores", "", {}).status, 405);
    EXPECT_EQ(client.get("/v2/info/stores").status, 200);
}

TEST(ServiceRequests, UploadRefusalsLeaveTheImageQueued) {
    auto svc = sqlite_service();
    svc->add_image(img2, "queued");
    http_client client(svc->port());
    EXPECT_EQ(client.put(file_path(img2), "x", {}).status, 415);
    EXPECT_EQ(
        client
            .put(file_path(img2), "x",
                 {{"Content-Type", "application/octet-stream"}, {"X-Image-Meta-Store", "nosuch"}})
            .status,
        400);
    EXPECT_EQ(client
                  .put(file_path(img2), "x",
                       {{"Content-Type", "application/octet-stream"},
                        {"X-Image-Meta-Store", "os_glance_staging_store"}})
                  .status,
              400);
    EXPECT_EQ(parse_object(client.get(image_path(img2)).body).at("status").as_string(), "queued");
    EXPECT_TRUE(std::filesystem::is_empty(svc->datadir("fast")));
    EXPECT_EQ(client.put(file_path(img2), "x", octets).status, 204);  // still uploadable
}

TEST(ServiceRequests, MalformedAndOversizedRequestsGet4xxOrAreDropped) {
    service::service_options options;
    options.header_timeout = std::chrono::milliseconds(300);
    options.idle_timeout = std::chrono::milliseconds(300);
    options.io_timeout = std::chrono::milliseconds(300);
    auto svc = sqlite_service(options);
    svc->add_image(img2, "queued");
    const auto wait = std::chrono::seconds(5);
    const std::string big(20'000, 'x');
    EXPECT_EQ(test::raw_exchange(svc->port(), "GET / HTTP/1.1\r\nX-Big: " + big + "\r\n\r\n", wait)
                  .substr(0, 12),
              "HTTP/1.1 431");
    EXPECT_EQ(test::raw_exchange(svc->port(), "NOT HTTP AT ALL\r\n\r\n", wait).substr(0, 12),
              "HTTP/1.1 400");
    EXPECT_EQ(
        test::raw_exchange(svc->port(), "GET /v2/info/stores HTTP/9.9\r\n\r\n", wait).substr(0, 12),
        "HTTP/1.1 400");
    // A client that stalls mid-head is dropped without an answer.
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(test::raw_exchange(svc->port(), "GET /v2/info/stor", wait), "");
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
    // A client that stalls mid-body: the upload fails, nothing stays behind, the image is
    // queued again.
    std::string head = std::string("PUT ") + file_path(img2) +
                       " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                       "Content-Length: 1000\r\n\r\nonly a little";
    auto answer = test::raw_exchange(svc->port(), head, wait);
    EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 408") << answer;
    EXPECT_TRUE(std::filesystem::is_empty(svc->datadir("fast")));
    http_client client(svc->port());
    EXPECT_EQ(parse_object(client.get(image_path(img2)).body).at("status").as_string(), "queued");
    EXPECT_EQ(client.get("/v2/info/stores").status, 200);
    EXPECT_TRUE(svc->wait_for_log("dropped: no complete request in time")) << svc->logs();
}

TEST(ServiceLogs, EveryLineHasARequestIdAndNoCredential) {
    auto svc = sqlite_service({}, "[DEFAULT]\nmetadata_encryption_key = \n");
    svc->add_image(img1, "active", std::string("data"));
    svc->db().add_image(img3);
    svc->db().add_location(img3, "http://alice:pa55word@example.invalid/img", std::nullopt);
    http_client client(svc->port());
    auto image = client.get(image_path(img3));
    ASSERT_EQ(image.status, 200);
    EXPECT_EQ(image.body.find("pa55word"), std::string::npos) << image.body;
    client.get(image_path(img1));
    client.get(file_path(img1));
    client.get("/v2/images/http://alice:pa55word@example.invalid/");
    client.get("/v2/images/x?token=pa55word");
    ASSERT_TRUE(svc->wait_for_log("/v2/images/x 400"));
    const std::string logs = svc->logs();
    EXPECT_EQ(logs.find("pa55word"), std::string::npos) << logs;
    EXPECT_EQ(logs.find("alice"), std::string::npos) << logs;
    std::istringstream lines(logs);
    std::string line;
    int requests = 0;
    while (std::getline(lines, line)) {
        if (line.find(" GET ") == std::string::npos) continue;
        ++requests;
        EXPECT_EQ(line.rfind("req-", 0), 0u) << line;
    }
    EXPECT_EQ(requests, 5);
}

}  // namespace
}  // namespace imgstore
