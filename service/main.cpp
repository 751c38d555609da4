// imgstore-service: the reference image service (README, "Using imgstore in an image
// service"). NO AUTHENTICATION: bind it to loopback only.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>

#include "service.hpp"

int main(int argc, char** argv) {
    using imgstore::service::service_options;
    service_options o;
    std::vector<std::string> files;
    std::string dir;
    std::string listen = "127.0.0.1:9292";
    std::string level = "info";
    CLI::App app{
        "imgstore-service: Glance's image API (store discovery, image GET with stamping, "
        "download, upload) over Glance's database and the stores of glance-api.conf.\n"
        "WARNING: NO AUTHENTICATION. Anyone who can connect can read and overwrite every "
        "image. It listens on 127.0.0.1 unless --listen says otherwise: never expose it.\n"
        "SIGHUP rereads the config files; SIGINT/SIGTERM stop it."};
    app.add_option("--config-file", files, "glance-api.conf (repeatable; later override earlier)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--config-dir", dir, "directory of *.conf read after the files")
        ->check(CLI::ExistingDirectory);
    app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")
        ->capture_default_str();
    app.add_option("--threads", o.threads, "I/O threads")
        ->capture_default_str()
        ->check(CLI::Range(1u, 256u));
    app.add_flag("--fallback-probe", o.fallback_probe,
                 "download a location without a store by trying every store of its scheme in "
                 "turn (upstream glance_store), instead of resolving its owner");
    app.add_option("--log-level", level, "trace, debug, info, warn, error")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    o.sources.files.assign(files.begin(), files.end());
    if (!dir.empty()) o.sources.directory = dir;
    const auto colon = listen.rfind(':');
    try {
        if (colon == std::string::npos) throw std::invalid_argument("no port");
        o.listen_address = listen.substr(0, colon);
        if (o.listen_address.size() > 2 && o.listen_address.front() == '[') {
            o.listen_address = o.listen_address.substr(1, o.listen_address.size() - 2);
        }
        const unsigned long port = std::stoul(listen.substr(colon + 1));
        if (port > 65535) throw std::out_of_range("port");
        o.port = static_cast<std::uint16_t>(port);
    } catch (const std::exception&) {
        std::fprintf(stderr, "imgstore-service: --listen: expected HOST:PORT, got '%s'\n",
                     listen.c_str());
        return 2;
    }

    auto log = spdlog::stderr_color_mt("imgstore-service");
    log->set_level(spdlog::level::from_str(level));
    log->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    if (o.listen_address != "127.0.0.1" && o.listen_address != "::1") {
        log->warn("listening on {}: this service has NO AUTHENTICATION", o.listen_address);
    }
    imgstore::service::start_error error;
    auto service = imgstore::service::image_service::start(o, log, error);
    for (const auto& d : error.diagnostics) {
        std::fprintf(stderr, "imgstore-service: %s\n", imgstore::to_string(d).c_str());
    }
    if (!service) return 1;
    std::printf("listening on %s:%u\n", o.listen_address.c_str(), service->port());
    std::fflush(stdout);

    boost::asio::io_context signals_io;
    boost::asio::signal_set signals(signals_io, SIGHUP, SIGINT, SIGTERM);
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signal) {
            if (ec) return;
            if (signal == SIGHUP) {
                (void)service->reload();  // logged either way; the old config stays on failure
                signals.async_wait(on_signal);
                return;
            }
            log->info("signal {}: stopping", signal);
            service->stop();
        };
    signals.async_wait(on_signal);
    signals_io.run();
    return 0;
}
