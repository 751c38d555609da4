// bm_resolve: the resolver against its baselines, in one process, over N = 10 .. 10,000 stores.
// Per URL: one std::hash<std::string_view> pass (the floor), upstream's algorithm (glance's
// _get_store_id_from_uri: scheme bucket, first raw starts_with), a naive linear scan of our
// canonical prefixes, our resolver, and our resolver on already-canonical URLs; plus index build
// time and memory per prefix and heap allocations per resolve. Prints a summary table with the
// ratios of issue 3 at the end. A benchmark, not a test: nothing is asserted.
//
// Options (before Google Benchmark's own --benchmark_* flags):
//   --corpus-size=N  (or IMGSTORE_BENCH_CORPUS_SIZE)  URLs per corpus, default 1,000,000
//   --stores=a,b,..  (or IMGSTORE_BENCH_STORES)       store counts, default 10,100,1000,10000
// Each benchmark runs three times (--benchmark_repetitions=3, unless given). Every pass is
// also timed in blocks of 1,000 URLs; the summary's ratios use each block's fastest pass (see
// block_minima), and it prints Google Benchmark's medians beside them.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "corpus.hpp"
#include "imgstore/config.hpp"
#include "imgstore/registry.hpp"
#include "imgstore/resolver.hpp"

// Every heap allocation in this process is counted, so that a pass over a corpus can tell how
// many allocations the resolver made.
namespace {
std::atomic<std::uint64_t> allocation_count{0};

void* counted_alloc(std::size_t n) {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using imgstore::bench::corpus;
using imgstore::bench::store_model;

constexpr std::uint32_t none = 0xFFFFFFFFu;

// glance's _get_store_id_from_uri in C++: urlparse's scheme (lower-cased), the stores
// registered under it in registration order, the first whose raw url_prefix is a starts_with
// of the URL. No canonicalisation, no boundary.
class upstream_matcher {
  public:
    void add(std::string_view scheme, std::string_view prefix, std::uint32_t owner) {
        by_scheme_[std::string(scheme)].push_back({std::string(prefix), owner});
    }

    std::uint32_t resolve(std::string_view url) const {
        char scheme[32];
        std::size_t i = 0;
        for (; i < url.size() && i < sizeof scheme && url[i] != ':'; ++i) {
            const char c = url[i];
            scheme[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
        }
        if (i == url.size() || i == sizeof scheme || url[i] != ':') return none;
        const auto it = by_scheme_.find(std::string_view(scheme, i));
        if (it == by_scheme_.end()) return none;
        for (const entry& e : it->second) {
            if (url.starts_with(e.prefix)) return e.owner;
        }
        return none;
    }

  private:
    struct entry {
        std::string prefix;
        std::uint32_t owner;
    };
    struct hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, std::vector<entry>, hash, std::equal_to<>> by_scheme_;
};

// Every canonical prefix in one list: the longest that the URL starts with, ending at a '/'
// boundary with a non-empty rest. Works on the raw URL (no canonicalisation), so its cost is a
// lower bound for a correct naive matcher.
class naive_matcher {
  public:
    void add(std::string_view prefix, std::uint32_t owner) {
        prefixes_.push_back({std::string(prefix), owner});
    }

    std::uint32_t resolve(std::string_view url) const {
        std::uint32_t best = none;
        std::size_t best_length = 0;
        for (const entry& e : prefixes_) {
            const std::string& p = e.prefix;
            if (p.size() > best_length && url.size() > p.size() && url.starts_with(p) &&
                (p.back() == '/' || url[p.size()] == '/')) {
                best = e.owner;
                best_length = p.size();
            }
        }
        return best;
    }

    std::size_t size() const noexcept { return prefixes_.size(); }

  private:
    struct entry {
        std::string prefix;
        std::uint32_t owner;
    };
    std::vector<entry> prefixes_;
};

// Settings from the command line or the environment.
struct settings {
    std::size_t corpus_size = 1'000'000;
    std::vector<std::size_t> store_counts{10, 100, 1000, 10000};
};

settings g_settings;

// Everything a store count needs; built once per count and dropped when the next one starts
// (corpora of a million URLs are large).
struct world {
    std::size_t n = 0;
    std::vector<store_model> models;
    std::string config_text;
    std::shared_ptr<const imgstore::store_registry> registry;
    std::unique_ptr<imgstore::location_resolver> resolver;
    std::size_t prefixes = 0;  // indexed canonical prefixes
    corpus urls;
    corpus canonical;  // canonical forms of the non-invalid URLs of `urls`
    std::size_t naive_urls = 0;
    upstream_matcher upstream;
    naive_matcher naive;
    // outcome mix of `urls`, and how many URLs upstream attributes differently
    std::size_t matched = 0, no_store = 0, invalid = 0, upstream_differs = 0;
};

std::unique_ptr<world> g_world;

// The per-block minimum. Under a hypervisor that takes the CPU away for a few hundred
// milliseconds at a time (the VM these figures come from: a loop on registers alone runs 11 ms
// a pass and, a few passes in twenty, 300-600 ms), whole-pass times swing by 10x and more,
// medians of three included. Pauses only ever add time, so each pass is timed in blocks of
// 1,000 URLs and every block keeps its fastest time over all the passes of all repetitions: a
// pause spoils the blocks it hits in the pass it hits. The sum of the blocks' minima per URL
// is the estimate (the same for every method, so their ratios compare like with like; it is
// slightly below a typical pass, since each block keeps its luckiest cache state too).
constexpr std::size_t block_urls = 1000;

struct block_minima {
    std::vector<std::uint64_t> best_ns;  // per block; max until timed
    std::size_t urls = 0;

    void keep(std::size_t block, std::uint64_t ns) {
        best_ns[block] = std::min(best_ns[block], ns);
    }
    double ns_per_url() const {
        std::uint64_t sum = 0;
        for (std::uint64_t ns : best_ns) sum += ns;
        return static_cast<double>(sum) / static_cast<double>(std::max<std::size_t>(1, urls));
    }
};

// By method and store count: kept across the repetitions of a benchmark.
std::map<std::pair<std::string, std::size_t>, block_minima> g_block_minima;

block_minima& minima_for(const std::string& method, std::size_t n, std::size_t urls) {
    block_minima& m = g_block_minima[{method, n}];
    if (m.urls != urls) {
        m.urls = urls;
        m.best_ns.assign((urls + block_urls - 1) / block_urls, ~std::uint64_t{0});
    }
    return m;
}

// One pass of `each` over `urls`, each block of block_urls timed into `m`.
template <class Each>
inline void timed_pass(std::span<const std::string_view> urls, block_minima& m, Each&& each) {
    using clock = std::chrono::steady_clock;
    for (std::size_t at = 0, block = 0; at < urls.size(); at += block_urls, ++block) {
        const std::size_t end = std::min(urls.size(), at + block_urls);
        const clock::time_point start = clock::now();
        for (std::size_t i = at; i < end; ++i) each(urls[i]);
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - start);
        m.keep(block, static_cast<std::uint64_t>(ns.count()));
    }
}

// Statistics for the summary, per store count.
struct stats {
    std::map<std::string, double> ns_per_url;  // by method
    double build_ns_per_prefix = 0;
    double registry_ns_per_store = 0;
    double index_bytes_per_prefix = 0;
    double allocs_per_resolve_canonical = -1;
    double allocs_per_resolve_mixed = -1;
    std::size_t prefixes = 0, corpus = 0, canonical = 0, naive_urls = 0;
    double bytes_per_url = 0, bytes_per_canonical_url = 0;
    std::size_t matched = 0, no_store = 0, invalid = 0, upstream_differs = 0;
};
std::map<std::size_t, stats> g_stats;

world& world_for(std::size_t n) {
    if (g_world && g_world->n == n) return *g_world;
    g_world.reset();
    auto w = std::make_unique<world>();
    w->n = n;
    w->models = imgstore::bench::make_stores(n);
    w->config_text = imgstore::bench::make_config_text(w->models);
    imgstore::config_load parsed = imgstore::parse_config(w->config_text, "bench.conf");
    imgstore::load_result loaded = imgstore::store_registry::build(parsed.config);
    if (!loaded.ok()) {
        std::fprintf(stderr, "bm_resolve: the generated config does not load:\n");
        for (const auto& d : loaded.diagnostics) {
            std::fprintf(stderr, "  %s\n", imgstore::to_string(d).c_str());
        }
        std::abort();
    }
    w->registry = loaded.registry;
    w->resolver = std::make_unique<imgstore::location_resolver>(w->registry);

    const auto stores = w->registry->stores();
    for (std::size_t i = 0; i < stores.size(); ++i) {
        const auto owner = static_cast<std::uint32_t>(i);
        if (stores[i].status() == imgstore::store_status::ok) {
            for (const std::string& p : stores[i].url_prefixes()) {
                w->naive.add(p, owner);
                ++w->prefixes;
            }
        }
        // upstream, in registration order (the model order, then the reserved stores)
        if (i < w->models.size()) {
            const auto u = imgstore::bench::make_upstream(w->models[i]);
            for (std::string_view scheme : u.schemes) w->upstream.add(scheme, u.prefix, owner);
        } else if (stores[i].type() == imgstore::store_type::file) {
            const std::string prefix = "file:///var/lib/glance/" + std::string(stores[i].id());
            w->upstream.add("file", prefix, owner);
            w->upstream.add("filesystem", prefix, owner);
        }
    }

    w->urls = imgstore::bench::make_corpus(w->models, g_settings.corpus_size);
    std::string scratch;
    std::vector<std::string> canonical;
    canonical.reserve(w->urls.size());
    for (std::string_view url : w->urls.urls) {
        const imgstore::resolution r = w->resolver->resolve(url, scratch);
        switch (r.status) {
            case imgstore::resolve_status::matched:
                ++w->matched;
                break;
            case imgstore::resolve_status::no_store:
                ++w->no_store;
                break;
            case imgstore::resolve_status::invalid:
                ++w->invalid;
                break;
        }
        const std::uint32_t ours =
            r.owner == nullptr ? none : static_cast<std::uint32_t>(r.owner - stores.data());
        if (w->upstream.resolve(url) != ours) ++w->upstream_differs;
        if (!r.canonical_url.empty()) canonical.emplace_back(r.canonical_url);
    }
    std::size_t next = 0;
    w->canonical =
        corpus::build(canonical.size(), [&](std::string& out) { out = canonical[next++]; });
    // The naive scan costs O(prefixes) per URL: a slice keeps one pass near 5e7 comparisons.
    w->naive_urls =
        std::min(w->urls.size(),
                 std::max<std::size_t>(2000, 50'000'000 / std::max<std::size_t>(1, w->prefixes)));
    stats& s = g_stats[n];
    s.prefixes = w->prefixes;
    s.corpus = w->urls.size();
    s.canonical = w->canonical.size();
    s.naive_urls = w->naive_urls;
    s.bytes_per_url = static_cast<double>(w->urls.arena.size()) /
                      static_cast<double>(std::max<std::size_t>(1, w->urls.size()));
    s.bytes_per_canonical_url = static_cast<double>(w->canonical.arena.size()) /
                                static_cast<double>(std::max<std::size_t>(1, w->canonical.size()));
    s.matched = w->matched;
    s.no_store = w->no_store;
    s.invalid = w->invalid;
    s.upstream_differs = w->upstream_differs;
    s.index_bytes_per_prefix = static_cast<double>(w->resolver->index_bytes()) /
                               static_cast<double>(std::max<std::size_t>(1, w->prefixes));
    g_world = std::move(w);
    return *g_world;
}

void set_per_url(benchmark::State& state, std::size_t urls) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(urls));
    state.counters["ns/URL"] = benchmark::Counter(
        static_cast<double>(urls),
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void bm_floor(benchmark::State& state, std::size_t n, bool canonical) {
    world& w = world_for(n);
    const corpus& c = canonical ? w.canonical : w.urls;
    block_minima& m = minima_for(canonical ? "floor_canonical" : "floor", n, c.size());
    for (auto _ : state) {
        std::size_t h = 0;
        timed_pass(c.urls, m, [&](std::string_view url) {
            h ^= std::hash<std::string_view>{}(url);
            benchmark::DoNotOptimize(h);
        });
    }
    set_per_url(state, c.size());
}

void bm_upstream(benchmark::State& state, std::size_t n) {
    world& w = world_for(n);
    block_minima& m = minima_for("upstream", n, w.urls.size());
    for (auto _ : state) {
        std::uint32_t sink = 0;
        timed_pass(w.urls.urls, m, [&](std::string_view url) {
            sink += w.upstream.resolve(url);
            benchmark::DoNotOptimize(sink);
        });
    }
    set_per_url(state, w.urls.size());
}

void bm_naive(benchmark::State& state, std::size_t n) {
    world& w = world_for(n);
    const auto slice = std::span(w.urls.urls).first(w.naive_urls);
    block_minima& m = minima_for("naive", n, slice.size());
    for (auto _ : state) {
        std::uint32_t sink = 0;
        timed_pass(slice, m, [&](std::string_view url) {
            sink += w.naive.resolve(url);
            benchmark::DoNotOptimize(sink);
        });
    }
    set_per_url(state, slice.size());
}

void bm_resolver(benchmark::State& state, std::size_t n, bool canonical) {
    world& w = world_for(n);
    const corpus& c = canonical ? w.canonical : w.urls;
    const imgstore::location_resolver& resolver = *w.resolver;
    std::string scratch;
    // Warm-up: scratch grows to the longest rewritten URL once, as in a long-running service.
    for (std::string_view url : c.urls) benchmark::DoNotOptimize(resolver.resolve(url, scratch));
    block_minima& m = minima_for(canonical ? "resolver_canonical" : "resolver", n, c.size());
    const std::uint64_t allocs_before = allocation_count.load(std::memory_order_relaxed);
    for (auto _ : state) {
        std::size_t sink = 0;
        timed_pass(c.urls, m, [&](std::string_view url) {
            const imgstore::resolution r = resolver.resolve(url, scratch);
            sink += static_cast<std::size_t>(r.status) + r.canonical_url.size();
            benchmark::DoNotOptimize(sink);
            benchmark::DoNotOptimize(r.owner);
        });
    }
    const std::uint64_t allocs = allocation_count.load(std::memory_order_relaxed) - allocs_before;
    set_per_url(state, c.size());
    const double per = static_cast<double>(allocs) /
                       (static_cast<double>(state.iterations()) * static_cast<double>(c.size()));
    state.counters["allocs/URL"] = per;
    (canonical ? g_stats[n].allocs_per_resolve_canonical : g_stats[n].allocs_per_resolve_mixed) =
        per;
}

void bm_index_build(benchmark::State& state, std::size_t n) {
    world& w = world_for(n);
    for (auto _ : state) {
        imgstore::location_resolver r(w.registry);
        benchmark::DoNotOptimize(r.index_bytes());
    }
    state.counters["ns/prefix"] = benchmark::Counter(
        static_cast<double>(w.prefixes),
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    state.counters["index_B/prefix"] = g_stats[n].index_bytes_per_prefix;
}

void bm_registry_build(benchmark::State& state, std::size_t n) {
    world& w = world_for(n);
    const imgstore::config_load parsed = imgstore::parse_config(w.config_text, "bench.conf");
    for (auto _ : state) {
        imgstore::load_result r = imgstore::store_registry::build(parsed.config);
        benchmark::DoNotOptimize(r.registry.get());
    }
    state.counters["ns/store"] = benchmark::Counter(
        static_cast<double>(w.registry->stores().size()),
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Keeps the per-URL (and per-prefix) figures of every run for the summary.
class summary_reporter : public benchmark::ConsoleReporter {
  public:
    explicit summary_reporter(OutputOptions options) : ConsoleReporter(options) {}

    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            // With repetitions (the default, below) the medians; else the one run.
            const bool wanted = run.run_type == Run::RT_Iteration ? run.repetitions <= 1
                                                                  : run.aggregate_name == "median";
            if (run.error_occurred || !wanted) continue;
            const std::string& name = run.run_name.function_name;
            const std::size_t slash = name.find('/');
            if (slash == std::string::npos) continue;
            const std::string method = name.substr(0, slash);
            const std::size_t n = std::strtoull(name.c_str() + slash + 1, nullptr, 10);
            stats& s = g_stats[n];
            if (auto it = run.counters.find("ns/URL"); it != run.counters.end()) {
                s.ns_per_url[method] = it->second.value * 1e9;
            }
            if (auto it = run.counters.find("ns/prefix"); it != run.counters.end()) {
                s.build_ns_per_prefix = it->second.value * 1e9;
            }
            if (auto it = run.counters.find("ns/store"); it != run.counters.end()) {
                s.registry_ns_per_store = it->second.value * 1e9;
            }
        }
        ConsoleReporter::ReportRuns(runs);
    }
};

// A method's ns per URL at store count n: the medians of Google Benchmark's repetitions, or
// the sums of block minima (block_minima); 0 when it did not run.
double median(std::size_t n, const std::string& method) {
    const auto s = g_stats.find(n);
    if (s == g_stats.end()) return 0.0;
    const auto it = s->second.ns_per_url.find(method);
    return it == s->second.ns_per_url.end() ? 0.0 : it->second;
}

double best(std::size_t n, const std::string& method) {
    const auto it = g_block_minima.find({method, n});
    return it == g_block_minima.end() ? 0.0 : it->second.ns_per_url();
}

std::string ratio_text(double num, double den) {
    if (num <= 0 || den <= 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", num / den);
    return buf;
}

const char* verdict(bool known, bool met) {
    if (!known) return "n/a";
    return met ? "met" : "MISSED";
}

// One table of ns per URL and the ratios, with `ns` giving the figures.
template <class Figure>
void print_times(const char* title, Figure&& ns) {
    std::printf("\n== bm_resolve: %s (ns per URL; corpus %zu URLs per store count) ==\n", title,
                g_settings.corpus_size);
    std::printf("%7s %8s %8s %8s %9s %9s %9s %9s | %8s %8s %9s %9s\n", "N", "prefixes", "floor",
                "upstream", "naive", "resolver", "floor_c", "resolv_c", "res/fl", "resc/flc",
                "naive/res", "upstr/res");
    for (const auto& [n, s] : g_stats) {
        std::printf("%7zu %8zu %8.1f %8.1f %9.1f %9.1f %9.1f %9.1f | %8s %8s %9s %9s\n", n,
                    s.prefixes, ns(n, "floor"), ns(n, "upstream"), ns(n, "naive"),
                    ns(n, "resolver"), ns(n, "floor_canonical"), ns(n, "resolver_canonical"),
                    ratio_text(ns(n, "resolver"), ns(n, "floor")).c_str(),
                    ratio_text(ns(n, "resolver_canonical"), ns(n, "floor_canonical")).c_str(),
                    ratio_text(ns(n, "naive"), ns(n, "resolver")).c_str(),
                    ratio_text(ns(n, "upstream"), ns(n, "resolver")).c_str());
    }
}

void print_summary() {
    print_times("sums of per-block minima, what the targets use", best);
    print_times("medians of the repetitions (whole passes)", median);
    std::printf("\n%7s %9s %8s %8s %9s\n", "N", "allocs_c", "build_ns", "idx_B/p", "reg_ns/s");
    for (const auto& [n, s] : g_stats) {
        std::printf("%7zu %9.3g %8.1f %8.1f %9.0f\n", n, s.allocs_per_resolve_canonical,
                    s.build_ns_per_prefix, s.index_bytes_per_prefix, s.registry_ns_per_store);
    }
    std::printf("\ncorpus mix (our answers): matched / no_store / invalid; upstream differs\n");
    for (const auto& [n, s] : g_stats) {
        const double total = static_cast<double>(std::max<std::size_t>(1, s.corpus));
        std::printf(
            "%7zu  %5.1f%% / %5.1f%% / %5.1f%%; upstream gives another store (or none) "
            "for %5.1f%%; %.1f B/URL; canonical corpus %zu URLs, %.1f B/URL; naive slice %zu "
            "URLs; allocs/URL mixed %.3g\n",
            n, 100.0 * static_cast<double>(s.matched) / total,
            100.0 * static_cast<double>(s.no_store) / total,
            100.0 * static_cast<double>(s.invalid) / total,
            100.0 * static_cast<double>(s.upstream_differs) / total, s.bytes_per_url, s.canonical,
            s.bytes_per_canonical_url, s.naive_urls, s.allocs_per_resolve_mixed);
    }

    std::printf("\ntargets (issue 3; per-block minima):\n");
    for (const auto& [n, s] : g_stats) {
        const double r = best(n, "resolver") / std::max(1e-9, best(n, "floor"));
        const double rc =
            best(n, "resolver_canonical") / std::max(1e-9, best(n, "floor_canonical"));
        const bool k = best(n, "resolver") > 0 && best(n, "floor") > 0;
        const bool kc = best(n, "resolver_canonical") > 0 && best(n, "floor_canonical") > 0;
        std::printf("  N=%-6zu resolver/floor %.2f <= 4: %s; canonical %.2f <= 3: %s\n", n, r,
                    verdict(k, r <= 4), rc, verdict(kc, rc <= 3));
    }
    const auto ran = [](std::size_t n, const char* method) { return best(n, method) > 0; };
    if (ran(10, "resolver") && ran(10, "floor") && ran(10000, "resolver") &&
        ran(10000, "floor")) {
        const double flat = (best(10000, "resolver") / best(10000, "floor")) /
                            (best(10, "resolver") / best(10, "floor"));
        std::printf("  (resolver/floor at N=10000) / (at N=10) = %.3f <= 1.25: %s\n", flat,
                    verdict(true, flat <= 1.25));
    }
    if (g_stats.count(1000) != 0) {
        const double q = best(1000, "naive") / std::max(1e-9, best(1000, "resolver"));
        std::printf("  naive/resolver at N=1000 = %.1f >= 30: %s\n", q,
                    verdict(ran(1000, "naive") && ran(1000, "resolver"), q >= 30));
    }
    if (const auto s10k = g_stats.find(10000); s10k != g_stats.end()) {
        const double q = best(10000, "naive") / std::max(1e-9, best(10000, "resolver"));
        std::printf("  naive/resolver at N=10000 = %.1f >= 300: %s\n", q,
                    verdict(ran(10000, "naive") && ran(10000, "resolver"), q >= 300));
        std::printf("  index memory at N=10000 = %.1f B/prefix <= 160: %s\n",
                    s10k->second.index_bytes_per_prefix,
                    verdict(true, s10k->second.index_bytes_per_prefix <= 160));
    }
    double worst_build = 0;
    double worst_allocs = 0;
    for (const auto& [n, s] : g_stats) {
        worst_build = std::max(worst_build, s.build_ns_per_prefix);
        worst_allocs = std::max(worst_allocs, s.allocs_per_resolve_canonical);
    }
    std::printf("  index build, worst N = %.1f ns/prefix <= 1000: %s\n", worst_build,
                verdict(worst_build > 0, worst_build <= 1000));
    std::printf("  heap allocations per resolve on canonical URLs, worst N = %.3g == 0: %s\n",
                worst_allocs, verdict(worst_allocs >= 0, worst_allocs == 0));
}

std::vector<std::size_t> parse_counts(std::string_view text) {
    std::vector<std::size_t> out;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const std::string item(text.substr(0, comma));
        if (const std::size_t v = std::strtoull(item.c_str(), nullptr, 10); v > 0) {
            out.push_back(v);
        }
        text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (const char* e = std::getenv("IMGSTORE_BENCH_CORPUS_SIZE")) {
        g_settings.corpus_size = std::max<std::size_t>(1, std::strtoull(e, nullptr, 10));
    }
    if (const char* e = std::getenv("IMGSTORE_BENCH_STORES")) {
        if (auto v = parse_counts(e); !v.empty()) g_settings.store_counts = v;
    }
    // Our own flags are taken out before Google Benchmark sees the command line.
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg(argv[i]);
        if (arg.starts_with("--corpus-size=")) {
            g_settings.corpus_size =
                std::max<std::size_t>(1, std::strtoull(argv[i] + 14, nullptr, 10));
        } else if (arg.starts_with("--stores=")) {
            if (auto v = parse_counts(arg.substr(9)); !v.empty()) g_settings.store_counts = v;
        } else {
            argv[kept++] = argv[i];
        }
    }
    argc = kept;
    // Three repetitions of each benchmark unless told otherwise, reported as their mean,
    // median and spread; the summary takes the medians, so that one slow phase of the machine
    // does not make a ratio.
    std::vector<char*> args(argv, argv + argc);
    std::string repetitions = "--benchmark_repetitions=3";
    std::string aggregates = "--benchmark_report_aggregates_only=true";
    if (std::none_of(args.begin(), args.end(), [](const char* a) {
            return std::string_view(a).starts_with("--benchmark_repetitions");
        })) {
        args.push_back(repetitions.data());
        args.push_back(aggregates.data());
    }
    argc = static_cast<int>(args.size());
    args.push_back(nullptr);
    argv = args.data();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    for (std::size_t n : g_settings.store_counts) {
        const std::string suffix = "/" + std::to_string(n);
        const auto unit = benchmark::kMillisecond;
        benchmark::RegisterBenchmark(("floor" + suffix).c_str(), bm_floor, n, false)->Unit(unit);
        benchmark::RegisterBenchmark(("upstream" + suffix).c_str(), bm_upstream, n)->Unit(unit);
        benchmark::RegisterBenchmark(("naive" + suffix).c_str(), bm_naive, n)->Unit(unit);
        benchmark::RegisterBenchmark(("resolver" + suffix).c_str(), bm_resolver, n, false)
            ->Unit(unit);
        benchmark::RegisterBenchmark(("floor_canonical" + suffix).c_str(), bm_floor, n, true)
            ->Unit(unit);
        benchmark::RegisterBenchmark(("resolver_canonical" + suffix).c_str(), bm_resolver, n, true)
            ->Unit(unit);
        benchmark::RegisterBenchmark(("index_build" + suffix).c_str(), bm_index_build, n)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("registry_build" + suffix).c_str(), bm_registry_build, n)
            ->Unit(unit);
    }
    // Colours only on a terminal (a reporter made here does not read --benchmark_color).
    summary_reporter reporter(isatty(STDOUT_FILENO) == 1
                                  ? benchmark::ConsoleReporter::OO_ColorTabular
                                  : benchmark::ConsoleReporter::OO_Tabular);
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    print_summary();
    return 0;
}
