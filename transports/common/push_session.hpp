#pragma once
// A server-side connection that pushes messages to one subscriber, the part
// every push transport shares: the bounded send queue with the slow-consumer
// rule, exactly one write in flight, the replay of missed history streamed
// as the socket drains, then live delivery. Derived classes (the chunked
// push_stream, the WebSocket session) provide the framing and the writes.
#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "transports/common/http_server.hpp"

namespace rtb {

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
    // Starts writing `bytes` (they stay alive until written()); exactly one
    // write is in flight at a time.
    virtual void start_write(const std::string& bytes) = 0;
    virtual void close_socket() = 0;

private:
    void pump();
    void refill();

    std::deque<std::shared_ptr<const std::string>> queue_;
    std::optional<std::uint64_t> replay_cursor_; // set while replaying
    bool writing_ = false, closed_ = false, held_ = false, stopped_ = false;
};

} // namespace rtb
