#include "test_util.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <system_error>

namespace imgstore::test {

std::string join(const std::vector<diagnostic>& ds) {
    std::string out;
    for (const auto& d : ds) out += to_string(d) + '\n';
    return out;
}

glance_config two_file_stores(std::string_view a_dir, std::string_view b_dir) {
    glance_config c;
    c.add("DEFAULT", "enabled_backends", "a:file, b:file");
    c.add("glance_store", "default_backend", "a");
    c.add("a", "filesystem_store_datadir", a_dir);
    c.add("b", "filesystem_store_datadir", b_dir);
    return c;
}

temp_dir::temp_dir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("imgstore-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::filesystem::path temp_dir::write(std::string_view name, std::string_view content) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
}

}  // namespace imgstore::test
