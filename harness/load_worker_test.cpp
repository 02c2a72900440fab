#include "harness/load_worker.hpp"

#include <gtest/gtest.h>

#include "harness/load_process.hpp"

using namespace rtb;

namespace {

// Every field a distinct value, so a field dropped or swapped by encode or
// decode shows.
load_results sample(std::uint64_t k) {
    load_results r;
    r.latency.record(1000 * k, 3);
    r.latency_uncorrected.record(900 * k);
    r.connect.record(5'000'000 + k);
    r.rx_latency.record(800 * k, 2);
    r.generator_delay.record(70 * k);
    r.tcp_connect.record(60 * k);
    r.tls_handshake.record(50'000 * k);
    r.rx_unstamped = k + 1, r.tls_handshakes = k + 2, r.tls_resumed = k + 3;
    r.tls_versions = {"1.3", k % 2 ? "1.2" : "1.3"};
    r.handshake_down_sum = k + 4, r.handshake_up_sum = k + 5;
    r.received_in_window = k + 6, r.payload_in_window = k + 7, r.gaps = k + 8, r.corrupt = k + 9;
    r.app_bytes_in_window = k + 10, r.envelope_in_window = k + 11, r.reconnects = k + 12;
    r.max_send_lag_ns = static_cast<std::int64_t>(k) * 1000 - 1;
    r.counts = {k + 13, k + 14, k + 15, k + 16, k + 17};
    r.first_drop = k % 2 ? "504\twith a tab\nand a line" : "";
    return r;
}

void expect_same(const load_results& a, const load_results& b) {
    EXPECT_TRUE(a.latency == b.latency);
    EXPECT_TRUE(a.latency_uncorrected == b.latency_uncorrected);
    EXPECT_TRUE(a.connect == b.connect);
    EXPECT_TRUE(a.rx_latency == b.rx_latency);
    EXPECT_TRUE(a.generator_delay == b.generator_delay);
    EXPECT_TRUE(a.tcp_connect == b.tcp_connect);
    EXPECT_TRUE(a.tls_handshake == b.tls_handshake);
    EXPECT_EQ(a.rx_unstamped, b.rx_unstamped);
    EXPECT_EQ(a.tls_handshakes, b.tls_handshakes);
    EXPECT_EQ(a.tls_resumed, b.tls_resumed);
    EXPECT_EQ(a.tls_versions, b.tls_versions);
    EXPECT_EQ(a.handshake_down_sum, b.handshake_down_sum);
    EXPECT_EQ(a.handshake_up_sum, b.handshake_up_sum);
    EXPECT_EQ(a.received_in_window, b.received_in_window);
    EXPECT_EQ(a.payload_in_window, b.payload_in_window);
    EXPECT_EQ(a.gaps, b.gaps);
    EXPECT_EQ(a.corrupt, b.corrupt);
    EXPECT_EQ(a.app_bytes_in_window, b.app_bytes_in_window);
    EXPECT_EQ(a.envelope_in_window, b.envelope_in_window);
    EXPECT_EQ(a.reconnects, b.reconnects);
    EXPECT_EQ(a.max_send_lag_ns, b.max_send_lag_ns);
    EXPECT_EQ(a.counts.delivered, b.counts.delivered);
    EXPECT_EQ(a.counts.lost, b.counts.lost);
    EXPECT_EQ(a.counts.duplicated, b.counts.duplicated);
    EXPECT_EQ(a.counts.reordered, b.counts.reordered);
    EXPECT_EQ(a.counts.in_flight, b.counts.in_flight);
}

} // namespace

TEST(LoadResults, EncodeDecodeGivesBackEveryField) {
    for (std::uint64_t k : {1, 2}) {
        auto r = sample(k);
        auto line = r.encode();
        EXPECT_EQ(line.find('\n'), std::string::npos);
        auto back = load_results::decode(line);
        expect_same(back, r);
        // Free text crosses as one line: its breaks become spaces.
        EXPECT_EQ(back.first_drop, k % 2 ? "504 with a tab and a line" : "");
    }
    EXPECT_THROW(load_results::decode("latency=1 2 0x0p+0"), std::invalid_argument); // fields missing
}

// Processes' results merged: counts are the sums of the parts, histograms
// the union of their samples, the worst lag the largest.
TEST(LoadResults, MergeAddsThePartsUp) {
    auto a = sample(1), b = sample(2);
    load_results m;
    m.merge(load_results::decode(a.encode()));
    m.merge(load_results::decode(b.encode()));
    EXPECT_EQ(m.received_in_window, a.received_in_window + b.received_in_window);
    EXPECT_EQ(m.app_bytes_in_window, a.app_bytes_in_window + b.app_bytes_in_window);
    EXPECT_EQ(m.counts.delivered, a.counts.delivered + b.counts.delivered);
    EXPECT_EQ(m.counts.in_flight, a.counts.in_flight + b.counts.in_flight);
    EXPECT_EQ(m.handshake_down_sum, a.handshake_down_sum + b.handshake_down_sum);
    EXPECT_EQ(m.max_send_lag_ns, b.max_send_lag_ns);
    EXPECT_EQ(m.latency.count(), 6u);
    EXPECT_EQ(m.latency.min(), 1000u);
    EXPECT_EQ(m.latency.max(), 2000u);
    EXPECT_EQ(m.tls_versions, (std::set<std::string>{"1.2", "1.3"}));
    EXPECT_EQ(m.first_drop, "504 with a tab and a line");
}

TEST(LoadResults, PublisherWindowsCrossAsText) {
    std::vector<publisher_window> w = {{0, 1, 24}, {3, 5, 4}, {12, 100, 200}};
    auto back = decode_windows(encode_windows(w));
    ASSERT_EQ(back.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(back[i].index, w[i].index);
        EXPECT_EQ(back[i].first, w[i].first);
        EXPECT_EQ(back[i].last, w[i].last);
    }
    EXPECT_TRUE(decode_windows("").empty());
    EXPECT_THROW(decode_windows("1:2"), std::invalid_argument);
    EXPECT_THROW(decode_windows("a:2:3"), std::invalid_argument);
}
