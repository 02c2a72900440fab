#pragma once
// Shared by the WebSocket server and client translation units (split so the
// two heavy Beast instantiations compile in parallel).
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "transports/common/client_base.hpp"
#include "transports/common/http_server.hpp"
#include "transports/websocket/ws_options.hpp"

namespace rtb {

// WebSocket's closing of the connection under it (found by argument-
// dependent lookup): over TLS, Beast's TLS teardown (close_notify), else the
// TCP one.
inline void teardown(beast::role_type role, flex_stream& s, beast::error_code& ec) {
    if (auto* t = s.tls()) return beast::teardown(role, *t, ec);
    beast::websocket::teardown(role, s.socket(), ec);
}
template <class Handler>
void async_teardown(beast::role_type role, flex_stream& s, Handler&& h) {
    if (auto* t = s.tls()) return beast::async_teardown(role, *t, std::forward<Handler>(h));
    beast::websocket::async_teardown(role, s.socket(), std::forward<Handler>(h));
}

} // namespace rtb

namespace rtb::ws {

namespace websocket = beast::websocket;
using ws_stream = websocket::stream<flex_stream>;

// Options both roles share. auto_fragment off: Beast would otherwise split a
// message larger than its write buffer (4 KiB) into several frames, and our
// wire format is one message per frame.
void set_common(ws_stream& ws, beast::role_type role, std::chrono::milliseconds ping);

// A client's WebSocket stream, not yet connected: set_common, the upgrade
// request's headers by the run's profile (minimal: User-Agent rtbench;
// browser: Chrome's, with its permessage-deflate offer when
// `chrome_deflate_offer`), and the largest message it reads. Shared by
// rtbench's WebSocket client and the peers' (Socket.IO, SockJS).
std::shared_ptr<ws_stream> make_client_stream(asio::io_context& io, const client_config& cfg, std::size_t read_max,
                                              bool chrome_deflate_offer = false);

void install(server_core& core);
std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev);

} // namespace rtb::ws
