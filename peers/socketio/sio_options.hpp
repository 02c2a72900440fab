#pragma once
// The Socket.IO rows' own settings and the client's modes (no Beast here:
// socketio.cpp, the descriptors, includes it).
#include "harness/transport.hpp"

namespace rtb::sio {

using opt = transport_option;
inline constexpr opt ping_ms{"sio-ping-ms", opt::kind::number, opt::side::server, "ms", 25000, 3'600'000,
                             "socketio-*: the server's pingInterval (Engine.IO heartbeat; 25000 is Socket.IO's "
                             "default)", 1};
inline constexpr opt custom_namespace{"sio-namespace", opt::kind::flag, opt::side::client, "", 0, 1,
                                      "socketio-*: connect to the namespace /rtb instead of / (every packet then "
                                      "names it: 5 bytes more)"};
inline constexpr opt options[] = {ping_ms, custom_namespace};

// How a client reaches the server, as Socket.IO's own client option
// `transports` chooses: HTTP long polling only, WebSocket only, or polling
// first and then the upgrade to WebSocket (the browser default).
enum class mode { polling, websocket, upgrade };

std::shared_ptr<client_session> make_client(boost::asio::io_context& io, const client_config& cfg, client_events& ev,
                                            mode m);

} // namespace rtb::sio
