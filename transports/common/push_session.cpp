#include "transports/common/push_session.hpp"

#include <algorithm>

namespace rtb {

namespace {
// Messages fetched from the history per replay step: large enough to keep
// the socket busy, small against any --max-queue.
constexpr std::size_t replay_batch = 64;
} // namespace

push_session::~push_session() { core_.messages().unsubscribe(this); }

void push_session::begin(std::optional<std::uint64_t> cursor) {
    if (closed_) return;
    if (cursor) {
        replay_cursor_ = *cursor;
        return pump();
    }
    core_.messages().subscribe(this);
    pump();
}

void push_session::enqueue(std::shared_ptr<const std::string> bytes) {
    if (closed_) return;
    if (queue_.size() >= core_.options().max_queue) {
        ++core_.counters().slow_consumers;
        return close();
    }
    queue_.push_back(std::move(bytes));
    pump();
}

void push_session::hold_writes(bool on) {
    held_ = on;
    pump();
}

void push_session::pump() {
    if (writing_ || closed_ || held_) return;
    if (queue_.empty() && replay_cursor_) refill();
    if (queue_.empty() || closed_) return;
    writing_ = true;
    start_write(*queue_.front());
}

// The next batch of the replay; when there is none left the subscriber is
// caught up and goes live. Nothing can be published between the last look
// at the history and subscribe(): the server has one thread.
void push_session::refill() {
    auto& hub = core_.messages();
    auto r = hub.since(*replay_cursor_, filter, std::min(replay_batch, core_.options().max_queue));
    if (r.gap) queue_.push_back(frame_control(format_gap(r.gap->first, r.gap->last)));
    for (auto& m : r.messages) queue_.push_back(frame(m));
    replay_cursor_ = r.next_cursor;
    if (r.complete) {
        replay_cursor_.reset();
        hub.subscribe(this);
    }
}

void push_session::written(beast::error_code ec) {
    writing_ = false;
    if (ec) return close();
    ++core_.counters().frames_sent;
    queue_.pop_front();
    pump();
}

void push_session::close() {
    if (closed_) return;
    closed_ = true;
    replay_cursor_.reset();
    core_.messages().unsubscribe(this);
    close_socket();
}

} // namespace rtb
