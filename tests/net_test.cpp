// Network profiles end to end: real runs through the impairment relay,
// each checked against the answer the path model predicts (netem/README.md
// and each transport's README). Every run is a few seconds on loopback.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "harness/transport.hpp"
#include "tests/cli_support.hpp"

namespace {

using namespace rtb_test;

double ms(const std::vector<std::vector<std::string>>& rows, std::size_t r, const std::string& col) {
    return num(rows, r, col) / 1000.0;
}

TEST(Net, RoundTripAddsToEchoAndHalfOfItToPush) {
    // WebSocket echo crosses the path twice: p50 = loopback p50 + RTT.
    auto e = run_csv("net-echo", "--transport websocket --scenario echo --clients 4 --rate 20 --duration 2 "
                                "--net 'none;rtt=100ms'");
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(cell(e, 1, "net"), "none");
    EXPECT_EQ(cell(e, 1, "relay_bound"), ""); // no relay: nothing measured, not zero
    EXPECT_EQ(cell(e, 2, "net"), "rtt=100ms");
    // The relay measured itself (whether it kept up depends on what else
    // the machine runs; the p50 below is what must hold either way).
    EXPECT_TRUE(cell(e, 2, "relay_bound") == "false" || cell(e, 2, "relay_bound") == "true");
    EXPECT_GE(num(e, 2, "relay_lateness_p99_us"), 0.0);
    // The relay only lengthens the path: the floor holds every run; the
    // ceiling allows the relay's own measured lateness, once per crossing
    // (this VM has left it 10-60 ms late in noisy hours; quiet: < 1 ms).
    double echo_added = ms(e, 2, "latency_p50_us") - ms(e, 1, "latency_p50_us");
    EXPECT_GE(echo_added, 98.0);
    EXPECT_LE(echo_added, 102.0 + 2 * ms(e, 2, "relay_lateness_p99_us"));
    // SSE push crosses it once: p50 = loopback p50 + RTT / 2.
    auto p = run_csv("net-push", "--transport sse --clients 4 --rate 20 --duration 2 --net 'none;rtt=100ms'");
    ASSERT_EQ(p.size(), 3u);
    double push_added = ms(p, 2, "latency_p50_us") - ms(p, 1, "latency_p50_us");
    EXPECT_GE(push_added, 48.0);
    EXPECT_LE(push_added, 52.0 + ms(p, 2, "relay_lateness_p99_us"));
}

// --find-max on a path whose capacity is known: a 1 Mbit/s downlink carries
// 125,000 B/s; a WebSocket message of 1,000 B payload is 1,034 B of body
// and 4 B of frame header in one segment with 52 B of TCP/IP headers: 1,090
// B on the line, so at most 114.7 messages a second. Above it the backlog
// grows, and a probe that received less than was due in its window (less
// 1 %, one message) fell behind (seen: 120/s offered, 115/s received, p99
// still under 200 ms), hence a little slack above. The objective is far above the
// relay's own timer lateness on this shared VM (seen: up to 60 ms in a noisy
// hour), so the relay decides no probe.
TEST(Net, FindMaxBracketsTheBottlenecksLineRate) {
    // A stall of this shared machine can only make a probe miss, never
    // pass: no search may sustain more than the line allows, every time; one
    // of two must also find the first miss above 90 % of it (a stall, or the
    // relay saying it cannot tell, ends a search low).
    const double line_rate = 125'000.0 / 1090.0;
    bool bracketed = false;
    for (int attempt = 0; attempt < 2 && !bracketed; ++attempt) {
        auto dir = temp_dir("find-max");
        auto o = rtbench("run --transport websocket --clients 1 --payload 1000 --rate 30 --net down=1mbit --find-max "
                         "rate --slo p99=200ms --duration 2 --warmup 0.5 --no-plot --out " + dir.string());
        ASSERT_EQ(o.code, 0) << o.out;
        auto cap = read_csv(dir / "capacity.csv");
        ASSERT_EQ(cap.size(), 2u);
        // Every probe is a row saying whether it met the objective ("" when
        // it could not tell, with why).
        auto rows = read_csv(dir / "results.csv");
        ASSERT_EQ(rows.size(), 1 + static_cast<std::size_t>(num(cap, 1, "probes")));
        for (std::size_t i = 1; i < rows.size(); ++i) {
            auto met = cell(rows, i, "slo_met");
            EXPECT_TRUE(met == "true" || met == "false" || met == "") << met;
            EXPECT_EQ(met == "true", cell(rows, i, "slo_why").empty()) << cell(rows, i, "slo_why");
        }
        EXPECT_NE(o.out.find("Highest sustained rate with p99 ≤ 200 ms"), std::string::npos) << o.out;
        fs::remove_all(dir);
        if (!cell(cap, 1, "max_load").empty()) {
            double best = num(cap, 1, "max_load");
            EXPECT_LE(best, line_rate * 1.03) << o.out;
            EXPECT_NEAR(num(cap, 1, "delivered_per_s"), best, best * 0.03);
        }
        bracketed = cell(cap, 1, "stopped") == "bracketed" && num(cap, 1, "first_miss") >= line_rate * 0.90 &&
                    num(cap, 1, "first_miss") <= num(cap, 1, "max_load") * 1.10 + 1e-9;
        if (!bracketed)
            std::cerr << "attempt " << attempt + 1 << ": stopped " << cell(cap, 1, "stopped") << ", best "
                      << cell(cap, 1, "max_load") << ", first miss " << cell(cap, 1, "first_miss") << " ("
                      << cell(cap, 1, "why") << ")\n";
    }
    EXPECT_TRUE(bracketed) << "neither search bracketed the line rate of " << line_rate << "/s within 10 %";
}

TEST(Cli, FindMaxBadObjectiveIsOneLineAndExit2) {
    for (auto args : {"--find-max rate --slo p97=5ms", "--find-max speed", "--find-max rate --scenario connect",
                      "--find-max clients --repeat 2"}) {
        auto o = rtbench(std::string("run --transport sse ") + args);
        EXPECT_EQ(o.code, 2) << args << ": " << o.out;
        EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << args << ": " << o.out;
    }
}

TEST(Net, ConnectCostsTheHandshakeRoundTripPlusTheSubscribeRoundTrip) {
    // connect start -> subscribed: the TCP handshake (one RTT) and the
    // subscribe request and its answer (one more): every transport's p50 is
    // 2 x RTT plus its loopback figure: at rtt=100ms at least 200 ms, and
    // short of a third round trip (under 250 ms: the connect phase, where
    // every client starts at once, is the part a busy machine stretches;
    // a CI run saw long polling at 235 ms).
    // The floor is physics and holds on every run. The ceiling is what a
    // busy machine stretches: a CI run (ASan, tests beside it on 2 cores)
    // once saw polling at 340.6 ms while it passed 3 times of 3 here right
    // after. So a row over the ceiling is measured once more, alone, and
    // only a transport over it both times fails: a transport that really
    // costs a third round trip does so every time.
    auto r = run_csv("net-connect", "--transport all --scenario connect --clients 5 --duration 1 --net rtt=100ms");
    ASSERT_EQ(r.size(), 1 + rtb::all_transports().size());
    for (std::size_t i = 1; i < r.size(); ++i) {
        auto name = cell(r, i, "transport");
        EXPECT_GE(ms(r, i, "connect_p50_us"), 200.0) << name;
        if (ms(r, i, "connect_p50_us") <= 250.0) continue;
        auto again = run_csv("net-connect-again", "--transport " + name + " --scenario connect --clients 5 --duration 1 "
                                                  "--net rtt=100ms");
        ASSERT_EQ(again.size(), 2u) << name;
        EXPECT_GE(ms(again, 1, "connect_p50_us"), 200.0) << name;
        EXPECT_LE(ms(again, 1, "connect_p50_us"), 250.0) << name << " (first run: " << ms(r, i, "connect_p50_us") << " ms)";
    }
}

TEST(Net, RelayLeavesTheWireBytesAlone) {
    // The kernel's counts at the client sockets: the same bytes per message
    // with the relay in the path (lan) as without it.
    auto r = run_csv("net-bytes", "--transport websocket,sse --clients 4 --rate 200 --duration 2 --net 'none;lan'");
    ASSERT_EQ(r.size(), 5u);
    for (std::size_t i : {1u, 2u}) {
        auto per_msg = [&](std::size_t row) {
            return (num(r, row, "wire_down_bytes") + num(r, row, "wire_up_bytes")) / num(r, row, "messages_in_window");
        };
        std::size_t j = i + 2; // the same transport on lan
        ASSERT_EQ(cell(r, i, "transport"), cell(r, j, "transport"));
        EXPECT_NEAR(per_msg(j) / per_msg(i), 1.0, 0.005) << cell(r, i, "transport");
    }
}

TEST(Net, LongPollingPaysARoundTripOnlyWhenMessagesOutpaceIt) {
    // netem/README.md and transports/long-polling/README.md: with a publish
    // period longer than the RTT every message finds a poll waiting and
    // takes the one-way delay (50 ms); with a period far shorter, a message
    // waits on average half a round trip for the next poll and then travels
    // one way: mean RTT (100 ms). Both within 10 % (the slow end's median:
    // one stall of a busy machine moves a mean of 24 samples), at the
    // kernel's receive time: the load generator's own delay is not the
    // path's (CI once saw the processed-time p50 at 55.2 ms).
    auto slow = run_csv("net-lp-slow", "--transport long-polling --clients 4 --rate 2 --duration 3 --net rtt=100ms");
    ASSERT_EQ(slow.size(), 2u);
    EXPECT_NEAR(ms(slow, 1, "rx_latency_p50_us"), 50.0, 5.0);
    auto fast = run_csv("net-lp-fast", "--transport long-polling --clients 4 --rate 200 --duration 3 --net rtt=100ms");
    ASSERT_EQ(fast.size(), 2u);
    EXPECT_NEAR(ms(fast, 1, "rx_latency_mean_us"), 100.0, 10.0);
}

TEST(Net, PollingMeanLatencyIsHalfThePausePlusTheRoundTrip) {
    // A poll cycle is pause T + RTT; a message lands uniformly in it, waits
    // for the next poll to reach the server (on average half a cycle, minus
    // the half RTT the poll spends on its way) and travels back one way:
    // (T + RTT)/2 + RTT/2 = T/2 + RTT = 100 + 100 ms. Within 5 %, plus what
    // the relay says it added of its own: late releases only lengthen the
    // path (seen: mean 213.9 ms in an hour when this VM left the relay
    // 10-60 ms late), so the floor holds every run and the ceiling moves
    // up by the relay's measured p99 lateness.
    auto r = run_csv("net-poll", "--transport polling --poll-interval-ms 200 --clients 20 --rate 13 --duration 4 "
                                "--net rtt=100ms");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_GE(ms(r, 1, "latency_mean_us"), 190.0);
    EXPECT_LE(ms(r, 1, "latency_mean_us"), 210.0 + ms(r, 1, "relay_lateness_p99_us"))
        << "relay p99 lateness " << cell(r, 1, "relay_lateness_p99_us") << " us";
}

TEST(Net, BandwidthCapsThroughputAndQueueingShowsAsLatency) {
    // 1 Mbit/s down: 4 KiB messages at 10/s (about 0.34 Mbit/s) pass at
    // their own pace; at 50/s (1.7 Mbit/s) delivered bytes stop at the line
    // rate (less the TCP/IP headers it also carries) and latency climbs.
    auto r = run_csv("net-bw", "--transport sse --clients 1 --payload 4096 --rate 10,50 --duration 3 --drain 15 "
                              "--net down=1mbit");
    ASSERT_EQ(r.size(), 3u);
    double bps = num(r, 2, "wire_down_bytes") * 8 / 3.0;
    EXPECT_LE(bps, 1e6 * 1.03);
    EXPECT_GE(bps, 0.9e6);
    EXPECT_GT(ms(r, 2, "latency_p50_us"), 5 * ms(r, 1, "latency_p50_us"));
    EXPECT_GT(ms(r, 2, "latency_max_us"), 500.0);
}

TEST(Net, JitterNeverReordersAStream) {
    auto r = run_csv("net-jitter", "--transport websocket,sse --clients 4 --rate 200 --duration 2 "
                                  "--net rtt=40ms,jitter=30ms");
    ASSERT_EQ(r.size(), 3u);
    for (std::size_t i : {1u, 2u}) {
        EXPECT_EQ(cell(r, i, "reordered"), "0");
        EXPECT_EQ(cell(r, i, "lost"), "0");
        // The spread shows: p99 - p50 is a good part of the jitter band.
        EXPECT_GT(ms(r, i, "latency_p99_us") - ms(r, i, "latency_p50_us"), 5.0);
    }
}

TEST(Net, ResetsAreReconnectedAndResumedWithoutLoss) {
    // 30 resets a minute per connection: every resuming transport loses and
    // duplicates nothing, and each reset is one reconnect in the CSV (give or
    // take one landing on a connection being closed at the very end) — except
    // that a polling client notices a reset of its idle connection only at
    // its next poll: resets in the last poll interval go unseen, about
    // clients x rate x interval of them (netem/README.md).
    auto r = run_csv("net-reset", "--transport all --clients 6 --rate 20 --duration 2 --net rtt=10ms,reset=30/min");
    ASSERT_EQ(r.size(), 1 + rtb::all_transports().size());
    for (std::size_t i = 1; i < r.size(); ++i) {
        auto name = cell(r, i, "transport");
        EXPECT_EQ(cell(r, i, "lost"), "0") << name;
        EXPECT_EQ(cell(r, i, "duplicated"), "0") << name;
        double resets = num(r, i, "relay_resets"), reconnects = num(r, i, "reconnects");
        auto* t = rtb::find_transport(name);
        ASSERT_NE(t, nullptr) << name;
        double interval_s = t->max_delivery_wait ? static_cast<double>(t->max_delivery_wait({}).count()) / 1000.0 : 0;
        double unseen = 6 * 30.0 / 60 * interval_s;
        EXPECT_GE(resets, 1) << name;
        EXPECT_LE(reconnects, resets + 1) << name;
        EXPECT_GE(reconnects, resets - 1 - 2 * unseen) << name;
    }
}

TEST(Net, BadSpecIsOneLineAndExit2) {
    for (const char* spec : {"mars", "rtt=-5ms", "loss=150%", "rtt=5parsecs"}) {
        auto o = rtbench(std::string("run --transport sse --net '") + spec + "'");
        EXPECT_EQ(o.code, 2) << spec << ": " << o.out;
        EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
        EXPECT_NE(o.out.find("--net"), std::string::npos) << o.out;
    }
}

} // namespace

