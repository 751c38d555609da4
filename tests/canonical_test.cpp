// The canonicaliser's fast path (SSE2 bit masks over URLs of 16-127 bytes) against its general
// code: both must give the same answer, field by field, on every input.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "detail/canonical_url.hpp"
#include "test_util.hpp"
#include "tsv_table.hpp"

namespace imgstore {
namespace {

using detail::canonical_url;

// Every field a caller can read, as one comparable string.
// The offsets of the boundary bits, in order.
std::vector<std::size_t> boundaries(const canonical_url& c) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < 128; ++i) {
        if ((c.boundary_bits[i / 64] >> (i % 64)) & 1) out.push_back(i);
    }
    return out;
}

std::string describe(reason_code r, const canonical_url& c) {
    std::string out = std::string(to_string(r));
    if (r != reason_code::none) return out;
    out += " canonical=" + std::string(c.canonical);
    out += " scheme=" + std::string(detail::scheme_name(c.scheme));
    out += " family=" + std::string(detail::family_name(c.family));
    out += " tail=" + std::to_string(c.tail) + " path=" + std::to_string(c.path) +
           " path_end=" + std::to_string(c.path_end);
    out +=
        " query=" + std::string(c.query) + " userinfo_bytes=" + std::to_string(c.userinfo.size());
    out += c.has_credentials ? " credentials" : "";
    out += c.trailing_slash ? " trailing" : "";
    out += c.rewritten ? " rewritten" : "";
    out += " boundaries:";
    for (std::size_t i : boundaries(c)) out += " " + std::to_string(i);
    return out;
}

// Empty when canonicalize() (fast path first) and its general code agree on `url`.
std::string both_ways(std::string_view url, std::string* general_answer = nullptr) {
    std::string scratch_fast, scratch_general;
    canonical_url fast{}, general{};
    const reason_code rf = detail::canonicalize(url, scratch_fast, fast);
    const reason_code rg = detail::canonicalize_general(url, scratch_general, general);
    const std::string a = describe(rf, fast), b = describe(rg, general);
    if (general_answer != nullptr) *general_answer = b;
    const bool same = rf == rg && (rf != reason_code::none || detail::same_parts(fast, general));
    return same ? std::string() : "fast: " + a + "\ngeneral: " + b;
}

// URLs in the forms the drivers write, one or more per family, 16 to 127 bytes.
const std::vector<std::string> bases = {
    "file:///var/lib/glance/images/6bbe7cc2-eae7-4c0f-b50d-a7160b0c6a86",
    "filesystem:///srv/glance/g1/images2/6bbe7cc2-eae7-4c0f-b50d-a7160b0c6a86",
    "rbd://0123abcd-0000-1111-2222-333344445555/images/6bbe7cc2-eae7-4c0f-b50d-a7160b0c6a86/snap",
    "s3+https://s3.example.com/glance/6bbe7cc2-eae7-4c0f-b50d-a7160b0c6a86",
    "s3://s3-29.example.com:8080/glance/a/b/6bbe7cc2",
    "swift+https://keystone.example.com:5000/v3/glance/6bbe7cc2-eae7-4c0f-b50d-a7160b0c6a86",
    "swift+config://ref1/glance/6bbe7cc2-eae7-4c0f-b50d-a7160b0c6a86",
    "cinder://cinder28/9572004d-9d0d-1d26-cde7-70408d560705",
    "cinder://9572004d-9d0d-1d26-cde7-70408d560705",
    "vsphere://vc1.example.com/folder/openstack_glance/532001ac?dsName=ds1&dcPath=dc1",
    "https://www.example.com:8443/images/6bbe7cc2.qcow2?x=1%2F2",
    "http://10.0.0.1/images/6bbe7cc2.qcow2",
    "http://[2001:db8::1]:8080/a/b",
    "file:///a/b/c",
    // with userinfo: s3 and swift secrets with a raw '/', swift's quoted user, http; and
    // where no driver writes one (invalid): vsphere, file, rbd, cinder, swift+config
    "s3+https://AKIA1:SK/1+secret@s3-1.example.com/glance/6bbe7cc2-eae7-4c0f",
    "swift+https://tenant1%3Aglance:key1@keystone-1.example.com:5000/v3/glance/6bbe7cc2",
    "swift+https://tenant1%3Aglance:k/e@y@keystone-1.example.com/v3/glance/6bbe7cc2",
    "swift://svc:443/secret@keystone-1.example.com/v3/glance/6bbe7cc2",
    "https://user:pass@www.example.com/images/6bbe7cc2.qcow2",
    "vsphere://user@vc1.example.com/folder/openstack_glance/6bbe?dsName=ds1",
    "file://user@/srv/glance/images/6bbe7cc2-eae7-4c0f",
    "rbd://admin@0123abcd-0000-1111-2222-333344445555/images/6bbe7cc2/snap",
    "cinder://u:p@cinder28/9572004d-9d0d-1d26-cde7-70408d560705",
    "swift+config://u:k/ey@ref1/glance/6bbe7cc2-eae7-4c0f-b50d",
    // default ports, as upstream connects: s3 is http, swift is https
    "s3://s3-29.example.com:80/glance/6bbe7cc2-eae7-4c0f",
    "s3+https://s3-29.example.com:80/glance/6bbe7cc2-eae7-4c0f",
    "swift://keystone.example.com:443/v3/glance/6bbe7cc2-eae7-4c0f",
    "swift+http://keystone.example.com:443/v3/glance/6bbe7cc2-eae7-4c0f",
    // an '@' in an s3 or swift path ends a userinfo
    "swift+https://keystone.example.com/v3/glance/6bbe7cc2@v1",
};

