// The HTTP transport: Beast over Asio coroutines on a small thread pool. Each connection runs
// on its own strand; a request head must arrive within header_timeout, each body read or write
// may stall at most io_timeout, and an idle keep-alive connection is closed after idle_timeout.
#include <poll.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <random>

#include "detail/text.hpp"
#include "handlers.hpp"

namespace imgstore::service {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// Glance's request id form: req-<uuid4>.
std::string new_request_id() {
    thread_local std::mt19937_64 bits(std::random_device{}());
    const std::uint64_t a = bits();
    const std::uint64_t b = bits();
    return fmt::format("req-{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff,
                       a & 0xfff, 0x8000 | (b >> 48 & 0x3fff), b & 0xffffffffffffULL);
}

// The path as it may be logged: only when made of plain characters, so that whatever a client
// puts in a request line (a URL with a userinfo, control bytes) never reaches a log.
std::string loggable_path(std::string_view path) {
    if (path.size() > 120) return "(long path)";
    for (char c : path) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '/' || c == '-' || c == '_' || c == '.';
        if (!plain) return "(path not shown)";
    }
    return std::string(path);
}

// A SyncReadStream over the connection's socket that waits at most `timeout` for each read:
// an upload's body is pulled by the store's add() on this thread (poll, then read).
class polled_socket {
  public:
    polled_socket(tcp::socket& socket, std::chrono::milliseconds timeout)
        : socket_(socket), timeout_(timeout) {}
    template <class Buffers>
    std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
        pollfd p{socket_.native_handle(), POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
        if (r == 0) {
            ec = asio::error::timed_out;
            return 0;
        }
        if (r < 0) {
            ec = boost::system::error_code(errno, boost::system::system_category());
            return 0;
        }
        return socket_.read_some(buffers, ec);
    }
    template <class Buffers>
    std::size_t read_some(const Buffers& buffers) {
        boost::system::error_code ec;
        const std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

  private:
    tcp::socket& socket_;
    std::chrono::milliseconds timeout_;
};

// The request body as a data::source for backend::add().
class request_body_source final : public data::source {
  public:
    request_body_source(polled_socket stream,
                        beast::flat_buffer& buffer,
                        http::request_parser<http::buffer_body>& parser)
        : stream_(stream), buffer_(buffer), parser_(parser) {}

    result<std::size_t> read(std::span<std::byte> out) override {
        while (!parser_.is_done() && !out.empty()) {
            parser_.get().body().data = out.data();
            parser_.get().body().size = out.size();
            boost::system::error_code ec;
            http::read_some(stream_, buffer_, parser_, ec);
            if (ec == http::error::need_buffer) ec = {};
            if (ec == http::error::body_limit) return data::errc::too_large;
            if (ec == asio::error::timed_out) return data::errc::timeout;
            if (ec) return data::errc::io_error;  // the client went away or sent garbage
            const std::size_t n = out.size() - parser_.get().body().size;
            if (n > 0) return n;
        }
        return std::size_t{0};
    }

