// imgstore_gen_images: deterministic inputs for imgstore and its benchmarks, for the stores of
// examples/glance-api.conf.
//
//   imgstore_gen_images --example            examples/images.jsonl (every kind of location)
//   imgstore_gen_images --records N [--seed S]   N image records (JSON Lines) for `stamp`
//   imgstore_gen_images --urls N [--seed S]      N location URLs, one per line, for `resolve`
//
// Output goes to stdout. The same arguments always give the same bytes (own PRNG, no
// std::*_distribution, whose results differ between standard libraries).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

// splitmix64: small, fast, and the same everywhere.
class rng {
  public:
    explicit rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    std::string uuid() {
        static constexpr char hex[] = "0123456789abcdef";
        std::uint64_t a = next();
        std::uint64_t b = next();
        std::string out;
        out.reserve(36);
        for (int i = 0; i < 32; ++i) {
            std::uint64_t& src = i < 16 ? a : b;
            unsigned nibble = static_cast<unsigned>(src & 0xF);
            src >>= 4;
            if (i == 12) nibble = 4;                 // version 4
            if (i == 16) nibble = 8 | (nibble & 3);  // RFC 4122 variant
            if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
            out += hex[nibble];
        }
        return out;
    }

  private:
    std::uint64_t state_;
};

// The example config's stores (examples/glance-api.conf, examples/ceph/*.conf,
// examples/glance-swift.conf) and the volumes of examples/volume-types.tsv.
constexpr std::string_view fsid_a = "5c3b2a3e-8d4f-4c1a-9e2b-1f0a7d6c5b4a";
constexpr std::string_view fsid_b = "A1B2C3D4-E5F6-4789-8ABC-DEF012345678";
constexpr std::string_view volume_ssd = "0d5b8c1e-2f3a-4b6c-8d9e-0f1a2b3c4d5e";
constexpr std::string_view volume_standard = "7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9";
constexpr std::string_view volume_unknown = "9a8b7c6d-5e4f-4321-8fed-cba987654321";

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

struct loc {
    std::string url;
    std::string metadata = "{}";  // raw JSON
};

// One image record in the shape of Glance's image API (Python json.dumps separators).
std::string record(std::string_view id,
                   std::string_view name,
                   const std::vector<loc>& locations,
                   std::uint64_t size,
                   std::string_view extra = {}) {
    std::string out = "{\"id\": " + json_string(id) + ", \"name\": " + json_string(name) +
                      ", \"status\": \"active\", \"disk_format\": \"qcow2\", "
                      "\"container_format\": \"bare\", \"size\": " +
                      std::to_string(size) + ", \"visibility\": \"public\", \"locations\": [";
    for (std::size_t i = 0; i < locations.size(); ++i) {
        if (i > 0) out += ", ";
        out += "{\"url\": " + json_string(locations[i].url) +
               ", \"metadata\": " + locations[i].metadata + "}";
    }
    out += "]";
    if (!extra.empty()) out += ", " + std::string(extra);
    return out + "}\n";
}

std::string store_md(std::string_view store) { return "{\"store\": " + json_string(store) + "}"; }

