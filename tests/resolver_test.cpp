#include "imgstore/resolver.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/version.hpp>
#include <cstdlib>
#include <map>
#include <new>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "detail/canonical_url.hpp"
#include "detail/prefix_index.hpp"
#include "detail/text.hpp"
#include "imgstore/config.hpp"
#include "imgstore/registry.hpp"
#include "resolve_table.hpp"
#include "test_util.hpp"

// Allocation counting for the zero-allocation test. A sanitizer with its own allocator
// (address, thread, memory: the dev preset runs this under AddressSanitizer) would lose its
// checks if operator new were replaced, so there its allocator's malloc hook counts, which
// sees every operator new and malloc. Elsewhere a replaced global operator new counts.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define IMGSTORE_TEST_SANITIZER_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define IMGSTORE_TEST_SANITIZER_ALLOCATOR 1
#endif
#endif

namespace {
thread_local std::size_t allocations = 0;  // on this thread, since the program started
}  // namespace

#ifdef IMGSTORE_TEST_SANITIZER_ALLOCATOR
#include <sanitizer/allocator_interface.h>

namespace {
void count_sanitizer_allocation(const volatile void*, std::size_t) { ++allocations; }
void ignore_sanitizer_free(const volatile void*) {}
// Before main, on the main thread, as the hooks require; the number of hooks installed, 0 if
// the runtime refused.
const int allocation_hooks =
    __sanitizer_install_malloc_and_free_hooks(count_sanitizer_allocation, ignore_sanitizer_free);
}  // namespace
#else
namespace {
constexpr int allocation_hooks = 1;  // the operator new below
}  // namespace

