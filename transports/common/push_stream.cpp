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

void install_stream_route(server_core& core, stream_route route) {
    route.frame_slot = core.messages().add_frame_slot();
    auto r = std::make_shared<const stream_route>(std::move(route));
    core.add_route(r->path, [&core, r](const std::shared_ptr<http_session>& s, request&& req, const query& q) {
        auto sub = read_subscription(s, req, q, r->cursor);
        if (!sub) return;
        if (req.version() != 11) return s->fail(http::status::bad_request, "HTTP/1.1 required (chunked)\n");
        std::optional<std::uint64_t> head;
        if (!sub->cursor) head = core.messages().head();
        auto ps = std::make_shared<push_stream>(core, s->release(), r);
        ps->filter = std::move(sub->filter);
        ps->route = r->path;
        ps->start(r->preamble(core.options(), head), sub->cursor);
    });
}

push_stream::push_stream(server_core& core, beast::tcp_stream&& stream, std::shared_ptr<const stream_route> r)
    : push_session(core), stream_(std::move(stream)), r_(std::move(r)), timer_(core.io()) {}

void push_stream::start(std::string head, std::optional<std::uint64_t> cursor) {
    enqueue(std::make_shared<const std::string>(std::move(head)));
    begin(cursor);
    if (closed()) return;
    do_watch();
    if (!r_->heartbeat.empty() && r_->heartbeat_interval.count() > 0) {
        heartbeat_ = std::make_shared<const std::string>(r_->heartbeat);
        do_heartbeat();
    }
}

std::shared_ptr<const std::string> push_stream::frame(const message_ptr& m) {
    return cached_frame(m, r_->frame_slot, [this](const stored_message& sm) { return r_->encode(*sm.body, sm.seq); });
}

std::shared_ptr<const std::string> push_stream::frame_control(std::string record) {
    return std::make_shared<const std::string>(r_->encode(record, 0));
}

void push_stream::start_write(const std::string& bytes) {
    asio::async_write(stream_, asio::buffer(bytes),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->written(ec); });
}

// The client never sends on a push stream; a pending read tells us when it
// goes away (EOF or reset), so its subscription is dropped at once.
void push_stream::do_watch() {
    stream_.async_read_some(asio::buffer(watch_buf_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->close();
                                self->do_watch();
                            });
}

void push_stream::do_heartbeat() {
    timer_.expires_after(r_->heartbeat_interval);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec || self->closed()) return;
        self->enqueue(self->heartbeat_);
        self->do_heartbeat();
    });
}

void push_stream::close_socket() {
    timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
}

} // namespace rtb
