// SockJS 0.3 (the real `sockjs` server for Node, server.js beside this
// file) and rtbench's SockJS client, one row per SockJS transport. Wire
// format and costs: README.md beside this file.
#include "peers/sockjs/sockjs_options.hpp"

namespace rtb {

namespace {
// A message is the frame a["<body>"]: 5 bytes around the body (a body JSON
// need not escape: pattern and random payloads), in one unmasked WebSocket
// frame (RFC 6455 5.2).
std::uint64_t ws_frame_bytes(std::uint64_t body, std::uint64_t) {
    std::uint64_t frame = body + 5;
    return frame + (frame < 126 ? 2 : frame < 65536 ? 4 : 10);
}
// xhr_streaming: the same frame and '\n', written as one HTTP/1.1 chunk
// (hex size, CRLF, data, CRLF).
std::uint64_t chunk_frame_bytes(std::uint64_t body, std::uint64_t) {
    std::uint64_t line = body + 6;
    return line + hex_digits(line) + 4;
}
template <sockjs::mode M>
std::shared_ptr<client_session> make(boost::asio::io_context& io, const client_config& cfg, client_events& ev) {
    return sockjs::make_client(io, cfg, ev, M);
}
constexpr std::string_view script = "peers/sockjs/server.js";
} // namespace

extern const transport_descriptor sockjs_ws_transport{
    "sockjs-ws", "SockJS 0.3 (Node sockjs 0.3.24) over its websocket transport (peers/sockjs)", "/sockjs/",
    sockjs::options, nullptr, &make<sockjs::mode::websocket>, nullptr, &ws_frame_bytes, script, "websocket",
    "SockJS 0.3.24 over websocket"};

extern const transport_descriptor sockjs_xhr_streaming_transport{
    "sockjs-xhr-streaming", "SockJS 0.3 over xhr_streaming: a POST whose answer streams, uploads by xhr_send "
    "(peers/sockjs)", "/sockjs/", sockjs::options, nullptr, &make<sockjs::mode::xhr_streaming>, nullptr,
    &chunk_frame_bytes, script, "streaming", "SockJS 0.3.24 over xhr_streaming"};

extern const transport_descriptor sockjs_xhr_polling_transport{
    "sockjs-xhr-polling", "SockJS 0.3 over xhr polling: one POST per answer, uploads by xhr_send (peers/sockjs)",
    "/sockjs/", sockjs::options, nullptr, &make<sockjs::mode::xhr_polling>, nullptr, nullptr, script,
    "long-polling", "SockJS 0.3.24 over xhr polling"};

} // namespace rtb
