#pragma once
// The constant-rate schedule: event i (from 0) is due at t0 + i / rate.
//
// Every paced thing in rtbench uses this one formula: the server's publisher,
// each echo client's send loop, the connect pacing, and the runner when it
// works out which publisher messages fall in the measure window. Its due
// times are absolute, so a late timer never shifts later events (the schedule
// does not drift), and each message carries its own due time: latency is
// measured from it, which is wrk2's correction for coordinated omission.
#include <cmath>
#include <cstdint>
#include <utility>

namespace rtb {

struct rate_schedule {
    std::int64_t t0_ns = 0; // CLOCK_MONOTONIC ns of event 0
    double rate_hz = 1;     // events per second, > 0

    // Rounded to the nearest ns. An event more than ~126 years away (a tiny
    // rate) saturates there instead of overflowing: it is simply never due.
    std::int64_t due(std::uint64_t i) const noexcept {
        constexpr double far = 4e18;
        double d = static_cast<double>(i) * 1e9 / rate_hz;
        return t0_ns + (d < far ? std::llround(d) : static_cast<std::int64_t>(far));
    }

    // The events due in [from, to): returns [first, last + 1).
    std::pair<std::uint64_t, std::uint64_t> window(std::int64_t from, std::int64_t to) const noexcept {
        return {first_due_at_or_after(from), first_due_at_or_after(to)};
    }

    // The smallest i with due(i) >= t. The floating-point guess is exact to
    // within one step; the two loops settle the rounding.
    std::uint64_t first_due_at_or_after(std::int64_t t) const noexcept {
        std::uint64_t i = 0;
        if (t > t0_ns) i = static_cast<std::uint64_t>(std::floor(static_cast<double>(t - t0_ns) * rate_hz / 1e9));
        while (i > 0 && due(i - 1) >= t) --i;
        while (due(i) < t) ++i;
        return i;
    }
};

} // namespace rtb
