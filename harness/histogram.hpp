#pragma once
// A small HDR-style latency histogram (log-linear buckets).
//
// Values are non-negative integers (rtbench records nanoseconds). Values below
// 2*sub_buckets are stored exactly; above that, each power-of-two range
// [2^k, 2^(k+1)) is split into `sub_buckets` equal buckets, so a bucket is at
// most 1/sub_buckets of the smallest value it holds wide. Reporting a bucket's
// midpoint bounds the relative error by 1/(2*sub_buckets) = 0.39% with the
// default of 128 — inside the 1% we promise from 1 us to 1 hour and far past it.
// The whole array is ~4,800 counters (38 KiB) for the full 64-bit range, so
// every load thread can own one and merge after the run.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace rtb {

class histogram {
public:
    histogram();

    void record(std::uint64_t value, std::uint64_t count = 1) noexcept;

    // HdrHistogram's after-the-fact correction for coordinated omission:
    // when one sample of `value` was observed but a sample was expected every
    // `expected_interval`, the samples that the stall prevented are added
    // (value - interval, value - 2*interval, ... while >= interval). rtbench's
    // load loops do not need it — they measure from the intended send time,
    // which is the exact correction — but it is offered, and tested, for
    // callers that only know actual send times.
    void record_corrected(std::uint64_t value, std::uint64_t expected_interval) noexcept;

    void merge(const histogram& other) noexcept;
    void reset() noexcept;

    // One line of text that decode() turns back into an equal histogram:
    // every non-empty bucket's count, min, max and the exact sum (a hex
    // float), so a load process's histogram crosses a pipe losslessly and
    // merges bucket by bucket, never as percentiles averaged. decode()
    // throws std::invalid_argument on anything encode() did not write.
    std::string encode() const;
    static histogram decode(std::string_view text);
    friend bool operator==(const histogram& a, const histogram& b) noexcept;

    std::uint64_t count() const noexcept { return total_; }
    std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
    std::uint64_t max() const noexcept { return max_; }
    double mean() const noexcept;

    // Nearest-rank percentile: the smallest recorded value v such that at
    // least p% of samples are <= v (p in [0,100]); the bucket midpoint is
    // reported, clamped to the exact [min, max] seen. 0 when empty.
    std::uint64_t percentile(double p) const noexcept;

    // One line per bucket that holds samples, for plotting the full
    // percentile spectrum: "value percentile total_count 1/(1-percentile)".
    void write_spectrum(std::ostream& os, double unit_divisor) const;

    // Bucket geometry, exposed for tests.
    static std::size_t index_of(std::uint64_t value) noexcept;
    static std::uint64_t lowest_in(std::size_t index) noexcept;
    static std::uint64_t width_of(std::size_t index) noexcept;

    static constexpr unsigned sub_bucket_bits = 7;
    static constexpr std::uint64_t sub_buckets = 1u << sub_bucket_bits; // 128

private:
    std::uint64_t value_at(std::size_t index) const noexcept;

    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
    long double sum_ = 0;
};

} // namespace rtb
