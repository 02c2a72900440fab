// Kept apart from Asio: <linux/tcp.h> has the full struct tcp_info (with
// tcpi_bytes_sent), which glibc's <netinet/tcp.h> does not.
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "transports/common/wire.hpp"

namespace rtb {

wire_bytes socket_wire(int fd) noexcept {
    struct tcp_info ti {};
    socklen_t len = sizeof ti;
    if (fd < 0 || ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return {};
    wire_bytes w;
    // tcpi_bytes_received: payload octets received in order (RFC 4898
    // HCThruOctetsReceived), minus what still waits unread in the receive
    // queue (SIOCINQ): so the bytes counted at an instant are those the
    // application has read by then, the same instant at which the harness
    // counts the messages it has read. tcpi_bytes_sent: payload octets
    // transmitted (HCDataOctetsOut; on loopback nothing is retransmitted, so
    // this is what the peer receives). TCP/IP headers are in neither.
    int unread = 0;
    if (::ioctl(fd, SIOCINQ, &unread) != 0 || unread < 0) unread = 0;
    w.down = ti.tcpi_bytes_received - static_cast<std::uint64_t>(unread);
    w.up = ti.tcpi_bytes_sent;
    w.segs_in = ti.tcpi_segs_in;
    w.segs_out = ti.tcpi_segs_out;
    return w;
}

} // namespace rtb