  private:
    polled_socket stream_;
    beast::flat_buffer& buffer_;
    http::request_parser<http::buffer_body>& parser_;
};

struct connection_slot {
    std::atomic<std::size_t>& count;
    explicit connection_slot(std::atomic<std::size_t>& c) : count(c) { ++count; }
    ~connection_slot() { --count; }
    connection_slot(const connection_slot&) = delete;
    connection_slot& operator=(const connection_slot&) = delete;
};

template <class Body>
void common_headers(http::response<Body>& res, const std::string& request_id) {
    res.set(http::field::server, "imgstore-service");
    res.set("X-Openstack-Request-Id", request_id);
}

asio::awaitable<boost::system::error_code> send_reply(beast::tcp_stream& stream,
                                                      const reply& r,
                                                      unsigned version,
                                                      bool keep_alive,
                                                      const std::string& request_id,
                                                      std::chrono::milliseconds timeout) {
    http::response<http::string_body> res{r.status, version};
    common_headers(res, request_id);
    if (!r.body.empty()) res.set(http::field::content_type, "application/json");
    res.body() = r.body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    stream.expires_after(timeout);
    auto [ec, n] = co_await http::async_write(stream, res, nothrow);
    co_return ec;
}

// Streams a download; false when the connection cannot be used any more.
asio::awaitable<bool> send_download(beast::tcp_stream& stream,
                                    download& d,
                                    unsigned version,
                                    bool keep_alive,
                                    const std::string& request_id,
                                    std::chrono::milliseconds timeout,
                                    std::string& note) {
    const data::extent& e = d.reader->range();
    http::response<http::buffer_body> res{
        d.partial ? http::status::partial_content : http::status::ok, version};
    common_headers(res, request_id);
    res.set(http::field::content_type, "application/octet-stream");
    res.set(http::field::accept_ranges, "bytes");
    if (d.partial) {
        res.set(http::field::content_range,
                e.length == 0 ? fmt::format("bytes */{}", e.object_size)
                              : fmt::format("bytes {}-{}/{}", e.offset, e.offset + e.length - 1,
                                            e.object_size));
    } else if (!d.checksum.empty()) {
        res.set(http::field::content_md5, d.checksum);
    }
    res.content_length(e.length);
    res.keep_alive(keep_alive);
    res.body().data = nullptr;
    res.body().more = true;
    http::response_serializer<http::buffer_body> sr{res};
    stream.expires_after(timeout);
    if (auto [ec, n] = co_await http::async_write_header(stream, sr, nothrow); ec) co_return false;
    std::vector<std::byte> chunk(
        std::clamp<std::size_t>(d.reader->chunk_size(), 16 << 10, 1 << 20));
    while (d.reader->remaining() > 0) {
        auto n = d.reader->read(chunk);
        if (!n || *n == 0) {
            // Headers are out: the only way to tell the client is to cut the connection short.
            note += " read_failed=" + (n ? std::string("early end") : n.error().message());
            co_return false;
        }
        res.body().data = chunk.data();
        res.body().size = *n;
        res.body().more = true;
        stream.expires_after(timeout);
        auto [ec, w] = co_await http::async_write(stream, sr, nothrow);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) {
            note += " client_gone";
            co_return false;
        }
    }
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = false;
    stream.expires_after(timeout);
    auto [ec, w] = co_await http::async_write(stream, sr, nothrow);
    co_return !ec;
}

