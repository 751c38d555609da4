#include "imgstore/error.hpp"

#include <string>

namespace imgstore {
namespace {

class category final : public boost::system::error_category {
  public:
    // A fixed id keeps codes comparable across shared objects (as Boost.URL does).
    constexpr category() noexcept : error_category(0x696d6773746f7265ULL) {}

    const char* name() const noexcept override { return "imgstore"; }

    std::string message(int ev) const override { return message(ev, nullptr, 0); }

    const char* message(int ev, char*, std::size_t) const noexcept override {
        switch (static_cast<errc>(ev)) {
            case errc::bad_uri:
                return "malformed location URI";
            case errc::unknown_scheme:
                return "unknown scheme";
        }
        return "unknown imgstore error";
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace imgstore
