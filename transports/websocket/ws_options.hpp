#pragma once
// The WebSocket transport's own settings (no Beast here: websocket.cpp, the
// descriptor, includes it too).
#include "harness/transport.hpp"

namespace rtb::ws {

using opt = transport_option;
inline constexpr opt ping_ms{"ws-ping-ms", opt::kind::number, opt::side::server, "ms", 0, 3'600'000,
                             "websocket: server ping interval (0 = off)"};
inline constexpr opt deflate{"ws-deflate", opt::kind::flag, opt::side::both, "", 0, 1,
                             "websocket: permessage-deflate (RFC 7692) on both sides", 0, true};
inline constexpr opt options[] = {ping_ms, deflate};

} // namespace rtb::ws