// examples/images.jsonl: one record per kind of location, a few with several, and malformed
// lines. The comment in each name says what imgstore stamp does with it.
void example(std::string& out) {
    rng r(4);
    const auto add = [&](std::string_view name, std::vector<loc> locations,
                         std::string_view extra = {}) {
        const std::string id = r.uuid();
        for (auto& l : locations) {
            const auto at = l.url.find("@ID@");
            if (at != std::string::npos) l.url.replace(at, 4, id);
        }
        out += record(id, name, locations, 10'000'000 + r.below(900'000'000), extra);
    };
    add("legacy file, first datadir: stamped fast", {{"file:///var/lib/glance/images/@ID@"}});
    add("legacy file, sibling directory images2: stamped archive (upstream: fast)",
        {{"file:///var/lib/glance/images2/@ID@"}});
    add("legacy file, second datadir of fast: stamped fast (upstream: never)",
        {{"file:///srv/glance/images/@ID@"}});
    add("upper-case scheme: stamped fast", {{"FILE:///var/lib/glance/images/@ID@"}});
    add("filesystem:// alias: stamped archive", {{"filesystem:///var/lib/glance/images2/@ID@"}});
    add("percent-encoded path (%69 is i): stamped fast",
        {{"file:///var/lib/glance/%69mages/@ID@"}});
    add("rbd, cluster A: stamped ceph-a", {{"rbd://" + std::string(fsid_a) + "/images/@ID@/snap"}});
    add("rbd, cluster B, upper-case fsid: stamped ceph-b",
        {{"rbd://" + std::string(fsid_b) + "/images/@ID@/snap"}});
    add("rbd, legacy one-part form: no_store", {{"rbd://@ID@"}});
    add("s3 with credentials (raw / in the secret): stamped objects",
        {{"s3://EXAMPLEACCESSKEY:example/secret+key@s3.example.com/glance/@ID@"}});
    add("s3+https, upper-case host: stamped objects", {{"s3+https://S3.EXAMPLE.COM/glance/@ID@"}});
    add("swift+config reference: stamped swift", {{"swift+config://ref1/glance/@ID@"}});
    add("swift with inline credentials: stamped swift",
        {{"swift+https://service%3Aglance:SWIFT_EXAMPLE_KEY@keystone.example.com:5000/v3/glance/"
          "@ID@"}});
    add("cinder, current form, store set: already set",
        {{"cinder://volumes/" + std::string(volume_ssd), store_md("volumes")}});
    add("legacy cinder, volume type glance-ssd: stamped volumes, URL rewritten",
        {{"cinder://" + std::string(volume_ssd)}});
    add("legacy cinder, volume type standard: no_store",
        {{"cinder://" + std::string(volume_standard)}});
    add("legacy cinder, volume not in the map: no_store",
        {{"cinder://" + std::string(volume_unknown)}});
    add("vsphere: stamped vcenter", {{"vsphere://vcenter.example.com/folder/openstack_glance/"
                                      "@ID@?dcPath=dc1&dsName=datastore1"}});
    add("https with credentials: stamped web",
        {{"https://mirror:MIRROR_PASS@images.example.org/cirros-0.6.2-x86_64-disk.img"}});
    add("stale store id (renamed store): stamped fast, old id reported",
        {{"file:///var/lib/glance/images/@ID@", store_md("old-ssd")}});
    add("store already set: unchanged",
        {{"file:///var/lib/glance/images2/@ID@", store_md("archive")}});
    add("store set but URL in another store: mismatch, unchanged",
        {{"file:///var/lib/glance/images2/@ID@", store_md("fast")}});
    add("empty store and null store: both stamped",
        {{"file:///var/lib/glance/images/@ID@", store_md("")},
         {"s3://s3.example.com/glance/@ID@", "{\"store\": null}"}});
    add("other metadata kept, store added: stamped ceph-a",
        {{"rbd://" + std::string(fsid_a) + "/images/@ID@/snap",
          "{\"backend_hint\": \"ssd\", \"replicas\": 3}"}});
    add("several locations: file, rbd B, s3 (one already set)",
        {{"file:///var/lib/glance/images/@ID@"},
         {"rbd://" + std::string(fsid_b) + "/images/@ID@/snap", store_md("ceph-b")},
         {"s3+https://s3.example.com/glance/@ID@"}});
    add("unknown directory: no_store", {{"file:///tmp/@ID@"}});
    add("scheme of a removed driver (sheepdog): no_store", {{"sheepdog://127.0.0.1:7000:@ID@"}});
    add("dot segments: invalid", {{"file:///var/lib/glance/images/../../../etc/shadow"}});
    add("store directory itself: invalid", {{"file:///var/lib/glance/images"}});
    add("queued image, no locations: nothing to do", {});
    add("non-ASCII fields kept byte for byte: stamped fast",
        {{"file:///var/lib/glance/images/@ID@"}},
        "\"description\": \"Образ \\u00e9t\\u00e9\", \"tags\": [\"ünïcode\"]");
    // Malformed lines: copied through unchanged, reported by line number, exit status 3.
    out += "{\"id\": \"" + r.uuid() +
           "\", \"name\": \"malformed: locations is an object\", \"locations\": "
           "{\"url\": \"file:///var/lib/glance/images/x\"}}\n";
    out += "{\"id\": \"" + r.uuid() +
           "\", \"name\": \"malformed: truncated\", \"locations\": [{\"url\": "
           "\"s3://EXAMPLEACCESSKEY:example/secret+key@s3.example.com/glance/\n";
    out += "[\"malformed: not an object\"]\n";
}

