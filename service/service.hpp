// imgstore-service: a reference image service on the library (issue 14). Glance's image API
// over Glance's own database: store discovery, image GET (stamped as Glance stamps, saved once
// by compare-and-swap), download from the owning store and upload to a chosen one.
// NO AUTHENTICATION: anyone who can connect may read and write every image. It binds
// 127.0.0.1 unless told otherwise; never expose it.
#pragma once

#include <spdlog/fwd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imgstore/config.hpp"
#include "imgstore/data/data_plane.hpp"
#include "imgstore/diagnostic.hpp"

namespace imgstore::service {

/// Everything the command line sets. Defaults are what an operator gets without flags.
struct service_options {
    config_sources sources;  ///< --config-file / --config-dir
    std::string listen_address = "127.0.0.1";
    std::uint16_t port = 9292;  ///< 0: an ephemeral port (see image_service::port)
    unsigned threads = 4;       ///< I/O threads (each also runs handlers)
    /// Downloads of a location without metadata['store'] try every store of its scheme in
    /// turn, as upstream's multi-store get does, instead of resolving the owner.
    bool fallback_probe = false;
    std::size_t max_header_bytes = 8 << 10;            ///< request line + headers (431)
    std::chrono::milliseconds header_timeout{10'000};  ///< to receive a connection's first head
    std::chrono::milliseconds io_timeout{30'000};      ///< longest stall of a body read/write
    std::chrono::milliseconds idle_timeout{30'000};    ///< keep-alive wait + head of a later one
    std::size_t max_connections = 256;                 ///< more are closed at once
};

/// Why a service could not start or reload: every problem, each naming file, line and key
/// where there is one.
struct start_error {
    std::vector<diagnostic> diagnostics;
};

/// The running service: its thread pool, listening socket, database connections and the live
/// store configuration. stop() (or the destructor) closes the socket and joins the threads.
/// reload() and port() are thread-safe; stop() is called once, from a thread that is not one
/// of the service's own.
class image_service {
  public:
    /// Reads the config (stores, `[database] connection`, `[DEFAULT] hashing_algorithm`,
    /// `metadata_encryption_key`, `image_size_cap`), opens one database connection to check
    /// it, binds and starts serving. `backends` lets an embedder (or the bench) register store
    /// implementations; it is copied.
    static std::unique_ptr<image_service> start(const service_options& options,
                                                std::shared_ptr<spdlog::logger> logger,
                                                start_error& error,
                                                const data::backend_registry& backends = {});
    ~image_service();
    image_service(const image_service&) = delete;
    image_service& operator=(const image_service&) = delete;

    /// The bound port (the ephemeral one when options.port was 0).
    std::uint16_t port() const noexcept;
    /// Rereads the config files (SIGHUP). Requests in flight finish on the configuration they
    /// started with; the diff or the problems are logged. Returns whether the new config is live.
    bool reload();
    /// Stops accepting, drops open connections and joins the threads.
    void stop();

    struct state;

  private:
    explicit image_service(std::shared_ptr<state> s);
    std::shared_ptr<state> state_;
};

}  // namespace imgstore::service