asio::awaitable<void> session(std::shared_ptr<image_service::state> s, tcp::socket socket) {
    connection_slot slot(s->connections);
    const service_options& o = s->options;
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
        http::request_parser<http::empty_body> head;
        head.header_limit(static_cast<std::uint32_t>(o.max_header_bytes));
        // The first request head must arrive within header_timeout; a later one (keep-alive)
        // within idle_timeout, the wait for it included.
        stream.expires_after(first ? o.header_timeout : o.idle_timeout);
        const bool waiting_first = first;
        first = false;
        auto [ec, n] = co_await http::async_read_header(stream, buffer, head, nothrow);
        const std::string rid = new_request_id();
        if (ec) {
            if (ec == http::error::header_limit) {
                co_await send_reply(stream,
                                    error_reply(http::status::request_header_fields_too_large,
                                                "request head over the size limit"),
                                    11, false, rid, o.io_timeout);
                s->log->info("{} - 431 request head too large", rid);
            } else if (ec == beast::error::timeout && !head.got_some() && !waiting_first) {
                s->log->debug("{} - idle keep-alive connection closed", rid);
            } else if (ec == beast::error::timeout) {
                s->log->info("{} - dropped: no complete request in time", rid);
            } else if (ec != http::error::end_of_stream && ec != http::error::partial_message &&
                       ec != asio::error::eof && ec != asio::error::connection_reset &&
                       ec != asio::error::operation_aborted) {
                co_await send_reply(stream,
                                    error_reply(http::status::bad_request, "malformed request"), 11,
                                    false, rid, o.io_timeout);
                s->log->info("{} - 400 malformed request", rid);
            }
            break;
        }
        const auto started = std::chrono::steady_clock::now();
        auto& req = head.get();
        const unsigned version = req.version();
        bool keep = req.keep_alive();
        const bool has_body = head.chunked() || head.content_length().value_or(0) > 0;
        // A copy: an upload moves the parser (and the request line with it) into another.
        std::string path(req.target().substr(0, req.target().find('?')));
        const std::string method(req.method_string());
        const std::shared_ptr<const generation> gen = s->current();

        std::optional<reply> answer;
        std::optional<download> stream_out;
        bool body_read = false;
        constexpr std::string_view images = "/v2/images/";
        if (path == "/v2/info/stores") {
            answer = req.method() == http::verb::get
                         ? stores_reply(*gen)
                         : error_reply(http::status::method_not_allowed, "GET only");
        } else if (path.rfind(images, 0) == 0) {
            std::string_view rest = std::string_view(path).substr(images.size());
            constexpr std::string_view file_suffix = "/file";
            const bool file = rest.size() > file_suffix.size() &&
                              rest.substr(rest.size() - file_suffix.size()) == file_suffix;
            if (file) rest.remove_suffix(file_suffix.size());
            const std::string id(rest);
            if (!::imgstore::detail::is_uuid(id)) {  // a Glance image id, any case
                answer = error_reply(http::status::bad_request, "an image id is a UUID");
            } else if (!file && req.method() == http::verb::get) {
                answer = image_reply(*s, *gen, id);
            } else if (file && req.method() == http::verb::get) {
                std::optional<std::string_view> range;
                if (auto it = req.find(http::field::range); it != req.end()) {
                    range = std::string_view(it->value().data(), it->value().size());
                }
                download d = open_download(*s, *gen, id, range);
                if (d.refused)
                    answer = std::move(*d.refused);
                else
                    stream_out = std::move(d);
            } else if (file && req.method() == http::verb::put) {
                auto ct = req.find(http::field::content_type);
                std::optional<std::string_view> store;
                if (auto it = req.find("X-Image-Meta-Store"); it != req.end()) {
                    store = std::string_view(it->value().data(), it->value().size());
                }
                if (ct == req.end() || ct->value() != "application/octet-stream") {
                    answer = error_reply(http::status::unsupported_media_type,
                                         "Content-Type must be application/octet-stream");
                } else {
                    http::request_parser<http::buffer_body> body(std::move(head));
                    body.body_limit(s->size_cap);
                    stream.expires_never();  // the body's reads are timed by polled_socket
                    request_body_source source(polled_socket(stream.socket(), o.io_timeout), buffer,
                                               body);
                    std::optional<std::uint64_t> length;
                    if (auto l = body.content_length()) length = *l;
                    answer = upload(*s, *gen, id, store, length, source);
                    body_read = body.is_done();
                }
            } else {
                answer = error_reply(http::status::method_not_allowed,
                                     file ? "GET or PUT only" : "GET only");
            }
        } else {
            answer = error_reply(http::status::not_found, "no such resource");
        }
        // A body this request did not consume would be read as the next request: close.
        if (has_body && !body_read) keep = false;

        std::string note;
        int status = 0;
        bool usable = true;
        if (answer) {
            status = static_cast<int>(answer->status);
            note = answer->note;
            usable = !co_await send_reply(stream, *answer, version, keep, rid, o.io_timeout);
        } else {
            status = stream_out->partial ? 206 : 200;
            note = "store=" + stream_out->store_id;
            usable =
                co_await send_download(stream, *stream_out, version, keep, rid, o.io_timeout, note);
        }
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
        s->log->info("{} {} {} {} {:.2f}ms gen={} {}", rid, method, loggable_path(path), status, ms,
                     gen->number, note);
        if (!usable || !keep) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<image_service::state> s) {
    for (;;) {
        auto [ec, socket] = co_await s->acceptor->async_accept(asio::make_strand(*s->io), nothrow);
        if (ec) {
            if (!s->acceptor->is_open()) co_return;
            continue;  // e.g. EMFILE: the next accept may succeed
        }
        if (s->connections.load() >= s->options.max_connections) {
            s->log->warn("connection refused: {} connections open", s->connections.load());
            continue;  // the socket closes when it goes out of scope
        }
        auto executor = socket.get_executor();
        asio::co_spawn(executor, session(s, std::move(socket)), asio::detached);
    }
}

}  // namespace

void run_http(const std::shared_ptr<image_service::state>& s) {
    asio::co_spawn(s->acceptor->get_executor(), accept_loop(s), asio::detached);
    for (unsigned i = 0; i < std::max(1u, s->options.threads); ++i) {
        s->threads.emplace_back([st = s.get()] { st->io->run(); });
    }
}

}  // namespace imgstore::service
