#pragma once
// Server side of a long-lived HTTP response that pushes one chunk per
// message (HTTP streaming and SSE share it; only the chunk text differs).
#include <deque>
#include <memory>
#include <string>

#include "transports/common/http_server.hpp"

namespace rtb {

// Builds a chunk of the HTTP/1.1 chunked encoding (RFC 9112 section 7.1):
// hex size CRLF data CRLF. No extensions.
std::string make_chunk(std::string_view data);

class push_stream : public connection,
                    public subscriber,
                    public std::enable_shared_from_this<push_stream> {
public:
    // encode(record, seq) returns the chunk for one record (seq 0 for control
    // records); a message's chunk is cached in its frame slot and shared.
    using encoder = std::string (*)(std::string_view record, std::uint64_t seq);

    push_stream(server_core& core, beast::tcp_stream&& stream, frame_slot slot, encoder enc);
    ~push_stream() override;

    // Writes `head` (the response header and any preamble), then the replay,
    // then goes live. `heartbeat`, when non-empty, is written every interval.
    void start(std::string head, hub::replay replay, std::string heartbeat,
               std::chrono::milliseconds interval);

    void deliver(const message_ptr& m) override;
    void shut() override;

private:
    void enqueue(std::shared_ptr<const std::string> bytes);
    void do_write();
    void on_write(beast::error_code ec, std::size_t n);
    void do_watch();
    void on_watch(beast::error_code ec, std::size_t n);
    void do_heartbeat();
    void close();

    beast::tcp_stream stream_;
    frame_slot slot_;
    encoder enc_;
    std::deque<std::shared_ptr<const std::string>> queue_;
    bool writing_ = false;
    bool closed_ = false;
    char watch_buf_[64];
    std::shared_ptr<const std::string> heartbeat_;
    std::chrono::milliseconds interval_{0};
    asio::steady_timer timer_;
};

} // namespace rtb
