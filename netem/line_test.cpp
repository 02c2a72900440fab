// The network model on exact numbers, no sockets: each property of the
// path (netem/README.md) against the answer worked out by hand.
#include "netem/line.hpp"

#include <gtest/gtest.h>

namespace rtb {
namespace {

constexpr std::int64_t ms = 1'000'000;

line_params delay_only(std::int64_t d) {
    line_params p;
    p.delay_ns = d;
    return p;
}

TEST(Line, DelayLineDelaysByExactlyTheOneWayDelay) {
    line l(delay_only(50 * ms), 1);
    l.arrive(0, 100);
    l.arrive(10 * ms, 200);
    EXPECT_EQ(l.next_release(), 50 * ms);
    EXPECT_EQ(l.release(50 * ms - 1), 0u);
    EXPECT_EQ(l.release(50 * ms), 100u);
    EXPECT_EQ(l.next_release(), 60 * ms);
    EXPECT_EQ(l.release(61 * ms), 200u);
    EXPECT_EQ(l.next_release(), INT64_MAX);
    EXPECT_EQ(l.held(), 0u);
}

TEST(Line, ZeroProfileReleasesAtOnce) {
    line l(line_params{}, 1);
    l.arrive(5, 1'000'000);
    EXPECT_EQ(l.next_release(), 5);
    EXPECT_EQ(l.release(5), 1'000'000u);
}

TEST(Line, RateLimitSerialisesAtTheLineRateWithHeaders) {
    line_params p;
    p.rate_bps = 1e6; // 1 Mbit/s
    p.queue_bytes = 1 << 30;
    line l(p, 1);
    l.arrive(0, 100 * 1448); // 100 full segments
    // Each segment is 1448 + 52 header bytes on the line: 12 ms at 1 Mbit/s;
    // the last has left after exactly 1.2 s.
    EXPECT_EQ(l.next_release(), 12 * ms);
    EXPECT_EQ(l.release(600 * ms), 50u * 1448);
    EXPECT_EQ(l.release(1200 * ms - 1), 49u * 1448);
    EXPECT_EQ(l.release(1200 * ms), 1448u);
}

TEST(Line, QueueIsBoundedAndBacklogDrainsAtTheRate) {
    line_params p;
    p.rate_bps = 8e6; // 1 byte/us
    p.queue_bytes = 10'000;
    p.mss = 1 << 20;  // one segment per arrival: 52 header bytes each
    line l(p, 1);
    l.arrive(0, 9'000);
    EXPECT_FALSE(l.queue_full(0));
    l.arrive(0, 2'000);
    EXPECT_TRUE(l.queue_full(0));
    EXPECT_EQ(l.backlog(0), 11'104u);
    EXPECT_EQ(l.backlog(5 * ms), 6'104u); // 5 ms later, 5,000 bytes have gone
    EXPECT_EQ(l.queue_free_at(), 1'104'001); // 11,104 - 10,000 bytes after 1.104 ms
    EXPECT_FALSE(l.queue_full(l.queue_free_at()));
}

TEST(Line, JitterNeverReordersAndStaysInItsBand) {
    line_params p;
    p.delay_ns = 50 * ms;
    p.jitter_ns = 20 * ms; // one-way delay in [40, 60] ms
    line l(p, 42);
    std::int64_t prev = 0;
    std::uint64_t got = 0;
    for (int i = 0; i < 1000; ++i) {
        l.arrive(i * ms, 100); // one segment a millisecond
        std::int64_t at = l.next_release();
        if (at <= (i + 1) * ms) {
            EXPECT_GE(at, prev);
            prev = at;
            got += l.release(at);
        }
    }
    while (l.next_release() != INT64_MAX) {
        std::int64_t at = l.next_release();
        EXPECT_GE(at, prev);
        prev = at;
        got += l.release(at);
    }
    EXPECT_EQ(got, 100'000u);
    EXPECT_LE(prev, 999 * ms + 60 * ms);
}

TEST(Line, JitterDelaysEachSegmentWithinHalfTheJitter) {
    line_params p;
    p.delay_ns = 50 * ms;
    p.jitter_ns = 20 * ms;
    // Segments a second apart cannot hold each other up: each release is
    // its own delay, which must lie in [40, 60] ms and spread over it.
    line l(p, 7);
    std::int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 200; ++i) {
        std::int64_t t = i * 1000 * ms;
        l.arrive(t, 100);
        std::int64_t d = l.next_release() - t;
        lo = std::min(lo, d), hi = std::max(hi, d);
        l.release(l.next_release());
    }
    EXPECT_GE(lo, 40 * ms);
    EXPECT_LE(hi, 60 * ms);
    EXPECT_LT(lo, 42 * ms);
    EXPECT_GT(hi, 58 * ms);
}

line_params lossy() {
    line_params p;
    p.delay_ns = 50 * ms;
    p.rtt_ns = 100 * ms;
    p.rto_ns = 300 * ms; // RTT + 200 ms
    return p;
}

TEST(Line, TailLossCostsTheRetransmissionTimeout) {
    line l(lossy(), 1);
    l.lose_next_segment();
    l.arrive(0, 100); // nothing follows it: no duplicate ACKs
    EXPECT_EQ(l.next_release(), 50 * ms + 300 * ms);
    EXPECT_EQ(l.lost_segments(), 1u);
}

TEST(Line, LossWithThreeFollowersCostsOneRoundTrip) {
    line l(lossy(), 1);
    l.lose_next_segment();
    l.arrive(0, 100);
    l.arrive(1 * ms, 100);
    l.arrive(2 * ms, 100);
    EXPECT_EQ(l.next_release(), 350 * ms); // two duplicate ACKs: not yet
    l.arrive(3 * ms, 100);
    // The third follower arrives at 53 ms; its duplicate ACK reaches the
    // sender at 103 ms, the retransmission the receiver at 153 ms.
    EXPECT_EQ(l.next_release(), 153 * ms);
    // Head-of-line blocking: the followers wait for the hole to fill.
    EXPECT_EQ(l.release(152 * ms), 0u);
    EXPECT_EQ(l.release(153 * ms), 400u);
}

TEST(Line, LossRateMatchesTheProbability) {
    line_params p = lossy();
    p.loss = 0.05;
    line l(p, 3);
    for (int i = 0; i < 20'000; ++i) l.arrive(i * ms, 100);
    EXPECT_NEAR(static_cast<double>(l.lost_segments()) / 20'000, 0.05, 0.006);
}

TEST(Line, HandshakeHoldsTheFirstBytesOneRoundTrip) {
    net_profile n;
    n.relay = true;
    n.rtt_ms = 100;
    auto up = line_for(n, false, 1000 * ms);
    auto down = line_for(n, true, 1000 * ms);
    EXPECT_EQ(up.not_before_ns, 1100 * ms);
    EXPECT_EQ(down.not_before_ns, 0);
    line l(up, 1);
    l.arrive(1000 * ms, 300); // the request, sent as soon as connect() returned
    EXPECT_EQ(l.next_release(), 1150 * ms); // SYN/SYN-ACK (100 ms) + the request's way (50 ms)
}

TEST(Line, ProfileMapsToBothDirections) {
    net_profile n = parse_net("rtt=80ms,jitter=40ms,down=2mbit,up=1mbit,loss=1%,queue=200ms")[0];
    auto d = line_for(n, true, 0), u = line_for(n, false, 0);
    EXPECT_EQ(d.delay_ns, 40 * ms);
    EXPECT_EQ(d.jitter_ns, 40 * ms);
    EXPECT_EQ(d.rate_bps, 2e6);
    EXPECT_EQ(u.rate_bps, 1e6);
    EXPECT_EQ(d.queue_bytes, 50'000u); // 200 ms at 2 Mbit/s
    EXPECT_EQ(u.queue_bytes, 25'000u);
    EXPECT_EQ(d.rtt_ns, 80 * ms);
    EXPECT_EQ(d.rto_ns, 80 * ms + 200 * ms); // rttvar floor: 200 ms
    EXPECT_DOUBLE_EQ(d.loss, 0.01);
}

} // namespace
} // namespace rtb
