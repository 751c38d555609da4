// Small helpers shared by the tests: temporary directories, diagnostic printing, a config.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/config.hpp"
#include "imgstore/diagnostic.hpp"
#include "terminal_control.hpp"

namespace imgstore::test {

/// tests/data in the source tree: the tables and config files the tests read.
inline const std::string data_dir = IMGSTORE_TEST_DATA_DIR;

/// All diagnostics, one per line, in to_string() form.
std::string join(const std::vector<diagnostic>& ds);

/// Two file stores, `a` (the default) at `a_dir` and `b` at `b_dir`: the reload tests swap
/// their directories.
glance_config two_file_stores(std::string_view a_dir, std::string_view b_dir);

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }

    /// Writes `content` to `name` (sub-directories created) and returns its path.
    std::filesystem::path write(std::string_view name, std::string_view content) const;

  private:
    std::filesystem::path path_;
};

}  // namespace imgstore::test
