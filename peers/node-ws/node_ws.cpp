// Node's `ws` 8.x serving rtbench's WebSocket contract (server.js beside
// this file; peers/README.md). The client is rtbench's own WebSocket client,
// so a row of this peer beside a `websocket` row differs only in the server.
#include "transports/websocket/ws_options.hpp"

namespace rtb {
namespace ws {
std::shared_ptr<client_session> make_client(boost::asio::io_context& io, const client_config& cfg,
                                            client_events& ev);
} // namespace ws

extern const transport_descriptor node_ws_transport{
    "node-ws", "Node.js ws 8.x serving the websocket contract (peers/node-ws)", "/ws",
    ws::options, nullptr, &ws::make_client, nullptr, &ws::frame_bytes, "peers/node-ws/server.js", "websocket",
    "websocket on Node ws 8.23"};

} // namespace rtb
