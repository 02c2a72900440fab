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

// RFC 6455 5.2, server to client (unmasked): 2-byte header, plus 2 or 8
// bytes of extended length from 126 and 65,536 bytes on (without
// permessage-deflate, which changes the body itself). Any server of the
// websocket contract frames so (peers/node-ws too).
inline std::uint64_t frame_bytes(std::uint64_t body, std::uint64_t) {
    return body + (body < 126 ? 2 : body < 65536 ? 4 : 10);
}

} // namespace rtb::ws
