#include "harness/histogram.hpp"

#include <gtest/gtest.h>
#include <sstream>

using rtb::histogram;

namespace {
constexpr std::uint64_t ms = 1'000'000; // ns
constexpr std::uint64_t s = 1'000 * ms;

// |got - want| <= 1% of want: the accuracy we promise.
void expect_within_1pct(std::uint64_t got, std::uint64_t want) {
    EXPECT_NEAR(static_cast<double>(got), static_cast<double>(want), want * 0.01)
        << "got " << got << " want " << want;
}
} // namespace

TEST(Histogram, SmallValuesAreExact) {
    histogram h;
    for (std::uint64_t v = 0; v < 256; ++v) EXPECT_EQ(histogram::lowest_in(histogram::index_of(v)), v);
    h.record(7);
    EXPECT_EQ(h.percentile(50), 7u);
}

TEST(Histogram, BucketsTileTheRangeWithoutGaps) {
    for (std::size_t i = 1; i < histogram::index_of(UINT64_MAX); ++i)
        ASSERT_EQ(histogram::lowest_in(i), histogram::lowest_in(i - 1) + histogram::width_of(i - 1)) << i;
}

TEST(Histogram, RelativeErrorUnderOnePercentFrom1usTo1h) {
    // Every value 1 us .. 1 h (log-spaced) reads back within 1%.
    for (double v = 1e3; v <= 3.6e12; v *= 1.013) {
        histogram h;
        h.record(static_cast<std::uint64_t>(v));
        h.record(static_cast<std::uint64_t>(v) * 2); // so clamping to max does not hide errors
        expect_within_1pct(h.percentile(50), static_cast<std::uint64_t>(v));
    }
}

TEST(Histogram, UncorrectedStall) {
    // 10,000 samples of 1 ms and one of 100 s: only the max sees the stall.
    histogram h;
    h.record(1 * ms, 10000);
    h.record(100 * s);
    EXPECT_EQ(h.count(), 10001u);
    expect_within_1pct(h.percentile(50), 1 * ms);
    expect_within_1pct(h.percentile(99), 1 * ms);
    expect_within_1pct(h.percentile(99.99), 1 * ms); // rank 10,000 of 10,001
    EXPECT_EQ(h.percentile(100), 100 * s);
    EXPECT_EQ(h.max(), 100 * s);
    EXPECT_NEAR(h.mean(), (10000.0 * ms + 100.0 * s) / 10001, 1.0);
}

TEST(Histogram, CorrectedStallAddsTheMissedSamples) {
    // Expected one sample per 1 ms: the 100 s stall hid 99,999 samples of
    // 99.999 s, 99.998 s, ... 1 ms. Total 110,000; rank r > 10,001 holds
    // (r - 10,000) ms, so p50 (rank 55,000) = 45 s and p75 (rank 82,500) = 72.5 s.
    histogram h;
    for (int i = 0; i < 10000; ++i) h.record_corrected(1 * ms, 1 * ms);
    h.record_corrected(100 * s, 1 * ms);
    EXPECT_EQ(h.count(), 110000u);
    expect_within_1pct(h.percentile(50), 45 * s);
    expect_within_1pct(h.percentile(75), 72500 * ms);
    expect_within_1pct(h.percentile(90), 89 * s); // rank 99,000
    EXPECT_EQ(h.max(), 100 * s);
}

TEST(Histogram, MergeEqualsRecordingIntoOne) {
    histogram a, b, both;
    for (std::uint64_t v = 1; v < 100000; v += 7) {
        (v % 2 ? a : b).record(v * 1000);
        both.record(v * 1000);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), both.count());
    EXPECT_EQ(a.min(), both.min());
    EXPECT_EQ(a.max(), both.max());
    for (double p : {50.0, 90.0, 99.0, 99.9, 99.99}) EXPECT_EQ(a.percentile(p), both.percentile(p));
}

TEST(Histogram, EmptyIsZero) {
    histogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.percentile(99), 0u);
    EXPECT_EQ(h.max(), 0u);
    EXPECT_EQ(h.min(), 0u);
}

TEST(Histogram, SpectrumEndsAtOne) {
    histogram h;
    h.record(1000, 3);
    h.record(2000, 1);
    std::ostringstream os;
    h.write_spectrum(os, 1000.0);
    // 1000 lands in bucket [1000, 1004): its midpoint 1001 is reported;
    // 2000 is the max, and values are clamped to the exact max.
    EXPECT_EQ(os.str(),
              "value percentile total_count inverse_one_minus_percentile\n"
              "1.001 0.750000000000 3 4.00\n"
              "2.000 1.000000000000 4 inf\n");
}

// Load processes send their histograms over a pipe (issue 15): what arrives
// is the same histogram, and histograms of parts of a sample merged (after
// the trip) are the histogram of the whole, bucket by bucket, mean and all.
TEST(Histogram, MergedPartsAfterEncodingEqualOneHistogramOfEverySample) {
    histogram whole, parts[3];
    std::uint64_t x = 88172645463325252ull; // xorshift: values over many octaves
    for (int i = 0; i < 30000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        std::uint64_t v = (x % 1'000'000'000) >> (x % 23);
        whole.record(v);
        parts[i % 3].record(v);
    }
    histogram merged;
    for (auto& p : parts) {
        auto back = histogram::decode(p.encode());
        EXPECT_TRUE(back == p);
        merged.merge(back);
    }
    EXPECT_TRUE(merged == whole);
    EXPECT_EQ(merged.count(), 30000u);
    EXPECT_EQ(merged.min(), whole.min());
    EXPECT_EQ(merged.max(), whole.max());
    EXPECT_EQ(merged.mean(), whole.mean());
    for (double p : {0.0, 50.0, 90.0, 99.0, 99.9, 100.0}) EXPECT_EQ(merged.percentile(p), whole.percentile(p)) << p;
    // Empty stays empty (min 0, not the sentinel).
    histogram empty;
    EXPECT_TRUE(histogram::decode(empty.encode()) == empty);
    EXPECT_EQ(histogram::decode(empty.encode()).min(), 0u);
}

TEST(Histogram, DecodeRefusesWhatEncodeDidNotWrite) {
    for (const char* bad : {"", "1 2", "1 2 x", "1 2 0x0p+0 5", "1 2 0x0p+0 5:0", "1 2 0x0p+0 999999:1",
                            "9000 2 0x0p+0 5:1"})
        EXPECT_THROW(histogram::decode(bad), std::invalid_argument) << bad;
}
