#pragma once
// Server side of a long-lived chunked HTTP response that pushes one chunk
// per message (HTTP streaming and SSE share it; only the chunk text differs),
// and the route that hands a subscription request over to one.
#include <memory>
#include <string>

#include "transports/common/flex_stream.hpp"
#include "transports/common/push_session.hpp"

namespace rtb {

// Builds a chunk of the HTTP/1.1 chunked encoding (RFC 9112 section 7.1):
// hex size CRLF data CRLF. No extensions.
std::string make_chunk(std::string_view data);
// The data of a chunk made by make_chunk (what an HTTP/1.0 body carries).
std::string_view chunk_data(std::string_view chunk);

// What a chunked push transport declares; serve_stream does the rest.
struct stream_route {
    std::string_view path = {};
    // The chunk for one record (seq 0 for control records).
    std::string (*encode)(std::string_view record, std::uint64_t seq) = nullptr;
    // Response header + preamble; `head` is set when the client sent no
    // cursor (it is told the current sequence number instead); `q` is the
    // request's query (htmlfile names its callback there).
    std::string (*preamble)(const server_options& opt, std::optional<std::uint64_t> head, const query& q) = nullptr;
    // The request's own parameters checked before anything is written: a
    // non-empty answer is the 400's text. nullptr: nothing to check.
    std::string (*refuse)(const query& q) = nullptr;
    cursor_source cursor = {};
    std::string heartbeat = {};                 // written every heartbeat_interval when non-empty
    std::chrono::milliseconds heartbeat_interval{0};
    std::size_t frame_slot = 0;                 // from hub::add_frame_slot() at install
    std::shared_ptr<const std::string> heartbeat_frame = {}; // `heartbeat`, shared by every stream (at install)
};

// Installs `r` at r.path on `core` (allocating its frame-cache slot).
void install_stream_route(server_core& core, stream_route r);

class push_stream final : public push_session, public timed, public std::enable_shared_from_this<push_stream> {
public:
    push_stream(server_core& core, flex_stream&& stream, std::shared_ptr<const stream_route> r, bool http10 = false);

    // Writes `head` (the response header and any preamble), then the replay
    // after `cursor`, then goes live.
    void start(std::string head, std::optional<std::uint64_t> cursor);
    void shut() override { close(); }

private:
    std::shared_ptr<const std::string> frame(const message_ptr& m) override;
    std::shared_ptr<const std::string> frame_control(std::string record) override;
    void start_write(const queued_frames& frames) override;
    void close_socket() override;
    void do_watch();
    void do_watch_tls(std::unique_ptr<char[]> buf);
    void expired() override; // the heartbeat is due

    flex_stream stream_;
    std::shared_ptr<const stream_route> r_;
    // An HTTP/1.0 request (a proxy's default upstream protocol): the body is
    // not chunked but delimited by the close (RFC 9112 6.3), so each chunk
    // is written without its size line and CRLF.
    bool http10_;
};

} // namespace rtb
