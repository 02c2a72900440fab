#pragma once
// No includes beyond <cstdint>: transports/common/wire.cpp includes this
// next to <linux/tcp.h>, which clashes with glibc's <netinet/tcp.h>.
#include <cstdint>

namespace rtb {

// Bytes on the wire for a set of sockets, as the kernel counts them
// (TCP_INFO: tcpi_bytes_received / tcpi_bytes_sent, segments in / out).
// Everything the TCP connection carried is included: HTTP headers, framing,
// handshakes, empty poll answers. TCP/IP headers are not; see segs_*.
struct wire_bytes {
    std::uint64_t down = 0; // received by the client
    std::uint64_t up = 0;   // sent by the client
    std::uint64_t segs_in = 0;
    std::uint64_t segs_out = 0;
    // Of down and up, the bytes TLS added (records, handshakes, tickets,
    // alerts): kernel bytes minus the application bytes that went through
    // TLS. Zero on plain connections.
    std::uint64_t tls_down = 0, tls_up = 0;
    wire_bytes& operator+=(const wire_bytes& o) noexcept {
        down += o.down, up += o.up, segs_in += o.segs_in, segs_out += o.segs_out;
        tls_down += o.tls_down, tls_up += o.tls_up;
        return *this;
    }
    friend wire_bytes operator-(wire_bytes a, const wire_bytes& b) noexcept {
        a.down -= b.down, a.up -= b.up, a.segs_in -= b.segs_in, a.segs_out -= b.segs_out;
        a.tls_down -= b.tls_down, a.tls_up -= b.tls_up;
        return a;
    }
};

} // namespace rtb
