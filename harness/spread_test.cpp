// Repeats: median and range on known values, and the files and summary of a
// run that repeats its points.
#include "harness/spread.hpp"

#include <sstream>

#include <gtest/gtest.h>

using namespace rtb;

TEST(Spread, MedianAndRangeOfKnownValues) {
    auto odd = spread_of({3, 1, 2});
    EXPECT_EQ(odd.n, 3u);
    EXPECT_DOUBLE_EQ(odd.median, 2);
    EXPECT_DOUBLE_EQ(odd.lo, 1);
    EXPECT_DOUBLE_EQ(odd.hi, 3);
    auto even = spread_of({4, 1, 3, 2});
    EXPECT_DOUBLE_EQ(even.median, 2.5); // the mean of the middle two
    EXPECT_DOUBLE_EQ(even.lo, 1);
    EXPECT_DOUBLE_EQ(even.hi, 4);
    auto one = spread_of({7});
    EXPECT_DOUBLE_EQ(one.median, 7);
    EXPECT_DOUBLE_EQ(one.lo, 7);
    EXPECT_EQ(spread_of({}).n, 0u);
}

TEST(Spread, OverlapIsTouchingOrCrossingRanges) {
    EXPECT_TRUE(overlap(spread_of({1, 2}), spread_of({2, 3})));
    EXPECT_TRUE(overlap(spread_of({1, 5}), spread_of({2, 3})));
    EXPECT_FALSE(overlap(spread_of({1, 2}), spread_of({2.01, 3})));
    EXPECT_FALSE(overlap(spread_of({3, 4}), spread_of({1, 2})));
}

namespace {
result_row run_of(std::string t, double p50_ms, std::uint64_t repeat) {
    result_row r;
    r.transport = std::move(t);
    r.scenario = "push";
    r.clients = 10;
    r.rate_hz = 20;
    r.payload_bytes = 64;
    r.received_in_window = 1000;
    r.window_s = 2;
    r.rx_latency.record(static_cast<std::uint64_t>(p50_ms * 1e6), 1000);
    r.repeat = repeat;
    return r;
}
} // namespace

TEST(Spread, CsvHasOneLinePerPointAndFigureOverItsRepeats) {
    std::vector<result_row> rows = {run_of("sse", 1, 1), run_of("websocket", 4, 1), run_of("sse", 3, 2),
                                    run_of("websocket", 4, 2), run_of("sse", 2, 3), run_of("websocket", 4, 3)};
    std::ostringstream os;
    write_spread_csv(os, rows);
    auto text = os.str();
    EXPECT_EQ(text.rfind("transport,scenario,clients,rate_hz,payload_bytes,payload_kind,net,tls,via,figure,n,median,min,max\n", 0), 0u);
    // The histogram's buckets keep 1, 2 and 3 ms to well under 1 %.
    auto at = text.find("sse,push,10,20.000,64,pattern,none,none,none,rx_latency_p50_ms,3,");
    ASSERT_NE(at, std::string::npos) << text;
    std::istringstream line(text.substr(at));
    std::string l;
    std::getline(line, l);
    double median = 0, lo = 0, hi = 0;
    ASSERT_EQ(std::sscanf(l.c_str() + l.find(",3,") + 3, "%lf,%lf,%lf", &median, &lo, &hi), 3) << l;
    EXPECT_NEAR(median, 2, 0.02);
    EXPECT_NEAR(lo, 1, 0.01);
    EXPECT_NEAR(hi, 3, 0.03);
    EXPECT_NE(text.find("websocket,push,10,20.000,64,pattern,none,none,none,delivered_per_s,3,500.000,500.000,500.000"),
              std::string::npos) << text;
    // Two points x five figures, and the header.
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 11);

    std::ostringstream sum;
    write_spread_summary(sum, rows);
    EXPECT_NE(sum.str().find("Median [min–max] over repeats"), std::string::npos) << sum.str();
    std::ostringstream none;
    write_spread_summary(none, {run_of("sse", 1, 1), run_of("websocket", 4, 1)});
    EXPECT_EQ(none.str(), "") << "no table when every point ran once";
}

// A run that failed (nothing arrived: every figure 0) or lost messages is
// not noise: it stays out of the median and the range, and n says how many
// runs the figures are over.
TEST(Spread, OnlyComparableRunsMakeTheSpread) {
    auto failed = run_of("sse", 0, 2);
    failed.rx_latency = histogram();
    failed.received_in_window = 0;
    failed.failure = "2 of 2 clients never connected: refused";
    auto lossy = run_of("sse", 9, 3);
    lossy.lost = 5;
    std::ostringstream os;
    write_spread_csv(os, {run_of("sse", 1, 1), failed, lossy});
    EXPECT_NE(os.str().find("sse,push,10,20.000,64,pattern,none,none,none,delivered_per_s,1,500.000,500.000,500.000"),
              std::string::npos) << os.str();
    std::ostringstream none;
    write_spread_csv(none, {failed});
    EXPECT_NE(none.str().find(",rx_latency_p50_ms,0,,,\n"), std::string::npos) << none.str();
}

// An external target's server, not measured (no --target-pid): its server
// figure has no runs to stand on — empty, never a median of zeros — while
// the client-side figures of the same runs are there.
TEST(Spread, AnUnmeasuredServerHasNoServerFigure) {
    std::vector<result_row> rows = {run_of("websocket", 1, 1), run_of("websocket", 2, 2)};
    for (auto& r : rows) {
        r.target = "ws://127.0.0.1:8765/echo";
        r.server_measured = false;
    }
    std::ostringstream os;
    write_spread_csv(os, rows);
    EXPECT_NE(os.str().find(",server_cpu_us_per_msg,0,,,\n"), std::string::npos) << os.str();
    EXPECT_NE(os.str().find(",rx_latency_p50_ms,2,"), std::string::npos) << os.str();
}
