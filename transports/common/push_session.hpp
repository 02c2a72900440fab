#pragma once
// A server-side connection that pushes messages to one subscriber, the part
// every push transport shares: the bounded send queue with the slow-consumer
// rule, exactly one write in flight, the replay of missed history streamed
// as the socket drains, then live delivery. Derived classes (the chunked
// push_stream, the WebSocket session) provide the framing and the writes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>

#include "transports/common/http_server.hpp"

namespace rtb {

// A connection's send queue. Unlike std::deque (whose empty instance holds
// a 64-byte map and a first 512-byte block in libstdc++), it holds nothing
// until used and gives its storage back once emptied, so an idle
// connection costs nothing here. Indices count from the front;
// they move only in pop_front(), never while a write is in flight.
class frame_queue {
public:
    using value_type = std::shared_ptr<const std::string>;
    bool empty() const { return head_ == v_.size(); }
    std::size_t size() const { return v_.size() - head_; }
    const value_type& front() const { return v_[head_]; }
    const value_type& operator[](std::size_t i) const { return v_[head_ + i]; }
    void push_back(value_type f) { v_.push_back(std::move(f)); }
    void pop_front(std::size_t n);

private:
    std::vector<value_type> v_;
    std::size_t head_ = 0;
};

// The first messages of a send queue as one Asio buffer sequence, so that
// they go out in one gather write (writev) instead of a system call each.
// It copies as three words and names the queue's elements by index, read
// at each dereference, so messages appended behind them (which may move
// the queue's storage) leave it valid; the bytes themselves never move.
class queued_frames {
public:
    using queue = frame_queue;
    // Maps a frame's bytes to what is written (an HTTP/1.0 stream's
    // unwrapped chunk); nullptr: as they are.
    using unwrap_fn = std::string_view (*)(std::string_view);

    // An iterator names the queue itself, not this sequence, so it stays
    // valid in any copy Asio makes of the sequence.
    class const_iterator {
    public:
        using iterator_category = std::bidirectional_iterator_tag;
        using value_type = boost::asio::const_buffer;
        using difference_type = std::ptrdiff_t;
        using pointer = const value_type*;
        using reference = value_type;
        const_iterator() = default;
        const_iterator(const queue* q, std::size_t i, unwrap_fn unwrap) : q_(q), i_(i), unwrap_(unwrap) {}
        value_type operator*() const {
            std::string_view s(*(*q_)[i_]);
            if (unwrap_) s = unwrap_(s);
            return {s.data(), s.size()};
        }
        const_iterator& operator++() { return ++i_, *this; }
        const_iterator operator++(int) { auto c = *this; ++i_; return c; }
        const_iterator& operator--() { return --i_, *this; }
        const_iterator operator--(int) { auto c = *this; --i_; return c; }
        bool operator==(const const_iterator& o) const { return i_ == o.i_; }

    private:
        const queue* q_ = nullptr;
        std::size_t i_ = 0;
        unwrap_fn unwrap_ = nullptr;
    };

    queued_frames(const queue& q, std::size_t n, unwrap_fn unwrap = nullptr) : q_(&q), n_(n), unwrap_(unwrap) {}
    const_iterator begin() const { return {q_, 0, unwrap_}; }
    const_iterator end() const { return {q_, n_, unwrap_}; }
    std::size_t size() const { return n_; }
    const std::string& front() const { return *q_->front(); }
    queued_frames unwrapped(unwrap_fn f) const { return {*q_, n_, f}; }

private:
    const queue* q_;
    std::size_t n_;
    unwrap_fn unwrap_;
};

class push_session : public connection, public subscriber {
public:
    void deliver(const message_ptr& m) override { enqueue(frame(m)); }

protected:
    explicit push_session(server_core& core) : connection(core) {}
    ~push_session() override;

    // Starts the flow once the connection is set up (anything queued before,
    // such as a response head, goes first). With a cursor, the messages
    // after it are replayed from the history a batch at a time, each batch
    // when the previous one has been written, so a replay of any length
    // never fills the queue; once caught up with the head, the subscriber
    // goes live. Without one, it goes live at once.
    void begin(std::optional<std::uint64_t> cursor);
    // Queues bytes for the socket. Beyond --max-queue the subscriber cannot
    // keep up: it is dropped (and resumes from the history when it comes
    // back), which keeps everyone else's latency honest.
    void enqueue(std::shared_ptr<const std::string> bytes);
    // While held, messages queue but nothing is written (a WebSocket
    // session subscribes before its handshake answer goes out, so that a
    // client that sees the answer is already subscribed).
    void hold_writes(bool on);
    // The derived class calls this when the write it started has finished.
    void written(beast::error_code ec);
    // Idempotent: unsubscribes and closes the socket (close_socket()).
    void close();
    // No more messages for this subscriber (live or replayed); what is
    // queued still goes out (e.g. before a WebSocket Close).
    void stop_delivery();
    bool closed() const { return closed_; }

    // A message's bytes on this transport (may be cached in the message).
    virtual std::shared_ptr<const std::string> frame(const message_ptr& m) = 0;
    // A control record's bytes ("!gap a b", "!head n").
    virtual std::shared_ptr<const std::string> frame_control(std::string record) = 0;
    // Starts writing `frames` (they stay alive until written()); exactly
    // one write is in flight at a time. Every message queued behind a
    // write in flight goes out in the next one, up to --max-gather and
    // gather_bytes: no message waits for coalescing, and a connection that
    // keeps up writes one message per system call as before.
    virtual void start_write(const queued_frames& frames) = 0;
    // The most messages one write of this transport may carry (WebSocket:
    // 1, see ws_server.cpp).
    virtual std::size_t gather_limit() const { return SIZE_MAX; }
    static constexpr std::size_t gather_bytes = 64 * 1024;
    virtual void close_socket() = 0;

private:
    void pump();
    void refill();

    frame_queue queue_;
    std::optional<std::uint64_t> replay_cursor_; // set while replaying
    std::uint32_t in_flight_ = 0;                // messages of the write in flight
    bool writing_ = false, closed_ = false, held_ = false, stopped_ = false;
};

} // namespace rtb
