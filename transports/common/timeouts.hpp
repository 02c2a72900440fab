#pragma once
// Per-connection deadlines without a timer per connection. Every deadline
// of one kind has the same length (the idle timeout, the header timeout, a
// long poll's hold, a heartbeat's interval), so deadlines armed in order
// fall due in order: a FIFO list is already sorted, arming is a push at the
// back, disarming an unlink, and one Asio timer per list waits for its
// front. A connection pays two pointers, a time and a list pointer (what
// Beast's tcp_stream spends on a shared state with two timers, ~530 B per
// connection, and an asio::steady_timer 120 B inline plus its pending wait).
//
// Single-threaded, like the event loop that owns the list (one per server
// loop); an entry is armed on at most one list at a time.
#include <chrono>
#include <cstdint>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace rtb {

class timeout_list;

// Something with a deadline: derive, and say what happens when it passes.
class timed {
public:
    timed() = default;
    timed(const timed&) = delete;
    timed& operator=(const timed&) = delete;

    // Due `list.length()` from now; re-arming moves it to the back.
    void arm(timeout_list& list);
    void disarm();
    bool armed() const { return list_ != nullptr; }

protected:
    ~timed() { disarm(); }
    // Runs on the list's loop once the deadline passed; the entry is off
    // its list by then (re-arming is allowed).
    virtual void expired() = 0;

private:
    friend class timeout_list;
    timeout_list* list_ = nullptr;
    timed* prev_ = nullptr;
    timed* next_ = nullptr;
    std::int64_t due_ns_ = 0;
};

class timeout_list {
public:
    timeout_list(boost::asio::io_context& io, std::chrono::nanoseconds length);
    ~timeout_list(); // entries still on it are left disarmed
    timeout_list(const timeout_list&) = delete;
    timeout_list& operator=(const timeout_list&) = delete;

    std::chrono::nanoseconds length() const { return length_; }
    std::size_t size() const { return size_; }
    // No more expiries (the server stops); entries stay armed but never fire.
    void stop();

private:
    friend class timed;
    void push_back(timed& t);
    void unlink(timed& t);
    void schedule();   // the timer waits for the front entry, if any
    void on_timer();

    boost::asio::steady_timer timer_;
    std::chrono::nanoseconds length_;
    timed* head_ = nullptr;
    timed* tail_ = nullptr;
    std::size_t size_ = 0;
    std::int64_t timer_due_ns_ = 0; // when the pending wait ends; 0: none pending
    bool stopped_ = false;
    bool firing_ = false; // in on_timer(): arming there does not schedule
};

} // namespace rtb
