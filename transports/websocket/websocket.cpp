// WebSocket (RFC 6455, via Beast): GET /ws upgrades; one text frame per
// message; client -> server records as text frames. Wire format: README.md.
// Server: ws_server.cpp; client: ws_client.cpp.
#include "transports/websocket/ws_options.hpp"

namespace rtb {
namespace ws {
void install(server_core& core);
std::shared_ptr<client_session> make_client(boost::asio::io_context& io, const client_config& cfg,
                                            client_events& ev);
} // namespace ws

namespace {
// RFC 6455 5.2, server to client (unmasked): 2-byte header, plus 2 or 8
// bytes of extended length from 126 and 65,536 bytes on (without
// permessage-deflate, which changes the body itself).
std::uint64_t frame_bytes(std::uint64_t body, std::uint64_t) {
    return body + (body < 126 ? 2 : body < 65536 ? 4 : 10);
}
} // namespace

extern const transport_descriptor websocket_transport{
    "websocket", "WebSocket (RFC 6455): GET /ws upgrade, one text frame per message", "/ws",
    ws::options, &ws::install, &ws::make_client, nullptr, &frame_bytes};

} // namespace rtb
