#include "netem/line.hpp"

#include "harness/report.hpp" // tcpip_bytes_per_segment

#include <algorithm>
#include <climits>
#include <cmath>

namespace rtb {

namespace {
std::int64_t ns_of_ms(double ms) { return std::llround(ms * 1e6); }
} // namespace

std::int64_t rto_for(const net_profile& p) {
    // Linux (tcp_set_rto): rto = srtt + rttvar, rttvar never below
    // tcp_rto_min (200 ms). On a steady path rttvar sits at the floor unless
    // jitter makes the deviation larger (mdev tracks about jitter/2; x4).
    return ns_of_ms(p.rtt_ms) + std::max<std::int64_t>(200'000'000, ns_of_ms(2 * p.jitter_ms));
}

line_params line_for(const net_profile& p, bool down, std::int64_t accepted_ns) {
    line_params l;
    l.delay_ns = ns_of_ms(p.rtt_ms / 2);
    l.jitter_ns = ns_of_ms(p.jitter_ms);
    l.rate_bps = down ? p.down_bps : p.up_bps;
    // The buffer holds what the line sends in queue_ms, but never less than
    // a few segments (a router queue is at least that deep).
    l.queue_bytes = l.rate_bps > 0 ? std::max<std::uint64_t>(4 * 1448, static_cast<std::uint64_t>(l.rate_bps / 8 * p.queue_ms / 1000))
                                   : 0;
    l.loss = p.loss;
    l.rtt_ns = ns_of_ms(p.rtt_ms);
    l.rto_ns = rto_for(p);
    // The client's connect() finished at once on loopback; on the path it
    // takes a round trip (SYN, SYN-ACK) before its first byte can leave, so
    // the client's first request leaves one RTT late. The server's first
    // bytes answer a request and are late already.
    l.not_before_ns = down ? 0 : accepted_ns + l.rtt_ns;
    return l;
}

line::line(const line_params& p, std::uint64_t seed) : p_(p), rng_(seed) {}

// splitmix64: 8 bytes of state per line (a connection has two), good
// enough for loss and jitter draws.
double line::uniform() {
    std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
}

void line::arrive(std::int64_t now_ns, std::uint64_t n) {
    // Segments matter only when something acts per segment; otherwise the
    // whole read travels as one (no per-byte cost on a plain delay line).
    bool per_segment = p_.rate_bps > 0 || p_.loss > 0 || p_.jitter_ns > 0 || force_loss_;
    while (n > 0) {
        auto b = static_cast<std::uint32_t>(per_segment ? std::min<std::uint64_t>(n, p_.mss) : std::min<std::uint64_t>(n, UINT32_MAX));
        add_segment(now_ns, b);
        n -= b;
    }
}

void line::add_segment(std::int64_t now_ns, std::uint32_t bytes) {
    std::int64_t start = std::max({now_ns, p_.not_before_ns, link_free_});
    std::int64_t sent = start;
    // The line carries each segment's TCP/IP headers too (what a real link
    // of that rate carries), so goodput sits a few per cent under the rate.
    if (p_.rate_bps > 0)
        sent = start + static_cast<std::int64_t>(std::ceil((bytes + tcpip_bytes_per_segment) * 8e9 / p_.rate_bps));
    link_free_ = sent;
    std::int64_t at = sent + p_.delay_ns;
    if (p_.jitter_ns > 0) at = std::max(sent, at + static_cast<std::int64_t>((uniform() - 0.5) * static_cast<double>(p_.jitter_ns)));
    bool lost = force_loss_ || (p_.loss > 0 && uniform() < p_.loss);
    force_loss_ = false;
    if (!lost) count_dupacks(at);
    segment s{at, next_id_++, bytes, 0, lost};
    if (lost) {
        // Until three later segments arrive (three duplicate ACKs), the
        // sender can only wait for its retransmission timer.
        s.at = at + p_.rto_ns;
        waiting_fr_.push_back(s.id);
        ++lost_;
    }
    segs_.push_back(s);
    held_ += bytes;
}

// A segment that arrives at `arrival_ns` makes the receiver send a
// duplicate ACK for each hole before it; the third one reaches the sender
// half a round trip later, and the retransmission arrives half a round trip
// after that: the hole is filled at the third follower's arrival + RTT.
void line::count_dupacks(std::int64_t arrival_ns) {
    std::uint64_t first_id = head_ < segs_.size() ? segs_[head_].id : next_id_;
    std::erase_if(waiting_fr_, [&](std::uint64_t id) {
        if (id < first_id) return true; // released already (its RTO passed)
        auto& s = segs_[head_ + (id - first_id)];
        if (++s.dupacks < 3) return false;
        s.at = std::min(s.at, arrival_ns + p_.rtt_ns);
        return true;
    });
}

std::int64_t line::next_release() const {
    if (head_ == segs_.size()) return INT64_MAX;
    return std::max(last_release_, segs_[head_].at);
}

std::uint64_t line::release(std::int64_t now_ns) {
    std::uint64_t out = 0;
    while (head_ < segs_.size()) {
        std::int64_t t = std::max(last_release_, segs_[head_].at);
        if (t > now_ns) break;
        last_release_ = t;
        out += segs_[head_].bytes;
        ++head_;
    }
    held_ -= out;
    // Compact the FIFO once its released front outweighs what is left.
    if (head_ == segs_.size()) {
        segs_.clear();
        head_ = 0;
    } else if (head_ > 64 && head_ * 2 > segs_.size()) {
        segs_.erase(segs_.begin(), segs_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    return out;
}

std::uint64_t line::backlog(std::int64_t now_ns) const {
    if (p_.rate_bps <= 0 || link_free_ <= now_ns) return 0;
    return static_cast<std::uint64_t>(static_cast<double>(link_free_ - now_ns) * p_.rate_bps / 8e9);
}

bool line::queue_full(std::int64_t now_ns) const { return p_.rate_bps > 0 && backlog(now_ns) >= p_.queue_bytes; }

std::uint64_t line::queue_room(std::int64_t now_ns) const {
    if (p_.rate_bps <= 0) return UINT64_MAX;
    auto b = backlog(now_ns);
    return b >= p_.queue_bytes ? 0 : p_.queue_bytes - b;
}

std::int64_t line::queue_free_at() const {
    if (p_.rate_bps <= 0) return INT64_MIN;
    return link_free_ - static_cast<std::int64_t>(static_cast<double>(p_.queue_bytes) * 8e9 / p_.rate_bps) + 1;
}

} // namespace rtb