void* operator new(std::size_t n) {
    ++allocations;
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
// GCC 12 -O3 pairs the inlined malloc with these frees and warns of a mismatch that is not one:
// every operator new of this program is the malloc-based one above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

namespace imgstore {
namespace {

using test::build_registry;
using test::resolve_case;
using test::summary;
using test::table;
using test::table_resolver;
using test::what;
using ::testing::HasSubstr;
using ::testing::Not;

class ResolveCases : public ::testing::TestWithParam<resolve_case> {};

TEST_P(ResolveCases, MatchesTheTable) {
    const resolve_case& c = GetParam();
    const location_resolver& resolver = table_resolver();
    std::string scratch;
    resolution r = resolver.resolve(c.url, scratch);
    EXPECT_EQ(to_string(r.status), c.result) << c.note;
    EXPECT_EQ(what(r), c.store_or_reason) << c.note;
    EXPECT_EQ(r.owner != nullptr, r.status == resolve_status::matched);
    EXPECT_EQ(r.reason == reason_code::none, r.status == resolve_status::matched);
    if (c.canonical != "-") {
        EXPECT_EQ(r.canonical_url, c.canonical) << c.note;
    }
    if (r.status == resolve_status::invalid) {
        EXPECT_TRUE(r.canonical_url.empty());
    }

    // The thread_local overload and explain() agree with it.
    EXPECT_EQ(summary(resolver.resolve(c.url)), summary(r));
    explanation e = resolver.explain(c.url);
    EXPECT_EQ(e.status, r.status);
    EXPECT_EQ(e.reason, r.reason);
    EXPECT_EQ(e.store_id, r.owner ? r.owner->id() : "");
    if (r.status != resolve_status::invalid) {
        EXPECT_EQ(e.canonical_url, r.canonical_url);
    }
}

std::string case_name(const ::testing::TestParamInfo<resolve_case>& info) {
    return "line" + std::to_string(info.param.line);
}

INSTANTIATE_TEST_SUITE_P(Table, ResolveCases, ::testing::ValuesIn(table()), case_name);

TEST(ResolveTable, HasAtLeast150RowsCoveringEveryReasonAndStore) {
    EXPECT_GE(table().size(), 150u);
    std::set<std::string> seen;
    for (const auto& c : table()) seen.insert(c.store_or_reason);
    for (auto code :
         {reason_code::too_long, reason_code::bad_byte, reason_code::bad_percent,
          reason_code::not_absolute, reason_code::bad_scheme, reason_code::bad_userinfo,
          reason_code::bad_host, reason_code::bad_port, reason_code::dot_segment,
          reason_code::empty_segment, reason_code::encoded_separator,
          reason_code::query_not_allowed, reason_code::fragment_not_allowed,
          reason_code::store_root, reason_code::unknown_scheme, reason_code::no_prefix,
          reason_code::ambiguous, reason_code::cinder_legacy, reason_code::user_mismatch}) {
        EXPECT_TRUE(seen.count(std::string(to_string(code)))) << to_string(code);
    }
    for (const store& s : table_resolver().registry().stores()) {
        if (s.status() == store_status::ok) {
            EXPECT_TRUE(seen.count(std::string(s.id()))) << s.id();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Properties over the table.

TEST(LocationResolver, AnswerDoesNotDependOnEnabledBackendsOrder) {
    const location_resolver& base = table_resolver();
    for (unsigned seed : {1u, 7u, 42u, 1234u, 99991u}) {
        std::vector<std::string> order = test::table_backends;
        std::shuffle(order.begin(), order.end(), std::mt19937(seed));
        location_resolver shuffled(build_registry(test::table_config(order)));
        for (const auto& c : table()) {
            EXPECT_EQ(summary(shuffled.resolve(c.url)), summary(base.resolve(c.url)))
                << "seed " << seed << " line " << c.line;
        }
    }
}

TEST(LocationResolver, IsIdempotentOnItsCanonicalOutput) {
    const location_resolver& resolver = table_resolver();
    for (const auto& c : table()) {
        std::string scratch;
        resolution first = resolver.resolve(c.url, scratch);
        if (first.canonical_url.empty()) continue;
        // The user rule reads the userinfo, which the canonical form drops by design.
        if (first.reason == reason_code::user_mismatch) {
            EXPECT_EQ(resolver.resolve(first.canonical_url).status, resolve_status::matched);
            continue;
        }
        const std::string canonical(first.canonical_url);
        std::string scratch2;
        resolution again = resolver.resolve(canonical, scratch2);
        EXPECT_EQ(again.status, first.status) << c.line;
        EXPECT_EQ(again.reason, first.reason) << c.line;
        EXPECT_EQ(again.owner, first.owner) << c.line;
        EXPECT_EQ(again.canonical_url, canonical) << c.line;
        // Canonical input is returned as is: the view points into the input, not scratch.
        EXPECT_EQ(again.canonical_url.data(), canonical.data()) << c.line;
        EXPECT_TRUE(scratch2.empty()) << c.line;
    }
}

// The match key of a canonical URL or prefix: scheme family, "://", authority and path.
std::string match_key(std::string_view url) {
    auto split = detail::split_canonical(url);
    if (!split) return std::string(url);
    std::string_view rest = split->rest.substr(0, split->rest.find('?'));
    return std::string(detail::family_name(detail::family_of(split->scheme))) + "://" +
           std::string(rest);
}

TEST(LocationResolver, AMatchStartsWithAPrefixOfItsOwner) {
    const location_resolver& resolver = table_resolver();
    int checked = 0;
    for (const auto& c : table()) {
        resolution r = resolver.resolve(c.url);
        if (r.status != resolve_status::matched || r.owner->type() == store_type::http) continue;
        const std::string key = match_key(r.canonical_url);
        bool found = false;
        for (const std::string& prefix : r.owner->url_prefixes()) {
            const std::string pk = match_key(prefix);
            found |= key.starts_with(pk) && key.size() > pk.size();
        }
        EXPECT_TRUE(found) << c.url;
        ++checked;
    }
    EXPECT_GT(checked, 50);
}

TEST(LocationResolver, NeverOutputsTheUserinfo) {
    const location_resolver& resolver = table_resolver();
    const std::vector<std::string> urls = {
        "s3+https://AKIDSENTINEL:S3CR3TSENTINEL@s3.example.com/glance/img",
        "s3://AKIDSENTINEL:a/S3CR3TSENTINEL@s3.example.com/glance/img",
        "s3://AKIDSENTINEL:x@S3CR3TSENTINEL@s3.example.com/glance2/img",
        "s3+https://AKIDSENTINEL:S3CR3TSENTINEL@s3.example.com/glance",
        "swift+https://svc%3Aglance:S3CR3TSENTINEL@keystone.example.com/v3/images/img",
        "swift+https://AKIDSENTINEL:S3CR3TSENTINEL@keystone.example.com/v3/images/img",
        "swift+config://AKIDSENTINEL:S3CR3TSENTINEL@ref1/glance/img",
        // Swift keys with a raw '/' (upstream writes them so): read as userinfo to the last '@',
        // never as host, port or path, whatever they look like.
        "swift+https://AKIDSENTINEL:a/S3CR3TSENTINEL@keystone.example.com/v3/images/img",
        "swift://AKIDSENTINEL:443/S3CR3TSENTINEL@keystone.example.com/v3/images/img",
        "swift+http://svc%3Aglance:80/S3CR3TSENTINEL/x@keystone.example.com/v3/images/img",
        "swift://svc%3Aglance:S3CR3TSENTINEL/@keystone.example.com/v3/images/img",
        "s3://AKIDSENTINEL:443/S3CR3TSENTINEL@s3.example.com/glance/img",
        "https://AKIDSENTINEL:S3CR3TSENTINEL@example.com/x",
        "http://AKIDSENTINEL:S3CR3TSENTINEL@example.com/x?q=1",
        "http://AKIDSENTINEL:S3CR3TSENTINEL@h@x/y",
        "cinder://AKIDSENTINEL:S3CR3TSENTINEL@cinder1/x",
        "file://AKIDSENTINEL:S3CR3TSENTINEL@/srv/glance/images/x",
        "rbd://AKIDSENTINEL:S3CR3TSENTINEL@deadbeef/images/x/y",
        "vsphere://AKIDSENTINEL:S3CR3TSENTINEL@vcenter.example.com/folder/openstack_glance/"
        "x?dsName=ds1",
    };
    auto clean = [](std::string_view where, std::string_view text) {
        EXPECT_THAT(std::string(text), Not(HasSubstr("S3CR3TSENTINEL"))) << where;
        EXPECT_THAT(std::string(text), Not(HasSubstr("AKIDSENTINEL"))) << where;
    };
    for (const auto& url : urls) {
        std::string scratch;
        resolution r = resolver.resolve(url, scratch);
        clean("canonical_url", r.canonical_url);
        if (r.owner) clean("owner", r.owner->id());
        if (r.status != resolve_status::invalid) {
            EXPECT_TRUE(r.has_credentials) << url;
        }
        explanation e = resolver.explain(url);
        clean("explain canonical", e.canonical_url);
        clean("explain key", e.match_key);
        clean("explain store", e.store_id);
        for (const auto& s : e.considered) clean("considered", s);
        for (const auto& s : e.hits) clean("hits", s);
    }
    EXPECT_FALSE(resolver.resolve("http://example.com/x").has_credentials);
    EXPECT_TRUE(resolver.resolve("http://u:p@example.com/x").has_credentials);
}

TEST(LocationResolver, ResolvesCanonicalUrlsWithoutAllocating) {
    ASSERT_GT(allocation_hooks, 0) << "the sanitizer refused the allocation hooks";
    const location_resolver& resolver = table_resolver();
    std::string warm;
    warm.reserve(16 * 1024);
    int canonical_inputs = 0;
    for (const auto& c : table()) {
        std::string first_scratch;
        const std::string canonical(resolver.resolve(c.url, first_scratch).canonical_url);
        (void)resolver.resolve(c.url);  // the thread_local buffer grows once, here
        // Canonical input with an empty scratch: nothing may allocate.
        if (!canonical.empty()) {
            std::string scratch;
            const std::size_t before = allocations;
            resolution r = resolver.resolve(canonical, scratch);
            (void)resolver.resolve(canonical);
            EXPECT_EQ(allocations, before) << canonical;
            EXPECT_EQ(r.canonical_url, canonical);
            ++canonical_inputs;
        }
        // Any input with a scratch buffer that has grown: nothing allocates either.
        const std::size_t before = allocations;
        (void)resolver.resolve(c.url, warm);
        EXPECT_EQ(allocations, before) << c.url;
    }
    EXPECT_GT(canonical_inputs, 100);
    // The counter works: explain() allocates, and so does a std::string too long for its
    // small buffer (what an allocation added to resolve() would look like).
    std::size_t before = allocations;
    (void)resolver.explain("file:///srv/glance/images/x");
    EXPECT_GT(allocations, before);
    before = allocations;
    std::string copy(table().front().url);
    EXPECT_GT(allocations, before) << copy.size();
}

// One set of rules (issue 15): a store's location parser accepts a URL only if the resolver
// does not call it invalid. Every row goes to every store whose schemes include the URL's.
TEST(LocationParsers, AcceptOnlyWhatTheResolverDoesNotCallInvalid) {
    const location_resolver& resolver = table_resolver();
    std::size_t accepted = 0, refused_invalid = 0;
    for (const auto& c : table()) {
        const resolution r = resolver.resolve(c.url);
        for (const store& s : resolver.registry().stores()) {
            const result<location> parsed = s.parse_location(c.url);
            if (parsed) {
                ++accepted;
                EXPECT_NE(r.status, resolve_status::invalid)
                    << s.id() << " parses resolve_cases.tsv:" << c.line << ", which is invalid ("
                    << to_string(r.reason) << ")";
            } else if (r.status == resolve_status::invalid &&
                       parsed.error() == make_error_code(errc::bad_uri)) {
                ++refused_invalid;  // a store of the URL's scheme said no
            }
        }
    }
    // Both sides are exercised: many rows parse, and many invalid rows reach a parser of their
    // scheme (which refused them).
    EXPECT_GT(accepted, 100u);
    EXPECT_GT(refused_invalid, 100u);
}

// ---------------------------------------------------------------------------------------------
// Explanations.

TEST(LocationResolver, ExplainListsProbedPrefixesLongestFirstAndEveryHit) {
    explanation e = table_resolver().explain("FILESYSTEM:///srv/glance/images/nested/deeper/IMG");
    EXPECT_EQ(e.status, resolve_status::matched);
    EXPECT_EQ(e.store_id, "nested");
    EXPECT_EQ(e.canonical_url, "filesystem:///srv/glance/images/nested/deeper/IMG");
    EXPECT_EQ(e.match_key, "file:///srv/glance/images/nested/deeper/IMG");
    // Depths of file prefixes here: 4 (/srv/glance/images/, .../images2/), 5 (nested) and 5
    // for the reserved stores (/var/lib/glance/<id>/): only those boundaries are probed.
    EXPECT_THAT(e.considered, ::testing::ElementsAre("file:///srv/glance/images/nested/",
                                                     "file:///srv/glance/images/"));
    EXPECT_THAT(e.hits, ::testing::ElementsAre("nested file:///srv/glance/images/nested/",
                                               "fast file:///srv/glance/images/"));
}

TEST(LocationResolver, ExplainShowsTheStoreRootProbe) {
    explanation e = table_resolver().explain("cinder://cinder1");
    EXPECT_EQ(e.status, resolve_status::invalid);
    EXPECT_EQ(e.reason, reason_code::store_root);
    EXPECT_THAT(e.considered, ::testing::ElementsAre("cinder://cinder1/"));
    EXPECT_THAT(e.hits, ::testing::ElementsAre("cinder1 cinder://cinder1/"));
}

TEST(LocationResolver, ExplainNamesBothVmwareStoresSharingAPrefix) {
    explanation e = table_resolver().explain(
        "vsphere://vcenter.example.com/folder/openstack_glance/IMG?dsName=ds9");
    EXPECT_EQ(e.reason, reason_code::ambiguous);
    EXPECT_EQ(e.hits.size(), 2u);
    EXPECT_THAT(e.hits, ::testing::Contains(HasSubstr("vm1 ")));
    EXPECT_THAT(e.hits, ::testing::Contains(HasSubstr("vm2 ")));
}

TEST(LocationResolver, ExplainOfAnInvalidUrlHasNoCanonicalForm) {
    explanation e = table_resolver().explain("file:///srv/glance/images/../x");
    EXPECT_EQ(e.status, resolve_status::invalid);
    EXPECT_EQ(e.reason, reason_code::dot_segment);
    EXPECT_TRUE(e.canonical_url.empty());
    EXPECT_TRUE(e.considered.empty());
}

// ---------------------------------------------------------------------------------------------
// Registries other than the table's.

std::string small_config(std::string_view backends, std::string_view sections) {
    return "[DEFAULT]\nenabled_backends = " + std::string(backends) +
           "\n[glance_store]\ndefault_backend = fast\n[fast]\nfilesystem_store_datadir = "
           "/srv/a\n" +
           std::string(sections);
}

TEST(LocationResolver, TwoHttpStoresMakeHttpUrlsAmbiguous) {
    location_resolver resolver(build_registry(small_config("fast:file, web:http, web2:http", "")));
    for (const char* url : {"http://example.com/x", "https://example.com/x"}) {
        resolution r = resolver.resolve(url);
        EXPECT_EQ(r.status, resolve_status::no_store) << url;
        EXPECT_EQ(r.reason, reason_code::ambiguous) << url;
        EXPECT_EQ(r.canonical_url, url);
    }
    explanation e = resolver.explain("http://example.com/x");
    EXPECT_EQ(e.hits.size(), 2u);
    EXPECT_EQ(what(resolver.resolve("file:///srv/a/x")), "fast");
}

TEST(LocationResolver, SchemesOfNoConfiguredStoreAreUnknown) {
    location_resolver resolver(build_registry(small_config("fast:file", "")));
    for (const char* url : {"http://example.com/x", "s3://h/b/k", "cinder://x/y",
                            "swift+config://ref1/c/o", "vsphere://h/folder/x?dsName=a"}) {
        resolution r = resolver.resolve(url);
        EXPECT_EQ(r.status, resolve_status::no_store) << url;
        EXPECT_EQ(r.reason, reason_code::unknown_scheme) << url;
        EXPECT_TRUE(r.canonical_url.empty());
    }
    EXPECT_EQ(what(resolver.resolve("filesystem:///srv/a/x")), "fast");
}

TEST(LocationResolver, HonoursTheConfiguredSizeLimit) {
    location_resolver resolver(build_registry(small_config("fast:file", "")),
                               {.max_url_bytes = 16});
    EXPECT_EQ(resolver.resolve("file:///srv/a/xyz").status, resolve_status::invalid);  // 17
    EXPECT_EQ(resolver.resolve("file:///srv/a/xyz").reason, reason_code::too_long);
    EXPECT_EQ(resolver.resolve("file:///srv/a/xy").status, resolve_status::matched);  // 16
    // 16 bytes whose canonical form is 18 (found by resolve_fuzz: the canonical form must fit
    // too, or resolving it again would give a different answer).
    EXPECT_EQ(resolver.resolve("file:///srv/a/x`").reason, reason_code::too_long);
}

// A store directory longer than the keys a canonical URL records boundary bits for (127
// bytes): the index walks the key instead of hashing from the bits, with the same answers.
TEST(LocationResolver, MatchesUnderDirectoriesLongerThanKeysWithBoundaryBits) {
    std::string deep = "/srv";
    for (int i = 0; i < 70; ++i) deep += "/d" + std::to_string(i);
    location_resolver resolver(build_registry(
        small_config("fast:file, deep:file", "[deep]\nfilesystem_store_datadir = " + deep + "\n")));
    EXPECT_EQ(what(resolver.resolve("file://" + deep + "/img")), "deep");
    EXPECT_EQ(what(resolver.resolve("file://" + deep + "/x/y/img")), "deep");
    EXPECT_EQ(what(resolver.resolve("file://" + deep + "0/img")), "no_prefix");
    EXPECT_EQ(resolver.resolve("file://" + deep).reason, reason_code::store_root);
    EXPECT_EQ(what(resolver.resolve("file:///srv/a/d1/img")), "fast");
}

TEST(LocationResolver, RefusesANullRegistryWithAClearError) {
    // A load that failed leaves a null registry: building on it says so (it crashed before).
    config_load parsed = parse_config("[DEFAULT]\nenabled_backends = fast:floppy\n");
    load_result failed = store_registry::build(parsed.config);
    ASSERT_FALSE(failed.ok());
    for (const auto& registry : {failed.registry, std::shared_ptr<const store_registry>()}) {
        try {
            const location_resolver resolver(registry);
            ADD_FAILURE() << "a resolver was built on a null registry";
        } catch (const std::invalid_argument& e) {
            EXPECT_THAT(e.what(), HasSubstr("null registry"));
            EXPECT_THAT(e.what(), HasSubstr("load_result::ok()"));
        }
    }
}

TEST(LocationResolver, KeepsTheRegistryAlive) {
    std::optional<location_resolver> resolver;
    {
        auto registry = build_registry(small_config("fast:file", ""));
        resolver.emplace(registry);
    }
    EXPECT_EQ(resolver->registry().stores().size(), 3u);
    EXPECT_EQ(resolver->registry_ptr().use_count(), 1);
    EXPECT_EQ(what(resolver->resolve("file:///srv/a/x")), "fast");
    location_resolver moved(std::move(*resolver));
    EXPECT_EQ(what(moved.resolve("file:///srv/a/x")), "fast");
}

TEST(LocationResolver, SeededSwiftContainersBelongToTheAccount) {
    location_resolver resolver(build_registry(small_config("fast:file, sw:swift", R"(
[sw]
swift_store_auth_address = https://ks.example.com/v3
swift_store_user = svc
swift_store_key = k
swift_store_multiple_containers_seed = 2
)")));
    resolution r = resolver.resolve("swift+https://svc:k@ks.example.com/v3/glance_ab/IMG");
    ASSERT_EQ(r.status, resolve_status::matched);
    EXPECT_EQ(r.owner->id(), "sw");
    EXPECT_EQ(resolver.resolve("swift+https://bob:k@ks.example.com/v3/glance_ab/IMG").reason,
              reason_code::user_mismatch);
}

TEST(LocationResolver, ReportsIndexMemoryWithinTargetAtTenThousandStores) {
    std::string backends = "fast:file";
    std::string sections;
    for (int i = 0; i < 9999; ++i) {
        backends += ", f" + std::to_string(i) + ":file";
        sections += "[f" + std::to_string(i) + "]\nfilesystem_store_datadir = /srv/glance/pool" +
                    std::to_string(i % 97) + "/images-" + std::to_string(i) + "\n";
    }
    location_resolver resolver(build_registry(small_config(backends, sections)));
    const std::size_t prefixes = 10000 + 2;  // and the reserved stores
    EXPECT_LE(resolver.index_bytes(), 160 * prefixes) << resolver.index_bytes();
    EXPECT_EQ(what(resolver.resolve("file:///srv/glance/pool5/images-5/x")), "f5");
    EXPECT_EQ(resolver.resolve("file:///srv/glance/pool5/images-6/x").reason,
              reason_code::no_prefix);
}

// ---------------------------------------------------------------------------------------------
// Differential test: the index against a plain loop over every store's prefixes.

struct brute_answer {
    resolve_status status;
    reason_code reason;
    std::string store;
};

// Every resolvable store's prefixes as match keys, in registration order.
std::vector<std::pair<std::string, const store*>> all_prefix_keys(const store_registry& registry) {
    std::vector<std::pair<std::string, const store*>> out;
    for (const store& s : registry.stores()) {
        if (s.status() != store_status::ok) continue;
        for (const std::string& prefix : s.url_prefixes()) out.emplace_back(match_key(prefix), &s);
    }
    return out;
}

brute_answer brute_force(const std::vector<std::pair<std::string, const store*>>& prefixes,
                         std::string_view url) {
    std::string scratch;
    detail::canonical_url c{};
    reason_code code = detail::canonicalize(url, scratch, c);
    if (code != reason_code::none) {
        return {code == reason_code::unknown_scheme ? resolve_status::no_store
                                                    : resolve_status::invalid,
                code, ""};
    }
    const std::string key =
        std::string(detail::family_name(c.family)) + "://" + std::string(c.key_tail());
    const store* best = nullptr;
    std::size_t best_length = 0;
    for (const auto& [pk, owner] : prefixes) {
        const bool below = key.starts_with(pk);
        const bool root = pk.size() == key.size() + 1 && pk.starts_with(key);  // key + "/"
        if ((below || root) && pk.size() > best_length) {
            best = owner;
            best_length = pk.size();
        }
    }
    if (c.trailing_slash) {
        return {resolve_status::invalid,
                best && best_length == key.size() ? reason_code::store_root
                                                  : reason_code::empty_segment,
                ""};
    }
    if (!best) {
        std::string_view tail = c.key_tail();
        if (c.family == detail::scheme_family_id::cinder && tail.find('/') == tail.npos &&
            detail::is_uuid(tail) && tail.find_first_of("ABCDEF") == tail.npos) {
            return {resolve_status::no_store, reason_code::cinder_legacy, ""};
        }
        return {resolve_status::no_store, reason_code::no_prefix, ""};
    }
    if (best_length > key.size()) return {resolve_status::invalid, reason_code::store_root, ""};
    return {resolve_status::matched, reason_code::none, std::string(best->id())};
}

std::string brute_summary(const brute_answer& a) {
    return std::string(to_string(a.status)) + " " +
           (a.store.empty() ? std::string(to_string(a.reason)) : a.store);
}

class differential {
  public:
    explicit differential(unsigned seed) : rng_(seed) {}

    std::string pick(const std::vector<std::string>& v) { return v[below(v.size())]; }
    std::size_t below(std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
    }

    // A registry of file stores with random (often nested) dirs, cinder stores and rbd pools.
    std::string config() {
        std::set<std::string> dirs;
        while (dirs.size() < 200) {
            std::string dir;
            const std::size_t depth = 1 + below(5);
            for (std::size_t d = 0; d < depth; ++d) dir += "/" + pick(words_);
            dirs.insert(dir);
        }
        // A few very deep directories exercise the index's passes beyond 64 boundaries.
        for (std::size_t depth : {63u, 64u, 65u, 70u, 130u}) {
            std::string dir;
            for (std::size_t d = 0; d < depth; ++d) dir += "/" + pick(words_);
            dirs.insert(dir);
        }
        std::string backends = "fast:file";
        std::string sections = "[fast]\nfilesystem_store_datadir = /fast\n";
        int i = 0;
        for (const auto& dir : dirs) {
            const std::string id = "f" + std::to_string(i++);
            backends += ", " + id + ":file";
            sections += "[" + id + "]\nfilesystem_store_datadir = " + dir + "\n";
            prefixes_.push_back("file://" + dir + "/");
        }
        for (int c = 0; c < 30; ++c) {
            const std::string id = "cin" + std::to_string(c * 7);
            backends += ", " + id + ":cinder";
            prefixes_.push_back("cinder://" + id + "/");
        }
        std::set<std::pair<std::string, std::string>> pools;
        while (pools.size() < 30) pools.emplace(pick(fsids_), pick(words_));
        int r = 0;
        for (const auto& [fsid, pool] : pools) {
            const std::string id = "rbd" + std::to_string(r++);
            backends += ", " + id + ":rbd";
            sections +=
                "[" + id + "]\nrbd_store_fsid = " + fsid + "\nrbd_store_pool = " + pool + "\n";
            prefixes_.push_back("rbd://" + fsid + "/" + pool + "/");
        }
        return "[DEFAULT]\nenabled_backends = " + backends +
               "\n[glance_store]\ndefault_backend = fast\n" + sections;
    }

    // A URL near some prefix: below it, at it, beside it, above it, or mangled.
    std::string url() {
        std::string u = pick(prefixes_);
        switch (below(10)) {
            case 0:
                u.pop_back();
                break;  // the root, no '/'
            case 1:
                break;  // the root with '/'
            case 2:
                u.pop_back();
                u += pick(words_) + "/x";
                break;  // sibling suffix
            case 3:
                u = u.substr(0, u.rfind('/', u.size() - 2) + 1) + "x";
                break;  // parent
            case 4:
                u += pick(words_) + "/";
                break;  // trailing '/' below
            case 5: {   // upper-case or escaped byte
                const std::size_t at = u.find("://") + 3 + below(u.size() - u.find("://") - 3);
                if (u[at] >= 'a' && u[at] <= 'z') u[at] = static_cast<char>(u[at] - 32);
                if (u[at] >= '0' && u[at] <= '9') u.replace(at, 1, "%3" + std::string(1, u[at]));
                u += "IMG";
                break;
            }
            case 6:
                u = u.substr(0, u.find("://")) + "://" + pick(fsids_);
                break;  // bare
            default: {
                const std::size_t n = 1 + below(3);
                for (std::size_t k = 0; k < n; ++k) u += (k ? "/" : "") + pick(words_);
            }
        }
        if (u.starts_with("file://") && below(4) == 0) u.replace(0, 4, "filesystem");
        if (u.starts_with("cinder://") && below(4) == 0) u = "cinder://" + pick(uuids_);
        return u;
    }

  private:
    std::mt19937 rng_;
    std::vector<std::string> prefixes_;
    const std::vector<std::string> words_ = {"a", "b",      "ab",     "images", "images2", "img",
                                             "x", "glance", "nested", "a.b",    "cin7",    "cin70"};
    const std::vector<std::string> fsids_ = {"c0ffee00-0000-4000-8000-000000000001",
                                             "c0ffee00-0000-4000-8000-000000000002",
                                             "deadbeef-0000-4000-8000-00000000000a"};
    const std::vector<std::string> uuids_ = {"db457a25-8f16-4b2c-a644-eae8d17fe224",
                                             "DB457A25-8F16-4B2C-A644-EAE8D17FE224"};
};

TEST(PrefixIndex, AgreesWithABruteForceMatcherOnGeneratedRegistries) {
    for (unsigned seed : {3u, 17u, 2024u}) {
        differential gen(seed);
        auto registry = build_registry(gen.config());
        ASSERT_NE(registry, nullptr);
        location_resolver resolver(registry);
        const auto prefixes = all_prefix_keys(*registry);
        std::map<std::string, int> outcomes;
        for (int i = 0; i < 4000; ++i) {
            const std::string url = gen.url();
            const brute_answer want = brute_force(prefixes, url);
            const resolution got = resolver.resolve(url);
            const std::string got_summary = std::string(to_string(got.status)) + " " + what(got);
            EXPECT_EQ(got_summary, brute_summary(want)) << "seed " << seed << ": " << url;
            ++outcomes[want.status == resolve_status::matched ? "matched" : brute_summary(want)];
        }
        // The corpus exercises every kind of answer.
        EXPECT_GT(outcomes["matched"], 500) << seed;
        EXPECT_GT(outcomes["no_store no_prefix"], 100) << seed;
        EXPECT_GT(outcomes["invalid store_root"], 100) << seed;
        EXPECT_GT(outcomes["invalid empty_segment"], 100) << seed;
        EXPECT_GT(outcomes["no_store cinder_legacy"], 10) << seed;
    }
}

// ---------------------------------------------------------------------------------------------
// The index on its own.

TEST(PrefixIndex, FindsTheLongestBoundaryPrefix) {
    using detail::scheme_family_id;
    const std::vector<detail::prefix_entry> entries = {
        {scheme_family_id::file, "/a/", 0},
        {scheme_family_id::file, "/a/b/", 1},
        {scheme_family_id::rbd, "/a/b/c/", 2},  // another family: never a file answer
        {scheme_family_id::file, "/a/b/", 3},   // same key twice: one group
    };
    detail::prefix_index index(entries);
    EXPECT_EQ(index.size(), 3u);
    auto m = index.longest(scheme_family_id::file, "/a/b/c/d", true);
    ASSERT_TRUE(m);
    EXPECT_EQ(m.length, 5u);
    EXPECT_THAT(m.owners, ::testing::ElementsAre(1u, 3u));
    m = index.longest(scheme_family_id::file, "/a/bc", true);
    ASSERT_TRUE(m);
    EXPECT_EQ(m.length, 3u);
    m = index.longest(scheme_family_id::file, "/a/b", true);  // implicit end: "/a/b/"
    ASSERT_TRUE(m);
    EXPECT_EQ(m.length, 5u);
    m = index.longest(scheme_family_id::file, "/a/b", false);
    ASSERT_TRUE(m);
    EXPECT_EQ(m.length, 3u);
    EXPECT_FALSE(index.longest(scheme_family_id::file, "/b/a/b/c", true));
    EXPECT_FALSE(index.longest(scheme_family_id::cinder, "/a/b/c", true));
    EXPECT_FALSE(detail::prefix_index().longest(scheme_family_id::file, "/a/b", true));
}

// Keys of up to 127 bytes are probed from their boundary bits, longer ones by a walk: both
// find prefixes at every depth.
TEST(PrefixIndex, FindsPrefixesInShortAndLongKeys) {
    using detail::scheme_family_id;
    auto deep = [](std::size_t depth) {
        std::string key;
        for (std::size_t d = 0; d < depth; ++d) key += "s" + std::to_string(d % 10) + "/";
        return key;
    };
    const std::string k10 = deep(10), k70 = deep(70), k130 = deep(130);
    const std::vector<detail::prefix_entry> entries = {{scheme_family_id::file, k10, 10},
                                                       {scheme_family_id::file, k70, 70},
                                                       {scheme_family_id::file, k130, 130}};
    detail::prefix_index index(entries);
    for (std::size_t depth : {11u, 50u, 69u, 71u, 100u, 129u, 131u, 200u, 300u}) {
        const std::string url_key = deep(depth) + "IMG";
        const std::uint32_t want = depth > 130 ? 130 : depth > 70 ? 70 : 10;
        auto m = index.longest(scheme_family_id::file, url_key, true);
        ASSERT_TRUE(m) << depth;
        EXPECT_EQ(m.owners.front(), want) << depth;
        EXPECT_EQ(m.length, deep(want).size()) << depth;
    }
    // The implicit end boundary at depth 71 and 131: the stores' roots.
    EXPECT_EQ(index.longest(scheme_family_id::file, k70.substr(0, k70.size() - 1), true).length,
              k70.size());
    EXPECT_EQ(index.longest(scheme_family_id::file, k130.substr(0, k130.size() - 1), true).length,
              k130.size());
    EXPECT_FALSE(index.longest(scheme_family_id::file, "t/" + k130 + "IMG", true));
    // Only the depth-10 prefix matches a 160-deep key: found by a later pass.
    auto m = index.longest(scheme_family_id::file, k10 + "x/" + deep(150) + "IMG", true);
    ASSERT_TRUE(m);
    EXPECT_EQ(m.owners.front(), 10u);
}

TEST(PrefixIndex, FindsPrefixesOfOverflowingBuckets) {
    // 40 prefixes make a table of 8 buckets of 8 slots (at most six prefixes per bucket on
    // average), chosen by the hash's top three bits. Twenty of them are chosen to hash to
    // bucket 0, which overflows into the next ones: every prefix must still be found, and
    // absent keys of bucket 0 must not be. With 100-byte keys, the records of a bucket also
    // overflow its block (256 bytes of records) into the area after the blocks.
    using detail::scheme_family_id;
    const auto bucket_of = [](const std::string& key) {
        return detail::prefix_hash(scheme_family_id::file, key.data(), key.size(),
                                   key.size() - 1) >>
               61;
    };
    for (const std::size_t padding : {0u, 90u}) {
        std::vector<std::string> crowded, others, absent;
        for (int i = 0; crowded.size() < 20 || others.size() < 20 || absent.size() < 20; ++i) {
            const std::string key =
                "/images-" + std::string(padding, 'x') + std::to_string(i) + "/";
            if (bucket_of(key) != 0) {
                if (others.size() < 20) others.push_back(key);
            } else if (crowded.size() < 20) {
                crowded.push_back(key);
            } else if (absent.size() < 20) {
                absent.push_back(key);
            }
        }
        std::vector<detail::prefix_entry> entries;
        for (const auto* keys : {&crowded, &others}) {
            for (const std::string& key : *keys) {
                entries.push_back(
                    {scheme_family_id::file, key, static_cast<std::uint32_t>(entries.size())});
            }
        }
        const detail::prefix_index index(entries);
        ASSERT_EQ(index.size(), 40u);
        for (const detail::prefix_entry& e : entries) {
            const std::string url_key = std::string(e.key) + "IMG";
            const auto m = index.longest(scheme_family_id::file, url_key, true);
            ASSERT_TRUE(m) << e.key;
            EXPECT_EQ(m.length, e.key.size()) << e.key;
            EXPECT_EQ(m.owners.front(), e.owner) << e.key;
        }
        for (const std::string& key : absent) {
            EXPECT_FALSE(index.longest(scheme_family_id::file, key + "IMG", true)) << key;
        }
    }
}

TEST(PrefixIndex, FindsPrefixesOfEveryLengthAroundTheLengthFilter) {
    // Candidates of a length no prefix has are not probed; lengths from 127 on share one
    // filter bit. Prefixes of 120-135 bytes, each with a sibling one byte longer absent.
    using detail::scheme_family_id;
    std::vector<std::string> keys;
    for (std::size_t length = 120; length <= 135; length += 3) {
        keys.push_back("/" + std::string(length - 2, 'a' + static_cast<char>(length % 26)) + "/");
    }
    std::vector<detail::prefix_entry> entries;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        entries.push_back({scheme_family_id::file, keys[i], static_cast<std::uint32_t>(i)});
    }
    const detail::prefix_index index(entries);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto m = index.longest(scheme_family_id::file, keys[i] + "IMG", true);
        ASSERT_TRUE(m) << keys[i].size();
        EXPECT_EQ(m.owners.front(), i);
        const std::string longer = keys[i].substr(0, keys[i].size() - 1) + "b/IMG";
        EXPECT_FALSE(index.longest(scheme_family_id::file, longer, true)) << keys[i].size();
    }
}

TEST(PrefixIndex, FindsPrefixesAtTheEdgeOfTheBoundaryBits) {
    // Keys of 127 bytes (the last with boundary bits, bit 127 being the implicit end) and 128
    // (walked), around prefixes of 125-129 bytes; the length filter's bit 127 stands for 127
    // bytes and more.
    using detail::scheme_family_id;
    const auto prefix = [](std::size_t length) {
        return "/" + std::string(length - 2, static_cast<char>('a' + length % 26)) + "/";
    };
    std::vector<std::string> keys;
    for (std::size_t length = 125; length <= 129; ++length) keys.push_back(prefix(length));
    std::vector<detail::prefix_entry> entries;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        entries.push_back({scheme_family_id::file, keys[i], static_cast<std::uint32_t>(i)});
    }
    const detail::prefix_index index(entries);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const std::string& key = keys[i];
        const auto under = index.longest(scheme_family_id::file, key + "b", true);
        ASSERT_TRUE(under) << key.size();
        EXPECT_EQ(under.owners.front(), i);
        EXPECT_EQ(under.length, key.size());
        // The store's root itself: the implicit end is the candidate.
        const auto root =
            index.longest(scheme_family_id::file, key.substr(0, key.size() - 1), true);
        ASSERT_TRUE(root) << key.size();
        EXPECT_EQ(root.length, key.size());
        EXPECT_FALSE(index.longest(scheme_family_id::file, key.substr(0, key.size() - 1), false));
        EXPECT_FALSE(index.longest(scheme_family_id::file, "/" + key.substr(2) + "b", true));
    }
}

TEST(PrefixIndex, StaysWithin160BytesPerPrefixAtTenThousand) {
    std::vector<std::string> keys;
    for (int i = 0; i < 10000; ++i) {
        keys.push_back("/var/lib/glance/pool-" + std::to_string(i % 100) + "/images-" +
                       std::to_string(i) + "/");
    }
    std::vector<detail::prefix_entry> entries;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        entries.push_back({detail::scheme_family_id::file, keys[i], static_cast<std::uint32_t>(i)});
    }
    detail::prefix_index index(entries);
    EXPECT_EQ(index.size(), 10000u);
    EXPECT_LE(index.bytes(), 160u * 10000u);
    for (std::size_t i = 0; i < keys.size(); i += 37) {
        auto m = index.longest(detail::scheme_family_id::file, keys[i] + "IMG", true);
        ASSERT_TRUE(m);
        EXPECT_EQ(m.owners.front(), i);
    }
}

// ---------------------------------------------------------------------------------------------
// Boost.URL 1.81: where our canonical form and Boost's parser agree, and the defects we guard.

TEST(BoostUrl, ParsesEveryMatchedCanonicalUrlAsWeDo) {
    const location_resolver& resolver = table_resolver();
    for (const auto& c : table()) {
        resolution r = resolver.resolve(c.url);
        if (r.status != resolve_status::matched || c.note.find("boost-guard") != c.note.npos) {
            continue;
        }
        std::string scratch;
        detail::canonical_url ours{};
        ASSERT_EQ(detail::canonicalize(r.canonical_url, scratch, ours), reason_code::none);
        auto parsed = boost::urls::parse_uri(r.canonical_url);
        ASSERT_TRUE(parsed) << r.canonical_url;
        EXPECT_EQ(parsed->encoded_host_and_port(),
                  ours.canonical.substr(ours.tail, ours.path - ours.tail))
            << r.canonical_url;
        EXPECT_EQ(parsed->encoded_path(),
                  ours.canonical.substr(ours.path, ours.path_end - ours.path))
            << r.canonical_url;
        EXPECT_EQ(parsed->encoded_query(), ours.query) << r.canonical_url;
    }
}

TEST(BoostUrl, Version181DefectsThatTheCanonicaliserGuardsStillExist) {
    if (BOOST_VERSION != 108100) GTEST_SKIP() << "guards documented for Boost 1.81";
    // An IPv4 prefix of a longer name is read as an IPv4 host and a path not starting '/'.
    auto u = boost::urls::parse_uri("http://1.2.3.4.example.com/x");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host_type(), boost::urls::host_type::ipv4);
    EXPECT_EQ(u->encoded_path(), ".example.com/x");
    // normalize() decodes %2F into a separator ...
    boost::urls::url n = *boost::urls::parse_uri("http://h/a%2Fb");
    n.normalize();
    EXPECT_EQ(n.buffer(), "http://h/a/b");
    // ... and can invent an authority.
    n = *boost::urls::parse_uri("http:/%2Fevil.com/x");
    n.normalize();
    EXPECT_EQ(n.buffer(), "http://evil.com/x");
    // Our answers for the same inputs (also rows of the table).
    const location_resolver& resolver = table_resolver();
    EXPECT_EQ(resolver.resolve("http://1.2.3.4.example.com/x").canonical_url,
              "http://1.2.3.4.example.com/x");
    EXPECT_EQ(resolver.resolve("http://h/a%2Fb").canonical_url, "http://h/a%2Fb");
    EXPECT_EQ(resolver.resolve("http:/%2Fevil.com/x").reason, reason_code::not_absolute);
}

// ---------------------------------------------------------------------------------------------

TEST(ReasonCode, NamesAreStable) {
    EXPECT_EQ(to_string(reason_code::none), "matched");
    EXPECT_EQ(to_string(reason_code::store_root), "store_root");
    EXPECT_EQ(to_string(reason_code::cinder_legacy), "cinder_legacy");
    EXPECT_EQ(to_string(resolve_status::no_store), "no_store");
    EXPECT_EQ(to_string(resolve_status::invalid), "invalid");
}

}  // namespace
}  // namespace imgstore
