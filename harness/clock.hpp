#pragma once
#include <cstdint>
#include <ctime>

namespace rtb {

// CLOCK_MONOTONIC in nanoseconds. Every rtbench process on one host reads the
// same clock, so a timestamp written by the server process can be subtracted
// from one read in the client process.
inline std::int64_t now_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

} // namespace rtb
