// Small helpers shared by the tests: temporary directories and diagnostic printing.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/diagnostic.hpp"

namespace imgstore::test {

/// All diagnostics, one per line, in to_string() form.
inline std::string join(const std::vector<diagnostic>& ds) {
    std::string out;
    for (const auto& d : ds) out += to_string(d) + '\n';
    return out;
}

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
  public:
    temp_dir() {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("imgstore-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }

    /// Writes `content` to `name` (sub-directories created) and returns its path.
    std::filesystem::path write(std::string_view name, std::string_view content) const {
        auto p = path_ / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }

  private:
    std::filesystem::path path_;
};

}  // namespace imgstore::test
