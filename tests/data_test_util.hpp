// Helpers of the data-plane tests (data_test): a plane over file stores in temporary
// directories, in-memory sources, reading a reader to its end, and a logger to check records.
#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imgstore/data/data.hpp"

namespace imgstore::test {

/// A source over a string, handing out at most `max_read` bytes per read, or failing with
/// `fail_with` once `fail_after` bytes were read.
class string_source final : public data::source {
  public:
    explicit string_source(std::string data, std::size_t max_read = 1 << 20)
        : data_(std::move(data)), max_read_(max_read) {}
    string_source& fail_after(std::size_t bytes, boost::system::error_code ec) {
        fail_after_ = bytes;
        fail_with_ = ec;
        return *this;
    }
    result<std::size_t> read(std::span<std::byte> out) override;

  private:
    std::string data_;
    std::size_t max_read_;
    std::size_t position_ = 0;
    std::size_t fail_after_ = static_cast<std::size_t>(-1);
    boost::system::error_code fail_with_;
};

/// Reads `r` to its end with reads of at most `step` bytes.
result<std::string> read_all(data::reader& r, std::size_t step = 4096);

/// A registry from config text (must load) and its data plane (must be made).
std::shared_ptr<const data::data_plane> make_plane(std::string_view config_text,
                                                   const data::backend_registry& backends = {},
                                                   const data::data_options& options = {});

/// The same, keeping the diagnostics of a plane that could not be made.
data::data_plane_load try_make_plane(std::string_view config_text,
                                     const data::backend_registry& backends = {},
                                     const data::data_options& options = {});

/// Default data_options with a logger that writes every record (debug included) to `out`, to
/// check what a call records. `out` must outlive the plane made with them.
data::data_options logged_options(std::ostream& out);

/// `openssl dgst -<algorithm> -r <file>`'s hex digest: hashes computed by another program.
std::string openssl_digest(std::string_view algorithm, const std::string& file);

}  // namespace imgstore::test
