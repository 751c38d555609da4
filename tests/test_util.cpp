#include "test_util.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <system_error>

namespace imgstore::test {

std::size_t terminal_control_at(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        const bool c1 =
            b == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xA0;
        if ((b < 0x20 && b != '\n') || b == 0x7F || c1) return i;
    }
    return std::string_view::npos;
}

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
