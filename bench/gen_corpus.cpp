// imgstore_gen_corpus: writes the benchmark's generated inputs (bench/corpus.hpp) to stdout, so
// that bench/throughput.sh can also run the tool over a large registry.
//
//   imgstore_gen_corpus --stores N --config        glance-api.conf with N stores of all types
//   imgstore_gen_corpus --stores N --urls M        M location URLs over them, one per line
//
// The same arguments always give the same bytes.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "corpus.hpp"

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: imgstore_gen_corpus --stores N --config\n"
                 "       imgstore_gen_corpus --stores N --urls M\n");
    return 2;
}

bool write_all(std::string_view s) {
    return std::fwrite(s.data(), 1, s.size(), stdout) == s.size();
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t stores = 0;
    std::size_t urls = 0;
    bool config = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (a == "--stores" && i + 1 < argc) {
            stores = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--urls" && i + 1 < argc) {
            urls = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--config") {
            config = true;
        } else {
            return usage();
        }
    }
    if (stores == 0 || config == (urls != 0)) return usage();
    const auto models = imgstore::bench::make_stores(stores);
    if (config) return write_all(imgstore::bench::make_config_text(models)) ? 0 : 1;
    imgstore::bench::rng r(0xC0FFEE);
    std::string buffer;
    for (std::size_t i = 0; i < urls; ++i) {
        imgstore::bench::append_url(models, r, buffer);
        buffer += '\n';
        if (buffer.size() > (1u << 16)) {
            if (!write_all(buffer)) return 1;
            buffer.clear();
        }
    }
    return write_all(buffer) ? 0 : 1;
}
