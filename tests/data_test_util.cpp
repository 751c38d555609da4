#include "data_test_util.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "imgstore/registry.hpp"
#include "test_util.hpp"

namespace imgstore::test {

result<std::size_t> string_source::read(std::span<std::byte> out) {
    if (position_ >= fail_after_) return fail_with_;
    std::size_t n =
        std::min({out.size(), max_read_, data_.size() - position_, fail_after_ - position_});
    std::memcpy(out.data(), data_.data() + position_, n);
    position_ += n;
    return n;
}

result<std::string> read_all(data::reader& r, std::size_t step) {
    std::string out;
    std::vector<std::byte> buffer(step);
    for (;;) {
        auto n = r.read(buffer);
        if (!n) return n.error();
        if (*n == 0) return out;
        out.append(reinterpret_cast<const char*>(buffer.data()), *n);
    }
}

data::data_plane_load try_make_plane(std::string_view config_text,
                                     const data::backend_registry& backends,
                                     const data::data_options& options) {
    config_load parsed = parse_config(config_text, "glance-api.conf");
    EXPECT_TRUE(parsed.ok()) << join(parsed.diagnostics);
    load_result loaded = store_registry::build(parsed.config, {.reserved_stores = false});
    EXPECT_TRUE(loaded.ok()) << join(loaded.diagnostics);
    if (!loaded.ok()) return {};
    return backends.make(loaded.registry, options);
}

std::shared_ptr<const data::data_plane> make_plane(std::string_view config_text,
                                                   const data::backend_registry& backends,
                                                   const data::data_options& options) {
    data::data_plane_load made = try_make_plane(config_text, backends, options);
    EXPECT_TRUE(made.ok()) << join(made.diagnostics);
    return made.plane;
}

data::data_options logged_options(std::ostream& out) {
    auto logger = std::make_shared<spdlog::logger>(
        "data", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    logger->set_level(spdlog::level::trace);
    data::data_options options;
    options.logger = std::move(logger);
    return options;
}

std::string openssl_digest(std::string_view algorithm, const std::string& file) {
    std::string command = "openssl dgst -" + std::string(algorithm) + " -r '" + file + "'";
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return "popen failed";
    std::string out;
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    ::pclose(pipe);
    return out.substr(0, out.find(' '));
}

}  // namespace imgstore::test