TEST(CanonicalFastPath, AgreesWithTheGeneralCodeOnDriverUrls) {
    for (const std::string& url : bases) EXPECT_EQ(both_ways(url), "") << url;
}

TEST(CanonicalFastPath, AgreesWithTheGeneralCodeOnTheResolveTable) {
    std::size_t rows = 0;
    for (const test::tsv_row& row : test::read_tsv(test::data_dir + "/resolve_cases.tsv", 4)) {
        EXPECT_EQ(both_ways(row.fields[0]), "") << "resolve_cases.tsv:" << row.line;
        ++rows;
    }
    EXPECT_GE(rows, 150u);
}

// Mutations of the driver URLs: bytes replaced or inserted from those that change the answer
// ('%', upper case, '.', '/', ':', '@', '?', '#', '+', controls, high bytes), cuts, case flips,
// doubled slashes. Deterministic.
TEST(CanonicalFastPath, AgreesWithTheGeneralCodeOnMutatedUrls) {
    std::mt19937 rng(20261125);
    const std::string interesting = "%Aa9.-/:@?#+=&_~!$'()*,;[]\\ \x01\x7f\xc3\x80";
    const auto below = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    std::size_t differ = 0, accepted = 0;
    for (int i = 0; i < 40000; ++i) {
        std::string url = bases[below(bases.size())];
        for (std::size_t k = 0, edits = 1 + below(3); k < edits; ++k) {
            const std::size_t at = below(url.size());
            const char c = interesting[below(interesting.size())];
            switch (below(6)) {
                case 0:
                    url[at] = c;
                    break;
                case 1:
                    url.insert(url.begin() + static_cast<std::ptrdiff_t>(at), c);
                    break;
                case 2:
                    url.resize(std::max<std::size_t>(at, 1));
                    break;
                case 3:
                    if (url[at] >= 'a' && url[at] <= 'z') url[at] = static_cast<char>(url[at] - 32);
                    break;
                case 4:
                    url.insert(at, "%2e");
                    break;
                default:
                    url.insert(at, "/");
                    break;
            }
        }
        std::string general;
        const std::string problem = both_ways(url, &general);
        if (!problem.empty() && ++differ <= 10) ADD_FAILURE() << url << "\n" << problem;
        if (general.starts_with("matched ")) ++accepted;
    }
    EXPECT_EQ(differ, 0u);
    EXPECT_GT(accepted, 4000u);  // the mutations keep many URLs valid: both paths are exercised
}