namespace {

// The soak, a minute's version (tools/test): every resuming transport, 200
// clients, a connection reset every 10 s on average per connection over a
// 20 ms path, 10 s per transport: nothing lost or duplicated, and the
// server's memory flat (within 5 %) from the end of the warm-up to the end
// of the drain. The long version is in the issue note (1,000 clients).
class Soak : public ::testing::TestWithParam<const rtb::transport_descriptor*> {};

TEST_P(Soak, UnderResetsNothingIsLostAndServerMemoryStaysFlat) {
    std::string name(GetParam()->name);
    auto dir = temp_dir("soak-" + name);
    // ASan's quarantine keeps freed memory on purpose (to catch use after
    // free); with connections churning it grows RSS by itself. Off here:
    // this test is about the server's own memory.
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::string env = "ASAN_OPTIONS='" + std::string(asan ? asan : "") + ":quarantine_size_mb=0' ";
    auto o = rtbench_env(env, "run --no-plot --transport " + name + " --clients 200 --rate 20 --duration 8 --warmup 2 "
                              "--net rtt=20ms,reset=6/min --out " + dir.string());
    ASSERT_EQ(o.code, 0) << o.out;
    auto r = read_csv(dir / "results.csv");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(cell(r, 1, "lost"), "0");
    EXPECT_EQ(cell(r, 1, "duplicated"), "0");
    EXPECT_GE(num(r, 1, "relay_resets"), 50.0); // 200 x 6/min x ~12 s = ~240 expected
    double start = num(r, 1, "server_rss_window_start_bytes"), end = num(r, 1, "server_rss_bytes");
    EXPECT_NEAR(end / start, 1.0, 0.05) << start << " -> " << end;
    fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(All, Soak, ::testing::ValuesIn(rtb::all_transports()),
                         [](const auto& info) {
                             std::string n(info.param->name);
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

} // namespace
