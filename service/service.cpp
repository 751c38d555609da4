// Starting, reloading and stopping the service; the database pool.
#include "service.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>
#include <charconv>

#include "detail/utf8.hpp"
#include "state.hpp"

namespace imgstore::service {
namespace {

diagnostic service_error(std::string message, const config_entry* where = nullptr) {
    diagnostic d;
    d.message = std::move(message);
    if (where) {
        d.file = where->file;
        d.line = where->line;
        d.section = where->section;
        d.key = where->key;
    }
    return d;
}

// A data plane for `snap`, or null with the reasons appended to `out`.
std::shared_ptr<const generation> make_generation(const image_service::state& s,
                                                  std::shared_ptr<const snapshot> snap,
                                                  const glance_config& config,
                                                  std::uint64_t number,
                                                  std::vector<diagnostic>& out) {
    data::data_options options = data::read_data_options(config, out);
    options.logger = s.log;
    if (has_errors(out)) return nullptr;
    data::data_plane_load plane = s.backends.make(snap->registry, options);
    out.insert(out.end(), plane.diagnostics.begin(), plane.diagnostics.end());
    if (!plane.ok()) return nullptr;
    return std::make_shared<const generation>(
        generation{std::move(snap), std::move(plane.plane), number});
}

// The settings read once at start: database, location encryption, size cap.
bool read_start_settings(image_service::state& s,
                         const glance_config& config,
                         std::vector<diagnostic>& out) {
    const config_entry* connection = config.last("database", "connection");
    if (!connection || connection->value.empty()) {
        out.push_back(service_error(
            "[database] connection is not set: the service reads images from Glance's "
            "database"));
        return false;
    }
    auto spec = glance_db::parse_connection_url(connection->value);
    if (!spec) {
        out.push_back(service_error(spec.error().message, connection));
        return false;
    }
    glance_db::open_options db_options;
    db_options.logger = s.log;
    s.db = std::make_unique<db_pool>(*spec, db_options);
    auto probe = s.db->acquire();  // fail at start, not at the first request
    if (!probe) {
        out.push_back(service_error(probe.error().message, connection));
        return false;
    }
    if (const config_entry* key = config.last("DEFAULT", "metadata_encryption_key");
        key && !key->value.empty()) {
        auto cipher = glance_db::location_cipher::create(secret(key->value));
        if (!cipher) {
            out.push_back(service_error(cipher.error().message, key));
            return false;
        }
        s.cipher.emplace(std::move(*cipher));
    }
    if (const config_entry* cap = config.last("DEFAULT", "image_size_cap")) {
        const char* end = cap->value.data() + cap->value.size();
        auto [p, ec] = std::from_chars(cap->value.data(), end, s.size_cap);
        if (ec != std::errc() || p != end) {
            out.push_back(service_error(
                "not a byte count: '" + ::imgstore::detail::cut_text(cap->value) + "'", cap));
            return false;
        }
    }
    return true;
}

}  // namespace

glance_db::db_result<db_pool::lease> db_pool::acquire() {
    {
        std::lock_guard lock(guard_);
        if (!idle_.empty()) {
            auto db = std::move(idle_.back());
            idle_.pop_back();
            return lease(this, std::move(db));
        }
    }
    auto opened = glance_db::open(spec_, options_);
    if (!opened) return opened.error();
    return lease(this, std::make_unique<glance_db::database>(std::move(*opened)));
}

void db_pool::give_back(std::unique_ptr<glance_db::database> db) {
    std::lock_guard lock(guard_);
    idle_.push_back(std::move(db));
}

image_service::image_service(std::shared_ptr<state> s) : state_(std::move(s)) {}

image_service::~image_service() { stop(); }

std::uint16_t image_service::port() const noexcept { return state_->port; }

std::unique_ptr<image_service> image_service::start(const service_options& options,
                                                    std::shared_ptr<spdlog::logger> logger,
                                                    start_error& error,
                                                    const data::backend_registry& backends) {
    auto s = std::make_shared<state>();
    s->options = options;
    // Without a logger, records go nowhere (a logger without sinks).
    s->log = logger ? std::move(logger) : std::make_shared<spdlog::logger>("imgstore-service");
    s->backends = backends;
    config_load config = read_config(options.sources);
    error.diagnostics = config.diagnostics;
    if (!config.ok()) return nullptr;
    auto live = live_registry::create(options.sources);
    error.diagnostics.insert(error.diagnostics.end(), live.diagnostics.begin(),
                             live.diagnostics.end());
    if (!live.ok()) return nullptr;
    s->live = std::move(live.handle);
    if (!read_start_settings(*s, config.config, error.diagnostics)) return nullptr;
    auto first = make_generation(*s, s->live->current(), config.config, 1, error.diagnostics);
    if (!first) return nullptr;
    s->publish(std::move(first));

    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(options.listen_address, ec);
    if (ec) {
        error.diagnostics.push_back(
            service_error("--listen: not an IP address: '" +
                          ::imgstore::detail::cut_text(options.listen_address) + "'"));
        return nullptr;
    }
    boost::asio::ip::tcp::endpoint endpoint(address, options.port);
    s->acceptor.emplace(*s->io);
    if (s->acceptor->open(endpoint.protocol(), ec), ec) {
    } else if (s->acceptor->set_option(boost::asio::socket_base::reuse_address(true), ec), ec) {
    } else if (s->acceptor->bind(endpoint, ec), ec) {
    } else if (s->acceptor->listen(boost::asio::socket_base::max_listen_connections, ec), ec) {
    }
    if (ec) {
        error.diagnostics.push_back(service_error(fmt::format(
            "cannot listen on {}:{}: {}", options.listen_address, options.port, ec.message())));
        return nullptr;
    }
    s->port = s->acceptor->local_endpoint().port();
    run_http(s);
    s->log->info("listening on {}:{} ({} threads, {} stores, database {}){}",
                 options.listen_address, s->port, options.threads,
                 s->current()->snap->registry->stores().size(), s->db->spec().where(),
                 options.fallback_probe ? ", fallback probe on" : "");
    return std::unique_ptr<image_service>(new image_service(std::move(s)));
}

bool image_service::reload() {
    state& s = *state_;
    std::lock_guard lock(s.reload_guard);
    reload_result r = s.live->reload();
    for (const diagnostic& d : r.diagnostics) s.log->warn("reload: {}", to_string(d));
    if (!r.ok) {
        s.log->error("reload failed: generation {} stays live", s.current()->number);
        return false;
    }
    std::vector<diagnostic> problems;
    config_load config = read_config(s.live->sources());
    auto next = config.ok() ? make_generation(s, s.live->current(), config.config,
                                              s.current()->number + 1, problems)
                            : nullptr;
    problems.insert(problems.end(), config.diagnostics.begin(), config.diagnostics.end());
    for (const diagnostic& d : problems) s.log->warn("reload: {}", to_string(d));
    if (!next) {
        s.log->error("reload failed (data plane): generation {} stays live", s.current()->number);
        return false;
    }
    const reload_diff& d = r.diff;
    s.log->info(
        "reload: generation {} live; stores added [{}] removed [{}] changed [{}]; {} prefixes "
        "added, {} removed",
        next->number, fmt::join(d.added_stores, ","), fmt::join(d.removed_stores, ","),
        fmt::join(d.changed, ","), d.added.size(), d.removed.size());
    for (const prefix_change& c : d.added) s.log->info("reload: + {} {}", c.store_id, c.prefix);
    for (const prefix_change& c : d.removed) s.log->info("reload: - {} {}", c.store_id, c.prefix);
    s.publish(std::move(next));
    return true;
}

void image_service::stop() {
    state& s = *state_;
    if (!s.io) return;
    s.io->stop();
    for (std::thread& t : s.threads) t.join();
    s.threads.clear();
    s.acceptor.reset();
    s.io.reset();  // destroys the connections' coroutines (and their hold on this state)
    s.log->info("stopped");
}

}  // namespace imgstore::service