// The rewrites the fast path makes itself, with their canonical forms (the general code must
// give the same, checked too).
TEST(CanonicalFastPath, RewritesCaseAndEscapesAsTheGeneralCodeDoes) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"FILE:///srv/glance/images/6bbe7cc2", "file:///srv/glance/images/6bbe7cc2"},
        {"s3+https://S3.Example.COM/glance/6bbe7cc2", "s3+https://s3.example.com/glance/6bbe7cc2"},
        {"cinder://Cinder1/6bbe7cc2-eae7-4c0f", "cinder://Cinder1/6bbe7cc2-eae7-4c0f"},
        {"file:///srv/glance/%69mages/6bbe%2d7cc2", "file:///srv/glance/images/6bbe-7cc2"},
        {"http://www.example.com/a%2fb/%7e%41x", "http://www.example.com/a%2Fb/~Ax"},
        {"RBD://0123abcd-0000-1111-2222-333344445555/images/%36bbe/snap",
         "rbd://0123abcd-0000-1111-2222-333344445555/images/6bbe/snap"},
        {"S3+HTTPS://AK:S/K@S3.example.com/glance/%36bbe", "s3+https://s3.example.com/glance/6bbe"},
        {"https://user:pass@www.example.com/images/x.qcow2",
         "https://www.example.com/images/x.qcow2"},
    };
    for (const auto& [url, canonical] : cases) {
        EXPECT_EQ(both_ways(url), "") << url;
        std::string scratch;
        canonical_url c{};
        ASSERT_EQ(detail::canonicalize(url, scratch, c), reason_code::none) << url;
        EXPECT_EQ(c.canonical, canonical);
        EXPECT_EQ(c.rewritten, canonical != url) << url;
    }
    // A decoded "%2e" segment is a dot segment; an encoded '/' in a file path a separator.
    for (const auto& [url, reason] : std::vector<std::pair<std::string, reason_code>>{
             {"file:///srv/glance/%2e/6bbe7cc2-eae7", reason_code::dot_segment},
             {"file:///srv/glance/.%2E/6bbe7cc2-eae7", reason_code::dot_segment},
             {"file:///srv/glance/../6bbe7cc2-eae7", reason_code::dot_segment},
             {"file:///srv/glance/a%2Fb/6bbe7cc2-eae7", reason_code::encoded_separator},
         }) {
        EXPECT_EQ(both_ways(url), "") << url;
        std::string scratch;
        canonical_url c{};
        EXPECT_EQ(detail::canonicalize(url, scratch, c), reason) << url;
    }
}

// Every scheme with a host, each port that is some scheme's default, written plainly and with
// leading zeros: the port is dropped exactly where it is the scheme's default (semantics
// section 3: as upstream connects), by both paths.
TEST(CanonicalForm, DropsEachSchemesDefaultPortAndNoOther) {
    const std::vector<std::pair<std::string, int>> default_of = {
        {"http", 80},      {"https", 443}, {"s3", 80},         {"s3+http", 80},
        {"s3+https", 443}, {"swift", 443}, {"swift+http", 80}, {"swift+https", 443},
        {"rbd", 0},        {"vsphere", 0},
    };
    for (const auto& [scheme, default_port] : default_of) {
        for (const int port : {80, 443, 8080}) {
            for (const std::string zeros : {"", "00"}) {
                const std::string written = zeros + std::to_string(port);
                const std::string url =
                    scheme + "://host-1.example.com:" + written + "/pool/6bbe7cc2/snap";
                EXPECT_EQ(both_ways(url), "") << url;
                std::string scratch;
                canonical_url c{};
                ASSERT_EQ(detail::canonicalize(url, scratch, c), reason_code::none) << url;
                const std::string kept = port == default_port ? "" : ":" + std::to_string(port);
                EXPECT_EQ(c.canonical,
                          scheme + "://host-1.example.com" + kept + "/pool/6bbe7cc2/snap")
                    << url;
            }
        }
    }
}

// One URL per scheme with `userinfo` spliced in before its authority.
std::string url_with_userinfo(std::string_view scheme, std::string_view userinfo) {
    std::string tail = "host-1.example.com/glance/6bbe7cc2";
    if (scheme == "file" || scheme == "filesystem") tail = "/srv/glance/6bbe7cc2";
    if (scheme == "cinder") tail = "cinder1/9572004d-9d0d-1d26-cde7-70408d560705";
    if (scheme == "swift+config") tail = "ref1/glance/6bbe7cc2";
    if (scheme == "vsphere") tail += "?dsName=ds1";
    return std::string(scheme) + "://" + std::string(userinfo) + "@" + tail;
}

