#pragma once
// Shared by the WebSocket server and client translation units (split so the
// two heavy Beast instantiations compile in parallel).
#include <boost/beast/websocket.hpp>

#include "transports/common/client_base.hpp"
#include "transports/common/http_server.hpp"
#include "transports/websocket/ws_options.hpp"

namespace rtb::ws {

namespace websocket = beast::websocket;
using ws_stream = websocket::stream<beast::tcp_stream>;

// Options both roles share. auto_fragment off: Beast would otherwise split a
// message larger than its write buffer (4 KiB) into several frames, and our
// wire format is one message per frame.
void set_common(ws_stream& ws, beast::role_type role, std::chrono::milliseconds ping);

void install(server_core& core);
std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev);

} // namespace rtb::ws
