#include "transports/common/publisher.hpp"

#include <algorithm>

#include "harness/clock.hpp"

namespace rtb {

namespace {
std::chrono::steady_clock::time_point to_time_point(std::int64_t ns) {
    // steady_clock is CLOCK_MONOTONIC on Linux, the clock now_ns() reads.
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}
} // namespace

publisher::publisher(boost::asio::io_context& io, publish_fn fn)
    : timer_(io), publish_(std::move(fn)) {}

void publisher::start(double rate_hz, std::size_t payload, const target& to, std::uint64_t count,
                      std::uint64_t first_seq, payload_kind kind, std::int64_t t0_ns) {
    stop();
    st_ = state{};
    st_.running = true;
    st_.schedule = {t0_ns ? t0_ns : now_ns() + 1'000'000, rate_hz}; // by default, the first message 1 ms from now
    st_.first_seq = first_seq;
    st_.count = count;
    payload_ = make_payload(payload);
    payload_size_ = payload;
    kind_ = kind;
    to_ = to;
    arm();
}

void publisher::stop() {
    st_.running = false;
    timer_.cancel();
}

void publisher::arm() {
    timer_.expires_at(to_time_point(st_.schedule.due(st_.published)));
    timer_.async_wait([this](boost::system::error_code ec) { on_timer(ec); });
}

// When the timer fires late, every message already due goes out at once
// (up to max_burst), each stamped with its own due time, so latency measured
// from the due time counts the server's own lateness too: no coordinated
// omission on the server side.
void publisher::on_timer(boost::system::error_code ec) {
    if (ec || !st_.running) return;
    std::int64_t now = now_ns();
    for (std::uint64_t burst = 0; burst < max_burst; ++burst) {
        if (st_.count && st_.published >= st_.count) break;
        std::int64_t due = st_.schedule.due(st_.published);
        if (due > now) break;
        st_.max_behind_ns = std::max(st_.max_behind_ns, now - due);
        if (kind_ == payload_kind::pattern) publish_(to_, "s" + std::to_string(due), payload_);
        else publish_(to_, "s" + std::to_string(due), make_payload(kind_, payload_size_, static_cast<std::uint64_t>(due)));
        ++st_.published;
        now = now_ns();
    }
    if (st_.count && st_.published >= st_.count) {
        st_.running = false;
        return;
    }
    arm(); // when still behind, due() is past: the wait completes at once, after other work
}

} // namespace rtb
