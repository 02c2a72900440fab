#pragma once
// The kernel's memory for a server's TCP connections, which RSS does not
// show: what `ss -tm` prints per socket as skmem, read the way ss reads it
// (NETLINK_SOCK_DIAG, linux/inet_diag.h), for every connected socket whose
// local port is the server's.
#include <cstdint>
#include <optional>

namespace rtb {

struct socket_memory {
    std::uint64_t sockets = 0; // connected (not listening) TCP sockets on the port, IPv4 and IPv6
    // Bytes charged to them: received data not yet read (skmem r, its
    // truesize), data queued to send or unacknowledged (w), memory reserved
    // ahead of use (f) and socket options' memory (o). The socket
    // structures themselves (about 2 KiB of slab each) are not reported per
    // socket by the kernel and are not in it.
    std::uint64_t bytes = 0;
};

// nullopt when the kernel cannot be asked (no sock_diag).
std::optional<socket_memory> tcp_socket_memory(std::uint16_t local_port);

} // namespace rtb
