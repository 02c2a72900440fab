#include "transports/common/timeouts.hpp"

namespace rtb {

namespace {
std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
} // namespace

void timed::arm(timeout_list& list) {
    disarm();
    due_ns_ = steady_ns() + list.length().count();
    list.push_back(*this);
}

void timed::disarm() {
    if (list_) list_->unlink(*this);
}

timeout_list::timeout_list(boost::asio::io_context& io, std::chrono::nanoseconds length)
    : timer_(io), length_(length) {}

timeout_list::~timeout_list() {
    while (head_) unlink(*head_);
}

void timeout_list::stop() {
    stopped_ = true;
    timer_.cancel();
}

void timeout_list::push_back(timed& t) {
    t.list_ = this;
    t.prev_ = tail_;
    t.next_ = nullptr;
    (tail_ ? tail_->next_ : head_) = &t;
    tail_ = &t;
    ++size_;
    if (!firing_) schedule();
}

void timeout_list::unlink(timed& t) {
    (t.prev_ ? t.prev_->next_ : head_) = t.next_;
    (t.next_ ? t.next_->prev_ : tail_) = t.prev_;
    t.list_ = nullptr;
    t.prev_ = t.next_ = nullptr;
    --size_;
    // The pending wait may now end before the new front is due; it then
    // finds nothing due and waits again (cheaper than re-setting the timer
    // on every disarm, which happens once per request).
}

// Deadlines only grow along the list, so a wait pending for an earlier
// front is never too late for the current one.
void timeout_list::schedule() {
    if (stopped_ || !head_ || timer_due_ns_ != 0) return;
    timer_due_ns_ = head_->due_ns_;
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(timer_due_ns_)));
    timer_.async_wait([this](boost::system::error_code ec) {
        // Cancelled: the list may be gone (its destructor cancels the
        // wait), so `this` is not touched.
        if (!ec) on_timer();
    });
}

void timeout_list::on_timer() {
    timer_due_ns_ = 0;
    if (stopped_) return;
    std::int64_t now = steady_ns();
    // Only the entries here now: one re-armed by its expired() (a
    // heartbeat) goes to the back and waits for its next turn.
    firing_ = true;
    for (std::size_t n = size_; n > 0 && head_ && head_->due_ns_ <= now; --n) {
        timed& t = *head_;
        unlink(t);
        t.expired();
    }
    firing_ = false;
    schedule();
}

} // namespace rtb
