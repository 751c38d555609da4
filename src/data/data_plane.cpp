#include "imgstore/data/data_plane.hpp"

#include <fmt/format.h>

#include <utility>

#include "data/backends.hpp"
#include "imgstore/data/hashing.hpp"

namespace imgstore::data {
namespace detail {
namespace {

// A store type with no data plane here: every call says so.
class unsupported_backend final : public backend {
  public:
    explicit unsupported_backend(const store& s) : store_(s) {}
    const store& config() const noexcept override { return store_; }
    result<std::unique_ptr<reader>> get(std::string_view, const byte_range&) const override {
        return make_error_code(errc::not_supported);
    }
    result<add_result> add(std::string_view, source&, const add_options&) const override {
        return make_error_code(errc::not_supported);
    }
    result<void> remove(std::string_view) const override {
        return make_error_code(errc::not_supported);
    }

  private:
    const store& store_;
};

}  // namespace

std::unique_ptr<backend> make_unsupported_backend(const backend_context& context) {
    return std::make_unique<unsupported_backend>(context.config);
}

}  // namespace detail

data_options read_data_options(const glance_config& config, std::vector<diagnostic>& diagnostics) {
    data_options options;
    if (const config_entry* e = config.last("DEFAULT", "hashing_algorithm")) {
        if (image_hasher::supports(e->value)) {
            options.hashing_algorithm = e->value;
        } else {
            diagnostics.push_back({severity::error, e->file, e->line, e->section, e->key,
                                   "not a hash algorithm imgstore supports (sha512, sha384, "
                                   "sha256, sha224, sha1, md5, sha3_512, sha3_384, sha3_256, "
                                   "sha3_224, blake2b, blake2s)"});
        }
    }
    return options;
}

backend_registry::backend_registry() {
    for (store_type t : all_store_types()) factories_[t] = detail::make_unsupported_backend;
    // The data plane's own drivers (src/data/<type>_backend.cpp), one per type it implements.
    factories_[store_type::file] = detail::make_file_backend;
    factories_[store_type::http] = detail::make_http_backend;
}

void backend_registry::set_factory(store_type type, backend_factory factory) {
    factories_[type] = std::move(factory);
}

data_plane_load backend_registry::make(std::shared_ptr<const store_registry> registry,
                                       const data_options& options) const {
    data_plane_load out;
    std::shared_ptr<data_plane> plane(new data_plane(std::move(registry), options));
    if (!image_hasher::supports(plane->options_.hashing_algorithm)) {
        out.diagnostics.push_back({severity::error, "", 0, "DEFAULT", "hashing_algorithm",
                                   "not a hash algorithm imgstore supports"});
    }
    for (const store& s : plane->registry().stores()) {
        backend_context context{s, plane->resolver_, plane->options_, out.diagnostics};
        const backend_factory& factory = factories_.at(s.type());
        const std::size_t reported = out.diagnostics.size();
        std::unique_ptr<backend> b = factory ? factory(context) : nullptr;
        if (!b) {
            // A factory that fails must say why; one that does not still fails the plane.
            if (out.diagnostics.size() == reported) {
                out.diagnostics.push_back({severity::error, "", 0, std::string(s.id()), "",
                                           "the store's data backend could not be made"});
            }
            continue;
        }
        plane->backends_.emplace(s.id(), std::move(b));
    }
    if (!has_errors(out.diagnostics)) out.plane = std::move(plane);
    return out;
}

data_plane::data_plane(std::shared_ptr<const store_registry> registry, const data_options& options)
    : resolver_(std::move(registry)), options_(options) {}

data_plane::~data_plane() = default;

const backend* data_plane::find(std::string_view store_id) const noexcept {
    auto it = backends_.find(store_id);
    return it == backends_.end() ? nullptr : it->second.get();
}

const backend& data_plane::default_backend() const noexcept {
    return *find(registry().default_store().id());
}

}  // namespace imgstore::data
