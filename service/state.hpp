// The service's shared state: the configuration generation requests run on, the database
// connection pool, and the settings read once at start.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "imgstore/data/data_plane.hpp"
#include "imgstore/glance_db/glance_db.hpp"
#include "imgstore/reload.hpp"
#include "service.hpp"

namespace imgstore::service {

/// One configuration: the registry snapshot and the data plane made from it, published
/// together. A request takes one at its start and keeps it to its end, whatever reloads happen.
struct generation {
    std::shared_ptr<const snapshot> snap;
    std::shared_ptr<const data::data_plane> plane;
    std::uint64_t number = 0;
};

/// Open connections to Glance's database, one per request at a time (glance_db::database is
/// single-threaded). Grows on demand; a connection whose call failed is dropped, not reused.
class db_pool {
  public:
    db_pool(glance_db::connection_spec spec, glance_db::open_options options)
        : spec_(std::move(spec)), options_(std::move(options)) {}

    class lease {
      public:
        lease(db_pool* pool, std::unique_ptr<glance_db::database> db)
            : pool_(pool), db_(std::move(db)) {}
        lease(lease&&) noexcept = default;
        lease& operator=(lease&&) noexcept = default;
        ~lease() {
            if (pool_ && db_ && !broken_) pool_->give_back(std::move(db_));
        }
        glance_db::database& operator*() const { return *db_; }
        /// After a failed call: the connection is closed instead of reused.
        void discard() noexcept { broken_ = true; }

      private:
        db_pool* pool_;
        std::unique_ptr<glance_db::database> db_;
        bool broken_ = false;
    };

    [[nodiscard]] glance_db::db_result<lease> acquire();
    const glance_db::connection_spec& spec() const noexcept { return spec_; }

  private:
    void give_back(std::unique_ptr<glance_db::database> db);
    glance_db::connection_spec spec_;
    glance_db::open_options options_;
    std::mutex guard_;
    std::vector<std::unique_ptr<glance_db::database>> idle_;
};

struct image_service::state {
    service_options options;
    std::shared_ptr<spdlog::logger> log;
    data::backend_registry backends;
    std::unique_ptr<live_registry> live;
    std::unique_ptr<db_pool> db;
    std::optional<glance_db::location_cipher> cipher;  ///< metadata_encryption_key
    std::uint64_t size_cap = 1ull << 40;               ///< image_size_cap (Glance: 1 TiB)

    /// Destroyed by stop() once the threads are joined: that destroys the suspended
    /// coroutines, which hold this state (a cycle otherwise).
    std::unique_ptr<boost::asio::io_context> io = std::make_unique<boost::asio::io_context>();
    std::optional<boost::asio::ip::tcp::acceptor> acceptor;
    std::vector<std::thread> threads;
    std::uint16_t port = 0;
    std::atomic<std::size_t> connections{0};
    std::atomic<std::uint64_t> next_request{0};

    /// The generation requests start on now (never null). Thread-safe.
    std::shared_ptr<const generation> current() const {
        std::lock_guard lock(gen_guard);
        return gen;
    }
    void publish(std::shared_ptr<const generation> next) {
        std::lock_guard lock(gen_guard);
        gen.swap(next);
    }
    mutable std::mutex gen_guard;
    std::shared_ptr<const generation> gen;
    std::mutex reload_guard;  ///< one reload at a time
};

/// Starts accepting on state.acceptor and runs the I/O threads (http.cpp).
void run_http(const std::shared_ptr<image_service::state>& s);

}  // namespace imgstore::service