// The mix of the throughput inputs: mostly legacy locations that get stamped, some already
// set, a few no_store and invalid.
std::string random_url(rng& r, const std::string& id) {
    switch (r.below(16)) {
        case 0:
        case 1:
        case 2:
            return "file:///var/lib/glance/images/" + id;
        case 3:
            return "file:///var/lib/glance/images2/" + id;
        case 4:
            return "file:///srv/glance/images/" + id;
        case 5:
        case 6:
            return "rbd://" + std::string(fsid_a) + "/images/" + id + "/snap";
        case 7:
            return "rbd://" + std::string(fsid_b) + "/images/" + id + "/snap";
        case 8:
            return "s3://EXAMPLEACCESSKEY:example/secret+key@s3.example.com/glance/" + id;
        case 9:
            return "s3+https://s3.example.com/glance/" + id;
        case 10:
            return "swift+config://ref1/glance/" + id;
        case 11:
            return "cinder://volumes/" + id;
        case 12:
            return "vsphere://vcenter.example.com/folder/openstack_glance/" + id +
                   "?dcPath=dc1&dsName=datastore1";
        case 13:
            return "https://images.example.org/" + id + ".qcow2";
        case 14:
            return "FILE:///var/lib/glance/%69mages/" + id;
        default:
            return r.below(2) == 0 ? "file:///tmp/" + id : "rbd://" + id;
    }
}

void records(std::string& out, std::uint64_t n, std::uint64_t seed, std::FILE* to) {
    rng r(seed);
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::string id = r.uuid();
        std::vector<loc> locations(1 + r.below(3));
        for (auto& l : locations) {
            l.url = random_url(r, id);
            if (r.below(4) == 0) l.metadata = store_md("fast");  // set (often a mismatch)
        }
        out += record(id, "image-" + std::to_string(i), locations, 1'000'000 + r.below(1u << 30));
        if (out.size() > (1u << 20)) {
            std::fwrite(out.data(), 1, out.size(), to);
            out.clear();
        }
    }
}

void urls(std::string& out, std::uint64_t n, std::uint64_t seed, std::FILE* to) {
    rng r(seed);
    for (std::uint64_t i = 0; i < n; ++i) {
        out += random_url(r, r.uuid());
        out += '\n';
        if (out.size() > (1u << 20)) {
            std::fwrite(out.data(), 1, out.size(), to);
            out.clear();
        }
    }
}

int usage() {
    std::fputs(
        "usage: imgstore_gen_images --example\n"
        "       imgstore_gen_images --records N [--seed S]\n"
        "       imgstore_gen_images --urls N [--seed S]\n",
        stderr);
    return 2;
}

bool parse_count(const char* text, std::uint64_t& out) {
    char* end = nullptr;
    errno = 0;
    out = std::strtoull(text, &end, 10);
    return errno == 0 && end != text && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
    std::string_view mode;
    std::uint64_t count = 0;
    std::uint64_t seed = 42;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--example") {
            mode = a;
        } else if ((a == "--records" || a == "--urls") && i + 1 < argc) {
            mode = a;
            if (!parse_count(argv[++i], count)) return usage();
        } else if (a == "--seed" && i + 1 < argc) {
            if (!parse_count(argv[++i], seed)) return usage();
        } else {
            return usage();
        }
    }
    std::string out;
    if (mode == "--example") {
        example(out);
    } else if (mode == "--records") {
        records(out, count, seed, stdout);
    } else if (mode == "--urls") {
        urls(out, count, seed, stdout);
    } else {
        return usage();
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
}
