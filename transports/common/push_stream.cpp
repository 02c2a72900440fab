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

push_stream::push_stream(server_core& core, beast::tcp_stream&& stream, frame_slot slot,
                         encoder enc)
    : connection(core), stream_(std::move(stream)), slot_(slot), enc_(enc),
      timer_(core.io()) {}

push_stream::~push_stream() { core_.messages().unsubscribe(this); }

void push_stream::start(std::string head, hub::replay replay, std::string heartbeat,
                        std::chrono::milliseconds interval) {
    enqueue(std::make_shared<const std::string>(std::move(head)));
    if (replay.gap)
        enqueue(std::make_shared<const std::string>(
            enc_(format_gap(replay.gap->first, replay.gap->last), 0)));
    for (auto& m : replay.messages) deliver(m);
    if (closed_) return;
    core_.messages().subscribe(this);
    do_watch();
    if (!heartbeat.empty() && interval.count() > 0) {
        heartbeat_ = std::make_shared<const std::string>(std::move(heartbeat));
        interval_ = interval;
        do_heartbeat();
    }
}

void push_stream::deliver(const message_ptr& m) {
    auto& cached = m->frames[slot_];
    if (!cached) cached = std::make_shared<const std::string>(enc_(*m->body, m->seq));
    enqueue(cached);
}

void push_stream::enqueue(std::shared_ptr<const std::string> bytes) {
    if (closed_) return;
    if (queue_.size() >= core_.options().max_queue) {
        // Slow consumer: dropping it keeps everyone else's latency honest; it
        // resumes from the history when it reconnects.
        ++core_.counters().slow_consumers;
        return close();
    }
    queue_.push_back(std::move(bytes));
    if (!writing_) do_write();
}

void push_stream::do_write() {
    writing_ = true;
    asio::async_write(stream_, asio::buffer(*queue_.front()),
                      beast::bind_front_handler(&push_stream::on_write, shared_from_this()));
}

void push_stream::on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return close();
    ++core_.counters().frames_sent;
    queue_.pop_front();
    if (!queue_.empty() && !closed_) do_write();
}

// The client never sends on a push stream; a pending read tells us when it
// goes away (EOF or reset), so its subscription is dropped at once.
void push_stream::do_watch() {
    stream_.async_read_some(asio::buffer(watch_buf_),
                            beast::bind_front_handler(&push_stream::on_watch, shared_from_this()));
}

void push_stream::on_watch(beast::error_code ec, std::size_t) {
    if (ec) return close();
    do_watch();
}

void push_stream::do_heartbeat() {
    timer_.expires_after(interval_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec || self->closed_) return;
        self->enqueue(self->heartbeat_);
        self->do_heartbeat();
    });
}

void push_stream::close() {
    if (closed_) return;
    closed_ = true;
    core_.messages().unsubscribe(this);
    timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
}

void push_stream::shut() { close(); }

} // namespace rtb
