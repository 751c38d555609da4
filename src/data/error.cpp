#include "imgstore/data/error.hpp"

#include <string>

namespace imgstore::data {
namespace {

class data_category final : public boost::system::error_category {
  public:
    // A fixed id keeps codes comparable across shared objects (as Boost.URL does).
    constexpr data_category() noexcept : error_category(0x696d67646174610aULL) {}

    const char* name() const noexcept override { return "imgstore.data"; }

    std::string message(int ev) const override { return message(ev, nullptr, 0); }

    const char* message(int ev, char*, std::size_t) const noexcept override {
        switch (static_cast<errc>(ev)) {
            case errc::not_supported:
                return "not supported by this store";
            case errc::invalid_location:
                return "malformed location";
            case errc::forbidden_location:
                return "location not in this store";
            case errc::not_found:
                return "image data not found";
            case errc::duplicate:
                return "image data already exists";
            case errc::invalid_image_id:
                return "invalid image id";
            case errc::too_large:
                return "image data larger than allowed";
            case errc::size_mismatch:
                return "image data shorter than announced";
            case errc::storage_full:
                return "storage full";
            case errc::permission_denied:
                return "permission denied";
            case errc::bad_range:
                return "range not satisfiable";
            case errc::io_error:
                return "input/output error";
            case errc::truncated:
                return "image data ended early";
            case errc::unavailable:
                return "remote server unavailable";
            case errc::timeout:
                return "remote server timed out";
            case errc::too_many_redirects:
                return "too many redirects";
            case errc::upstream_error:
                return "remote server error";
            case errc::bad_certificate:
                return "remote server's TLS certificate rejected";
            case errc::tls_failed:
                return "TLS handshake with remote server failed";
        }
        return "unknown imgstore.data error";
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const data_category instance;
    return instance;
}

}  // namespace imgstore::data
