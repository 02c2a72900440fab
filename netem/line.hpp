#pragma once
// One direction of one relayed connection, as a model with no sockets:
// bytes arrive at the relay at known times; the line says when each byte may
// be written on. The relay (relay.cpp) only moves bytes when it says so, so
// every property of the path is tested here on exact numbers (line_test).
//
// The path, in the order a segment meets it (netem/README.md has the model
// and its limits):
//   handshake -> bottleneck queue + line rate -> propagation delay + jitter
//   -> loss recovery -> in-order delivery
// Byte order is never changed: a segment leaves no earlier than the one
// before it (jitter and loss stall what follows, as TCP does).
#include <cstdint>
#include <vector>

#include "netem/net_profile.hpp"

namespace rtb {

struct line_params {
    std::int64_t delay_ns = 0;      // one-way propagation delay
    std::int64_t jitter_ns = 0;     // each segment's delay varies uniformly by +-jitter/2
    double rate_bps = 0;            // bottleneck line rate; 0 = unlimited
    std::uint64_t queue_bytes = 0;  // bottleneck buffer (the relay reads no more while it is full)
    double loss = 0;                // probability that a segment is lost
    std::int64_t rtt_ns = 0;        // the path's round trip: a fast retransmit costs one
    std::int64_t rto_ns = 0;        // what a loss costs when fast retransmit cannot happen
    std::int64_t not_before_ns = 0; // the TCP handshake: nothing leaves before this
    std::uint32_t mss = 1448;       // segment size: Ethernet MTU minus IPv4, TCP and timestamps
};

// The parameters of one direction of `p` for a connection accepted at
// `accepted_ns`. down: server -> client.
line_params line_for(const net_profile& p, bool down, std::int64_t accepted_ns);

// TCP's retransmission timeout on the path (Linux: srtt + rttvar with
// rttvar at least tcp_rto_min = 200 ms).
std::int64_t rto_for(const net_profile& p);

class line {
public:
    line(const line_params& p, std::uint64_t seed);

    // `n` bytes read by the relay at `now_ns`.
    void arrive(std::int64_t now_ns, std::uint64_t n);
    // When the first byte not yet released may leave; INT64_MAX if none.
    std::int64_t next_release() const;
    // Releases, in order, what may leave at `now_ns`; returns the bytes.
    std::uint64_t release(std::int64_t now_ns);
    // Bytes (with their TCP/IP headers) waiting for the bottleneck at
    // `now_ns`: the queue the bound is on.
    std::uint64_t backlog(std::int64_t now_ns) const;
    bool queue_full(std::int64_t now_ns) const;
    // Bytes the queue can still take at `now_ns` (no limit without a rate).
    std::uint64_t queue_room(std::int64_t now_ns) const;
    // When the queue will have room again (meaningful while it is full).
    std::int64_t queue_free_at() const;
    std::uint64_t held() const { return held_; }
    std::uint64_t lost_segments() const { return lost_; }
    // Test hook: the next segment is lost (whatever `loss` says).
    void lose_next_segment() { force_loss_ = true; }

private:
    struct segment {
        std::int64_t at;        // when it reaches the receiver (before in-order delivery)
        std::uint64_t id;       // position in the stream, in segments
        std::uint32_t bytes;
        std::uint32_t dupacks;  // lost: later segments that arrived (3 = fast retransmit)
        bool lost;
    };
    void add_segment(std::int64_t now_ns, std::uint32_t bytes);
    void count_dupacks(std::int64_t arrival_ns);
    double uniform(); // [0, 1)

    line_params p_;
    std::vector<segment> segs_; // FIFO: [head_, size)
    std::size_t head_ = 0;
    std::vector<std::uint64_t> waiting_fr_; // ids of lost segments not yet fast-retransmitted
    std::uint64_t next_id_ = 0;
    std::int64_t link_free_ = 0;  // when the bottleneck has sent everything so far
    std::int64_t last_release_ = INT64_MIN;
    std::uint64_t held_ = 0, lost_ = 0;
    std::uint64_t rng_;
    bool force_loss_ = false;
};

} // namespace rtb
