#include "transports/common/push_stream.hpp"

#include <fmt/format.h>

namespace rtb {

std::string make_chunk(std::string_view data) {
    std::string s = fmt::format("{:x}\r\n", data.size());
    s.reserve(s.size() + data.size() + 2);
    s += data;
    s += "\r\n";
    return s;
}

// The data of a string of chunks (size CRLF data CRLF ...), as written by
// make_chunk: what an HTTP/1.0 response carries instead.
std::string_view chunk_data(std::string_view chunk) {
    auto crlf = chunk.find("\r\n");
    if (crlf == std::string_view::npos || chunk.size() < crlf + 4) return chunk;
    return chunk.substr(crlf + 2, chunk.size() - crlf - 4);
}

namespace {
// A preamble made for HTTP/1.1 (status line, header with Transfer-Encoding:
// chunked, then chunks) as the HTTP/1.0 answer: 1.0 status line, no
// Transfer-Encoding, Connection: close, the chunks' data.
std::string as_http10(const std::string& pre) {
    auto end = pre.find("\r\n\r\n");
    std::string head = pre.substr(0, end + 2), body = pre.substr(end + 4);
    if (head.rfind("HTTP/1.1", 0) == 0) head.replace(0, 8, "HTTP/1.0");
    if (auto te = head.find("Transfer-Encoding: chunked\r\n"); te != std::string::npos) head.erase(te, 28);
    head += "Connection: close\r\n\r\n";
    std::string_view rest = body;
    while (!rest.empty()) {
        auto crlf = rest.find("\r\n");
        std::size_t n = std::stoul(std::string(rest.substr(0, crlf)), nullptr, 16);
        head += rest.substr(crlf + 2, n);
        rest.remove_prefix(crlf + 2 + n + 2);
    }
    return head;
}
} // namespace

void install_stream_route(server_core& core, stream_route route) {
    route.frame_slot = core.messages().add_frame_slot();
    if (!route.heartbeat.empty()) route.heartbeat_frame = std::make_shared<const std::string>(route.heartbeat);
    auto r = std::make_shared<const stream_route>(std::move(route));
    core.add_route(r->path, [&core, r](const std::shared_ptr<http_session>& s, request&& req, const query& q) {
        auto sub = read_subscription(s, req, q, r->cursor);
        if (!sub) return;
        if (req.version() != 11 && req.version() != 10) return s->fail(http::status::bad_request, "HTTP/1.1 or 1.0 required\n");
        if (r->refuse)
            if (auto why = r->refuse(q); !why.empty()) return s->fail(http::status::bad_request, why);
        std::optional<std::uint64_t> head;
        if (!sub->cursor) head = core.messages().head();
        bool http10 = req.version() == 10;
        auto ps = std::make_shared<push_stream>(core, s->release(), r, http10);
        ps->filter = std::move(sub->filter);
        ps->route = r->path;
        auto pre = r->preamble(core.options(), head, q);
        // Every write of an HTTP/1.0 stream is unwrapped by chunk_data(),
        // the head too: it goes in as one chunk.
        ps->start(http10 ? make_chunk(as_http10(pre)) : std::move(pre), sub->cursor);
    });
}

push_stream::push_stream(server_core& core, flex_stream&& stream, std::shared_ptr<const stream_route> r, bool http10)
    : push_session(core), stream_(std::move(stream)), r_(std::move(r)), http10_(http10) {}

void push_stream::start(std::string head, std::optional<std::uint64_t> cursor) {
    enqueue(std::make_shared<const std::string>(std::move(head)));
    begin(cursor);
    if (closed()) return;
    if (stream_.is_tls()) do_watch_tls(std::make_unique<char[]>(64));
    else do_watch();
    // Every stream of the route beats on one list of this loop: a stream
    // pays a list entry, not a timer.
    if (r_->heartbeat_frame && r_->heartbeat_interval.count() > 0) arm(core_.timeouts(r_->heartbeat_interval));
}

std::shared_ptr<const std::string> push_stream::frame(const message_ptr& m) {
    return cached_frame(m, r_->frame_slot, [this](const stored_message& sm) { return r_->encode(*sm.body, sm.seq); });
}

std::shared_ptr<const std::string> push_stream::frame_control(std::string record) {
    return std::make_shared<const std::string>(r_->encode(record, 0));
}

void push_stream::start_write(const queued_frames& frames) {
    asio::async_write(stream_, http10_ ? frames.unwrapped(&chunk_data) : frames,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->written(ec); });
}

// The client never sends on a push stream; watching its socket tells us
// when it goes away (EOF or reset), so its subscription is dropped at once.
// A plain stream waits for readability and holds no buffer meanwhile.
void push_stream::do_watch() {
    stream_.stamped().async_wait_readable([self = shared_from_this()](beast::error_code ec) {
        if (ec || self->closed()) return self->close();
        // Whatever it sent is dropped, a bounded amount per wakeup so that
        // a client flooding us cannot hold the loop.
        char sink[1024];
        for (int i = 0; i < 16; ++i) {
            std::size_t n = 0;
            auto rec = self->stream_.stamped().read_now(asio::buffer(sink), n);
            if (rec == asio::error::would_block) break;
            if (rec) return self->close();
        }
        self->do_watch();
    });
}

// TLS must read a record to see a close: a small buffer, on the heap so
// that a plain stream does not carry it.
void push_stream::do_watch_tls(std::unique_ptr<char[]> buf) {
    auto b = asio::buffer(buf.get(), 64);
    stream_.async_read_some(b, [self = shared_from_this(), buf = std::move(buf)](beast::error_code ec, std::size_t) mutable {
        if (ec) return self->close();
        self->do_watch_tls(std::move(buf));
    });
}

void push_stream::expired() {
    if (closed()) return;
    enqueue(r_->heartbeat_frame);
    if (!closed()) arm(core_.timeouts(r_->heartbeat_interval));
}

void push_stream::close_socket() {
    disarm();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
}

} // namespace rtb
