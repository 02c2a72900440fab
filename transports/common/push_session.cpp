#include "transports/common/push_session.hpp"

#include <algorithm>

namespace rtb {

namespace {
// Messages fetched from the history per replay step: large enough to keep
// the socket busy, small against any --max-queue.
constexpr std::size_t replay_batch = 64;
} // namespace

void frame_queue::pop_front(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) v_[head_ + i].reset();
    head_ += n;
    if (head_ == v_.size()) {
        // Emptied: the storage goes back, so an idle connection holds none
        // (one allocation per write for a connection that gets a message
        // at a time: tens of nanoseconds against microseconds of writing).
        std::vector<value_type>().swap(v_);
        head_ = 0;
    } else if (head_ >= 64 && head_ * 2 >= v_.size()) {
        v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
}

push_session::~push_session() { core_.messages().unsubscribe(this); }

void push_session::begin(std::optional<std::uint64_t> cursor) {
    if (closed_ || stopped_) return;
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
    if (queue_.empty() && replay_cursor_ && !stopped_) refill();
    if (queue_.empty() || closed_) return;
    std::size_t n = 1, bytes = queue_.front()->size();
    std::size_t limit = std::min(core_.options().max_gather, gather_limit());
    while (n < queue_.size() && n < limit && bytes + queue_[n]->size() <= gather_bytes) bytes += queue_[n++]->size();
    writing_ = true;
    in_flight_ = static_cast<std::uint32_t>(n);
    start_write(queued_frames(queue_, n));
}

// The next batch of the replay. Only a look at the history that finds
// nothing left (with the queue empty) makes the subscriber live: going live
// with a last batch still queued could put a client that is not slow over
// --max-queue with the next publish. Nothing can be published between that
// look and subscribe(): the server has one thread.
void push_session::refill() {
    auto& hub = core_.messages();
    auto r = hub.since(*replay_cursor_, filter, std::clamp<std::size_t>(core_.options().max_queue / 2, 1, replay_batch));
    if (r.gap) queue_.push_back(frame_control(format_gap(r.gap->first, r.gap->last)));
    for (auto& m : r.messages) queue_.push_back(frame(m));
    replay_cursor_ = r.next_cursor;
    if (r.complete && r.messages.empty() && !r.gap) {
        replay_cursor_.reset();
        hub.subscribe(this);
    }
}

void push_session::stop_delivery() {
    replay_cursor_.reset();
    stopped_ = true;
    core_.messages().unsubscribe(this);
}

void push_session::written(beast::error_code ec) {
    writing_ = false;
    if (ec) return close();
    // Both counted when the write is done, so frames_sent / writes is
    // messages per completed write whenever /stats reads them.
    core_.counters().frames_sent += in_flight_;
    ++core_.counters().writes;
    queue_.pop_front(in_flight_);
    in_flight_ = 0;
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