// A userinfo is allowed on the s3 and swift families and http(s) only, and there it is never
// part of the canonical form; everywhere else it is bad_userinfo, whatever its shape.
TEST(CanonicalForm, AcceptsAUserinfoOnlyWhereDriversWriteOne) {
    const std::vector<std::pair<std::string, bool>> userinfo_allowed = {
        {"http", true},     {"https", true},         {"s3", true},         {"s3+http", true},
        {"s3+https", true}, {"swift", true},         {"swift+http", true}, {"swift+https", true},
        {"file", false},    {"filesystem", false},   {"rbd", false},       {"cinder", false},
        {"vsphere", false}, {"swift+config", false},
    };
    const std::vector<std::string> shapes = {"u", "u:p", "", ":", "a%3Ab:c", "AK:sec-ret_1"};
    for (const std::string& userinfo : shapes) {
        for (const auto& [scheme, allowed] : userinfo_allowed) {
            const std::string url = url_with_userinfo(scheme, userinfo);
            EXPECT_EQ(both_ways(url), "") << url;
            std::string scratch;
            canonical_url c{};
            const reason_code r = detail::canonicalize(url, scratch, c);
            if (!allowed) {
                EXPECT_EQ(r, reason_code::bad_userinfo) << url;
                continue;
            }
            ASSERT_EQ(r, reason_code::none) << url;
            EXPECT_TRUE(c.has_credentials) << url;
            EXPECT_EQ(c.userinfo, userinfo) << url;
            EXPECT_EQ(c.canonical, url_with_userinfo(scheme, "").erase(scheme.size() + 3, 1));
        }
    }
}

// s3 and swift keys are written raw by upstream: '/', '@' and ':' in them, and shapes that
// read as a port and a path, all end up in the userinfo, never in the canonical form.
TEST(CanonicalForm, ReadsS3AndSwiftUserinfoToTheLastAt) {
    const std::vector<std::string> keys = {"sec/ret", "a/b/c/d", "s@c",    "443/x",
                                           "/",       "k/e@y:z", "x/../y", "%2F/"};
    for (const std::string scheme : {"s3", "s3+https", "swift", "swift+http", "swift+https"}) {
        for (const std::string& key : keys) {
            const std::string userinfo = "user:" + key;
            const std::string url = url_with_userinfo(scheme, userinfo);
            EXPECT_EQ(both_ways(url), "") << url;
            std::string scratch;
            canonical_url c{};
            ASSERT_EQ(detail::canonicalize(url, scratch, c), reason_code::none) << url;
            EXPECT_EQ(c.userinfo, userinfo) << url;
            EXPECT_EQ(c.canonical, scheme + "://host-1.example.com/glance/6bbe7cc2") << url;
        }
    }
}

TEST(CanonicalFastPath, RecordsTheSlashesAndTheImplicitEndAsBoundaries) {
    std::string scratch;
    canonical_url c{};
    ASSERT_EQ(detail::canonicalize("file:///abc/de/fghijklmnop", scratch, c), reason_code::none);
    EXPECT_EQ(c.key_tail(), "/abc/de/fghijklmnop");
    EXPECT_EQ(boundaries(c), (std::vector<std::size_t>{0, 4, 7, 19}));
    // A trailing '/' (allowed in http) is the last boundary: there is no implicit end.
    ASSERT_EQ(detail::canonicalize("http://host.example.com/a/", scratch, c), reason_code::none);
    EXPECT_TRUE(c.trailing_slash);
    EXPECT_EQ(boundaries(c), (std::vector<std::size_t>{16, 18}));
    // Rewritten escapes move the '/'s after them; the query is not part of the key.
    ASSERT_EQ(detail::canonicalize("http://h.example.com/a%61/b%2fc/d?x=/y", scratch, c),
              reason_code::none);
    EXPECT_EQ(c.key_tail(), "h.example.com/aa/b%2Fc/d");
    EXPECT_EQ(boundaries(c), (std::vector<std::size_t>{13, 16, 22, 24}));
}

TEST(CanonicalFastPath, RecordsBoundariesUpToTheBitSetsLimitOnly) {
    // The longest key with boundary bits: its implicit end is bit 127.
    const std::string key127 = "/" + std::string(124, 'a') + "/b";
    std::string scratch;
    canonical_url c{};
    ASSERT_EQ(detail::canonicalize("file://" + key127, scratch, c), reason_code::none);
    ASSERT_EQ(c.key_tail().size(), canonical_url::max_bits_key);
    EXPECT_EQ(boundaries(c), (std::vector<std::size_t>{0, 125, 127}));
    // One byte more: no bits; the index finds the '/'s of such keys itself.
    ASSERT_EQ(detail::canonicalize("file://" + key127 + "c", scratch, c), reason_code::none);
    EXPECT_TRUE(boundaries(c).empty());
    std::string url = "file://";
    for (int i = 0; i < 100; ++i) url += "/s" + std::to_string(i);
    ASSERT_EQ(detail::canonicalize(url, scratch, c), reason_code::none);
    EXPECT_TRUE(boundaries(c).empty());
}

}  // namespace
}  // namespace imgstore
