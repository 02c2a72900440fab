// Socket.IO 4.8 (the real `socket.io` server, server.js beside this file)
// and rtbench's Socket.IO client, one row per way of reaching it. Wire
// format and costs: README.md beside this file.
#include "peers/socketio/sio_options.hpp"

namespace rtb {

namespace {
// A message is the event 42["m","<body>"]: 10 bytes around the body (for
// the namespace "/", and a body JSON need not escape: pattern and random
// payloads), in one unmasked WebSocket frame (RFC 6455 5.2).
std::uint64_t ws_frame_bytes(std::uint64_t body, std::uint64_t) {
    std::uint64_t packet = body + 10;
    return packet + (packet < 126 ? 2 : packet < 65536 ? 4 : 10);
}
template <sio::mode M>
std::shared_ptr<client_session> make(boost::asio::io_context& io, const client_config& cfg, client_events& ev) {
    return sio::make_client(io, cfg, ev, M);
}
constexpr std::string_view script = "peers/socketio/server.js";
} // namespace

extern const transport_descriptor socketio_ws_transport{
    "socketio-ws", "Socket.IO 4.8 over WebSocket only (transports: [\"websocket\"]; peers/socketio)", "/socket.io/",
    sio::options, nullptr, &make<sio::mode::websocket>, nullptr, &ws_frame_bytes, script, "websocket",
    "Socket.IO 4.8 over websocket"};

extern const transport_descriptor socketio_polling_transport{
    "socketio-polling", "Socket.IO 4.8 over HTTP long polling only (transports: [\"polling\"]; peers/socketio)",
    "/socket.io/", sio::options, nullptr, &make<sio::mode::polling>, nullptr, nullptr, script, "long-polling",
    "Socket.IO 4.8 over long polling"};

extern const transport_descriptor socketio_upgrade_transport{
    "socketio-upgrade", "Socket.IO 4.8 polling, then the upgrade to WebSocket (the browser default; peers/socketio)",
    "/socket.io/", sio::options, nullptr, &make<sio::mode::upgrade>, nullptr, &ws_frame_bytes, script, "websocket",
    "Socket.IO 4.8, long polling then the upgrade to websocket"};

} // namespace rtb
