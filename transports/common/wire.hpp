#pragma once
#include "harness/wire_bytes.hpp"

namespace rtb {
// The kernel's byte and segment counters for one TCP socket (TCP_INFO). Zero
// when the descriptor is not a connected TCP socket.
wire_bytes socket_wire(int fd) noexcept;
} // namespace rtb
