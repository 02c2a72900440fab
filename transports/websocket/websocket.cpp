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

extern const transport_descriptor websocket_transport{
    "websocket", "WebSocket (RFC 6455): GET /ws upgrade, one text frame per message", "/ws",
    ws::options, &ws::install, &ws::make_client, nullptr, &ws::frame_bytes, {}, {}, {}, "ws wss",
    "echo broadcast connect"};

} // namespace rtb
