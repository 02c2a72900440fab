// The verdict, line by line, on synthetic rows with known answers.
#include "harness/verdict.hpp"

#include <gtest/gtest.h>

using namespace rtb;

namespace {

// A push row of 1,000 messages with the given framing per message, median
// latency, and server CPU per message.
result_row row(std::string t, std::uint64_t clients, double framing, double p50_ms, double cpu_us) {
    result_row r;
    r.transport = std::move(t);
    r.scenario = "push";
    r.clients = clients;
    r.rate_hz = 20;
    r.payload_bytes = 64;
    r.expected = r.delivered = 1000;
    r.received_in_window = 1000;
    r.app_bytes_in_window = 100'000;
    r.envelope_in_window = 36'000;
    r.wire_down_bytes = 100'000 + static_cast<std::uint64_t>(framing * 1000);
    r.rx_latency.record(static_cast<std::uint64_t>(p50_ms * 1e6), 1000);
    r.server_cpu_ns = static_cast<std::int64_t>(cpu_us * 1000 * 1000);
    return r;
}

// A connect row: 1,000 idle connections with these costs.
result_row connect_row(std::string t, double rss, double hs, double idle = 0) {
    result_row r;
    r.transport = std::move(t);
    r.scenario = "connect";
    r.clients = 1000;
    r.payload_kind = "";
    r.server_rss_bytes_per_conn = rss;
    r.handshake_bytes = hs;
    r.idle_bytes_per_conn_per_min = idle;
    return r;
}

std::string line_starting(const std::vector<std::string>& v, const std::string& prefix) {
    for (auto& l : v)
        if (l.rfind(prefix, 0) == 0) return l;
    return "<no line starting '" + prefix + "'>";
}

} // namespace

TEST(Verdict, OneWinnerEverywhere) {
    auto v = verdict({row("websocket", 10, 2, 1.0, 5), row("streaming", 10, 7, 3.0, 9), row("sse", 10, 21, 3.0, 9),
                      row("websocket", 200, 4, 1.0, 5), row("streaming", 200, 8, 3.0, 9), row("sse", 200, 20, 3.0, 9)});
    EXPECT_EQ(line_starting(v, "Fewest bytes"),
              "Fewest bytes of framing per message: websocket (2.0–4.0 B) at every point.");
    EXPECT_EQ(line_starting(v, "Lowest median"), "Lowest median latency: websocket (1.000 ms) at every point.");
    // 5 vs 9 us: more than the 28 % noise of server CPU.
    EXPECT_EQ(line_starting(v, "Least server CPU"), "Least server CPU per delivered message: websocket (5.00 µs) at every point.");
    EXPECT_EQ(line_starting(v, "No transport lost"),
              "No transport lost a message or fell behind at any point: this run did not reach a breaking point "
              "(raise --rate or --clients to find one).");
    EXPECT_EQ(v.back(), "All traffic was on loopback: latency is the software path only, with no network round trip, "
                        "bandwidth limit or loss — where the transports differ most on real paths (--net).");
}

TEST(Verdict, LatencyIsRankedPerNetwork) {
    // On loopback websocket leads; on a WAN profile long polling's round
    // trip per answer puts sse ahead: each network gets its own line, and
    // rows only compare with rows on the same network.
    auto wan = [](result_row r, double p50_ms) {
        r.net = "4g";
        r.relay = true;
        r.rx_latency = histogram();
        r.rx_latency.record(static_cast<std::uint64_t>(p50_ms * 1e6), 100);
        return r;
    };
    auto v = verdict({row("websocket", 200, 2, 1.0, 5), row("sse", 200, 21, 3.0, 9),
                      wan(row("websocket", 200, 2, 1.0, 5), 200), wan(row("sse", 200, 21, 3.0, 9), 90)});
    EXPECT_EQ(line_starting(v, "Lowest median latency on loopback"),
              "Lowest median latency on loopback: websocket (1.000 ms).");
    EXPECT_EQ(line_starting(v, "Lowest median latency on 4g"), "Lowest median latency on 4g: sse (90.000 ms).");
    // A relay-bound row is left out of the ranking, and the line says so.
    auto bound = wan(row("streaming", 200, 7, 3.0, 9), 80);
    bound.relay_bound = true;
    auto w = verdict({wan(row("websocket", 200, 2, 1.0, 5), 200), wan(row("sse", 200, 21, 3.0, 9), 90), bound});
    EXPECT_EQ(line_starting(w, "Lowest median latency on 4g"),
              "Lowest median latency on 4g: sse (90.000 ms) (left out, limited by the relay: streaming).");
    EXPECT_EQ(v.back().rfind("Rows with a network profile (column net) went through rtbench's impairment relay", 0), 0u);
}

TEST(Verdict, WithinTheNoiseIsNoMeasurableDifference) {
    // 1.0 vs 1.1 ms: within the 20 % a single run cannot separate.
    auto v = verdict({row("websocket", 10, 2, 1.0, 5), row("sse", 10, 21, 1.1, 5.5), row("streaming", 10, 7, 2.0, 9)});
    EXPECT_EQ(line_starting(v, "Lowest median"),
              "Lowest median latency: websocket (1.000 ms) and sse (1.100 ms), within 20 % of each other: no "
              "measurable difference in one run.");
}

TEST(Verdict, DifferentWinnersArePerPoint) {
    auto v = verdict({row("websocket", 10, 2, 1.0, 5), row("sse", 10, 21, 1.0, 5), row("websocket", 200, 30, 1.0, 5),
                      row("sse", 200, 20, 1.0, 5)});
    EXPECT_EQ(line_starting(v, "Fewest bytes"),
              "Fewest bytes of framing per message: sse at 1 of 2 points (20.0 B), websocket at 1 of 2 points (2.0 B) "
              "(transports within 5 % of the best count as leading).");
}

TEST(Verdict, SaysWhereEachBrokeAndLeavesBrokenAndClientBoundPointsOut) {
    auto ws = row("websocket", 200, 2, 1.0, 5);
    ws.lost = 10;
    ws.expected = 1000;
    auto sse = row("sse", 200, 21, 50.0, 9);
    sse.lost = sse.in_flight_at_end = 300;
    sse.expected = 1000;
    auto st = row("streaming", 200, 7, 0.5, 1);
    st.client_bound = true;
    auto v = verdict({ws, sse, st, row("polling", 200, 9, 500, 3)});
    EXPECT_EQ(line_starting(v, "websocket broke"),
              "websocket broke at push 200 clients × 20/s × 64 B: 10 of 1000 messages dropped.");
    EXPECT_EQ(line_starting(v, "sse broke"),
              "sse broke at push 200 clients × 20/s × 64 B: 300 of 1000 messages still in flight when the drain ended "
              "(could not keep up).");
    EXPECT_EQ(line_starting(v, "1 of 4 runs"),
              "1 of 4 runs were limited by the load generator (client_bound): they are left out above, and their "
              "latency includes its own queueing.");
    // Only polling ran clean: nothing to compare, no ranking sentence.
    EXPECT_EQ(line_starting(v, "Fewest bytes"), "<no line starting 'Fewest bytes'>");
    EXPECT_EQ(line_starting(v, "Latency of"), "Latency of polling is set by its poll interval by design, not by the server "
                                               "or the network.");
}

TEST(Verdict, ConnectRowsRankMemoryHandshakeAndIdleBytes) {
    auto c = connect_row;
    auto v = verdict({c("polling", 3400, 157, 9950), c("sse", 2700, 182, 0), c("websocket", 8100, 338, 0)});
    EXPECT_EQ(line_starting(v, "Least server memory"),
              "Least server memory per connection: sse (2700 B) and polling (3400 B), within 44 % of each other: no "
              "measurable difference in one run.");
    EXPECT_EQ(line_starting(v, "Fewest handshake"), "Fewest handshake bytes: polling (157.0 B).");
    EXPECT_EQ(line_starting(v, "Fewest idle"),
              "Fewest idle bytes per connection per minute: sse (0.0 B) and websocket (0.0 B), within 1 % of each "
              "other: no measurable difference in one run.");
}

TEST(Verdict, ConnectRowsRankPerPath) {
    // Measured 2026-11-22 (release, 1,000 connections): TLS 1.3 costs every
    // transport ~70 KB of server memory; plain and TLS rows rank apart.
    auto c = [](std::string t, std::string tls, double rss, double hs) {
        auto r = connect_row(std::move(t), rss, hs);
        r.tls = std::move(tls);
        return r;
    };
    auto v = verdict({c("sse", "none", 2671, 182), c("websocket", "none", 8880, 339), c("sse", "1.3", 72888, 1953),
                      c("websocket", "1.3", 79086, 2138)});
    EXPECT_EQ(line_starting(v, "Least server memory per connection on loopback:"),
              "Least server memory per connection on loopback: sse (2671 B).");
    EXPECT_EQ(line_starting(v, "Least server memory per connection on loopback with TLS 1.3:"),
              "Least server memory per connection on loopback with TLS 1.3: sse (72888 B) and websocket (79086 B), "
              "within 44 % of each other: no measurable difference in one run.");
    EXPECT_EQ(line_starting(v, "Fewest handshake bytes on loopback with TLS 1.3:"),
              "Fewest handshake bytes on loopback with TLS 1.3: sse (1953.0 B).");
    EXPECT_EQ(line_starting(v, "sse with TLS 1.3"),
              "sse with TLS 1.3 (against plain, 1000 connections): connect-to-ready p50 0.00 → 0.00 ms, handshake 182 → "
              "1953 B.");
}

TEST(Verdict, TlsAndProxyRowsAreTheirOwnPath) {
    // The same transport plain and over TLS is not two contestants at one
    // point: each path ranks its own rows, and a row whose clients never
    // connected ranks nowhere.
    auto tls = [](result_row r, double p50_ms) {
        r.tls = "1.3";
        r.rx_latency = histogram();
        r.rx_latency.record(static_cast<std::uint64_t>(p50_ms * 1e6), 100);
        return r;
    };
    auto refused = row("websocket", 200, 2, 0.5, 5);
    refused.via = "nginx:default";
    refused.failure = "2 of 2 clients never connected: handshake declined";
    auto v = verdict({row("websocket", 200, 2, 1.0, 5), row("sse", 200, 21, 3.0, 9),
                      tls(row("websocket", 200, 2, 1.0, 5), 9.0), tls(row("sse", 200, 21, 3.0, 9), 2.0), refused});
    EXPECT_EQ(line_starting(v, "Lowest median latency on loopback:"),
              "Lowest median latency on loopback: websocket (1.000 ms).");
    EXPECT_EQ(line_starting(v, "Lowest median latency on loopback with TLS 1.3"),
              "Lowest median latency on loopback with TLS 1.3: sse (2.000 ms).");
    EXPECT_EQ(line_starting(v, "Least server CPU per delivered message on loopback with TLS 1.3"),
              "Least server CPU per delivered message on loopback with TLS 1.3: websocket (5.00 µs).");
    EXPECT_EQ(line_starting(v, "Lowest median latency on loopback via nginx:default"),
              "<no line starting 'Lowest median latency on loopback via nginx:default'>");
}

TEST(Verdict, SaysWhatTlsAndTheProxyDidToEachTransport) {
    // Known answers: each row with TLS or behind nginx against the same
    // transport at the same point without it.
    auto with = [](result_row r, std::string tls, std::string via, double p50_ms) {
        r.tls = std::move(tls);
        r.via = std::move(via);
        r.rx_latency = histogram();
        r.rx_latency.record(static_cast<std::uint64_t>(p50_ms * 1e6), 1000);
        return r;
    };
    // The direct stream sends each client 107 B × 50/s = 5,350 B/s; a median
    // wait of 400 ms is half the time to gather 4,280 B.
    auto direct_stream = row("streaming", 5, 7, 0.4, 9);
    direct_stream.window_s = 4;
    direct_stream.wire_down_bytes = 5 * 5'350 * 4;
    auto buffered = with(row("streaming", 5, 7, 0.4, 9), "none", "nginx:default", 400);
    buffered.lost = buffered.in_flight_at_end = 12;
    auto refused = with(row("websocket", 5, 2, 1.0, 5), "none", "nginx:default", 0);
    refused.delivered = refused.received_in_window = 0;
    refused.rx_latency = histogram();
    refused.failure = "5 of 5 clients never connected: handshake declined (status 400)";
    auto cut = with(row("long-polling", 5, 30, 2.0, 9), "none", "nginx:short.conf", 2.0);
    cut.reconnects = 8;
    cut.reconnect_cause = "status 504";
    auto tls = with(row("sse", 5, 21, 3.0, 9), "1.3", "none", 3.0);
    tls.server_cpu_ns = 12'000'000; // 12 µs per message against 9
    tls.tls_bytes_in_window = 22'000;
    tls.wire_down_bytes += 22'000;
    auto tls_via = with(row("sse", 5, 21, 3.0, 9), "1.3", "nginx:tuned", 4.5);
    auto v = verdict({direct_stream, buffered, row("websocket", 5, 2, 1.0, 5), refused,
                      row("long-polling", 5, 30, 2.0, 9), cut, row("sse", 5, 21, 3.0, 9), tls, tls_via});
    EXPECT_EQ(line_starting(v, "streaming with"),
              "streaming with nginx:default (against direct, push 5 clients × 20/s × 64 B): p50 0.40 → 400.00 ms, "
              "p99 0.40 → 400.00 ms — as if the proxy held ≈ 4.3 KB per connection before passing it on; 12 of 1000 "
              "messages still in the path when the drain ended.");
    EXPECT_EQ(line_starting(v, "websocket with"),
              "websocket with nginx:default (against direct, push 5 clients × 20/s × 64 B): 0 of 1000 messages "
              "delivered (direct: 1000); 5 of 5 clients never connected: handshake declined (status 400).");
    EXPECT_EQ(line_starting(v, "long-polling with"),
              "long-polling with nginx:short.conf (against direct, push 5 clients × 20/s × 64 B): p50 2.00 → 2.00 ms, "
              "p99 2.00 → 2.00 ms; 8 reconnects (without: 0), first because of status 504.");
    EXPECT_EQ(line_starting(v, "sse with TLS"),
              "sse with TLS 1.3 (against plain, push 5 clients × 20/s × 64 B): p50 3.00 → 3.00 ms, p99 3.00 → 3.00 ms; "
              "server CPU per message 9.00 → 12.00 µs, TLS adds 22.0 B per message.");
    // Behind the proxy with TLS ending there: against the direct TLS row.
    EXPECT_EQ(line_starting(v, "sse with nginx:tuned"),
              "sse with nginx:tuned (against direct with TLS, push 5 clients × 20/s × 64 B on loopback with TLS 1.3): "
              "p50 3.00 → 4.50 ms, "
              "p99 3.00 → 4.50 ms.");
}

TEST(Verdict, WithRepeatsTransportsDifferOnlyWhenTheirSpreadsDoNotOverlap) {
    auto runs = [](std::string t, std::vector<double> p50s) {
        std::vector<result_row> v;
        std::uint64_t n = 0;
        for (double p : p50s) {
            v.push_back(row(t, 10, 2, p, 5));
            v.back().repeat = ++n;
        }
        return v;
    };
    auto join = [](std::vector<result_row> a, const std::vector<result_row>& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    };
    // 3 % apart (inside the 20 % one run allows) but each run of sse is
    // below every run of websocket: with repeats, that is a difference.
    auto v = verdict(join(runs("sse", {1.00, 1.01, 1.02}), runs("websocket", {1.03, 1.04, 1.05})));
    EXPECT_EQ(line_starting(v, "Lowest median latency"), "Lowest median latency (median of 3+ runs): sse (1.010 ms).");
    // Medians 1.1 and 1.3, but the ranges cross: no measurable difference.
    v = verdict(join(runs("sse", {1.0, 1.1, 1.35}), runs("websocket", {1.3, 1.4, 1.2})));
    EXPECT_EQ(line_starting(v, "Lowest median latency"),
              "Lowest median latency (median of 3+ runs): sse (1.100 ms) and websocket (1.300 ms), their spreads over 3+ "
              "runs overlap: no measurable difference.");
    // One run each: the noise allowance decides, as before.
    v = verdict(join(runs("sse", {1.00}), runs("websocket", {1.03})));
    EXPECT_EQ(line_starting(v, "Lowest median latency"),
              "Lowest median latency: sse (1.000 ms) and websocket (1.030 ms), within 20 % of each other: no measurable "
              "difference in one run.");
}

TEST(Verdict, BrowserHeadersAreTheirOwnPathAndSayWhatTheyCost) {
    // Connect rows: a polling connection idle, minimal headers then a
    // browser's: handshake 150 -> 700 B, idle 6,000 -> 36,000 B/conn/min.
    auto c = [](std::string t, std::string headers, double hs, double idle) {
        auto r = connect_row(std::move(t), 3000, hs, idle);
        r.headers = std::move(headers);
        return r;
    };
    auto v = verdict({c("polling", "minimal", 150, 6000), c("sse", "minimal", 180, 0), c("polling", "browser", 700, 36000),
                      c("sse", "browser", 730, 0)});
    EXPECT_EQ(line_starting(v, "polling with browser headers"),
              "polling with browser headers (against minimal headers, 1000 connections): connect-to-ready p50 0.00 → "
              "0.00 ms, handshake 150 → 700 B, idle 6000 → 36000 B/conn/min.");
    EXPECT_EQ(line_starting(v, "Fewest idle bytes per connection per minute on loopback with browser headers"),
              "Fewest idle bytes per connection per minute on loopback with browser headers: sse (0.0 B).");
    EXPECT_EQ(line_starting(v, "Fewest idle bytes per connection per minute on loopback:"),
              "Fewest idle bytes per connection per minute on loopback: sse (0.0 B).");
}

TEST(Verdict, WithRepeatsPathEffectsCompareRunsOfTheSameNumberAndSaySo) {
    auto run = [](std::string tls, std::uint64_t repeat, double p50_ms) {
        auto r = row("sse", 5, 21, p50_ms, 9);
        r.tls = std::move(tls);
        r.repeat = repeat;
        return r;
    };
    auto v = verdict({run("none", 1, 1.0), run("1.3", 1, 2.0), run("none", 2, 5.0), run("1.3", 2, 3.0)});
    EXPECT_EQ(line_starting(v, "sse with TLS"),
              "sse with TLS 1.3 (against plain, push 5 clients × 20/s × 64 B, run 1 of 2): p50 1.00 → 2.00 ms, p99 1.00 "
              "→ 2.00 ms; server CPU per message 9.00 → 9.00 µs, TLS adds 0.0 B per message.");
}

// The headline leaves the load generator's own delay out, and the verdict
// says how large it was where it was largest: 3 ms at p99 for sse's 200
// clients against 0.2 ms for websocket's 10.
TEST(Verdict, SaysHowMuchGeneratorDelayTheLatencyLeavesOut) {
    auto a = row("websocket", 10, 2, 1.0, 5), b = row("sse", 200, 20, 1.0, 9);
    a.generator_delay.record(200'000, 1000);
    b.generator_delay.record(3'000'000, 1000);
    auto v = verdict({a, b});
    EXPECT_EQ(line_starting(v, "Latency is to the kernel's receive time"),
              "Latency is to the kernel's receive time at the clients: the load generator's own delay after it "
              "(generator_delay) is left out; its p99 was at most 3.000 ms (sse, 200 clients, 20/s).");
    // Rows without samples (connect runs) say nothing of it.
    EXPECT_EQ(line_starting(verdict({connect_row("sse", 3000, 200)}), "Latency is to"),
              "<no line starting 'Latency is to'>");
}

// A peer beside rtbench's server doing the same job (its counterpart), at
// the same point: its costs as ratios to it; no counterpart row, no line.
TEST(Verdict, PeersAreStatedAsRatiosToTheirCounterpart) {
    auto v = verdict({row("websocket", 200, 2, 1.0, 5), row("node-ws", 200, 2, 2.0, 10), row("socketio-ws", 200, 12, 3.0, 20),
                      row("socketio-polling", 200, 300, 3.0, 20), connect_row("websocket", 3000, 300),
                      connect_row("socketio-ws", 6000, 600, 24)});
    auto npos = std::string::npos;
    auto l = line_starting(v, "node-ws (websocket on Node ws 8.23) against rtbench's websocket");
    EXPECT_NE(l.find("server CPU per delivered message 2.00× (10.00 vs 5.00 µs)"), npos) << l;
    EXPECT_NE(l.find("framing 1.00× (2.0 vs 2.0 B per message)"), npos) << l;
    EXPECT_NE(l.find("p50 2.00× (2.000 vs 1.000 ms)"), npos) << l;
    EXPECT_EQ(line_starting(v, "The latency of"),
              "The latency of node-ws, socketio-polling, socketio-ws includes up to 1 ms of the peer's publisher "
              "waking on Node's millisecond timers (rtbench's own servers wake within microseconds).");
    l = line_starting(v, "socketio-ws (Socket.IO 4.8 over websocket) against rtbench's websocket");
    EXPECT_NE(l.find("framing 6.00× (12.0 vs 2.0 B per message)"), npos) << l;
    bool connect_line = false;
    for (auto& s : v)
        if (s.rfind("socketio-ws (Socket.IO 4.8 over websocket) against", 0) == 0 && s.find("server memory per connection 2.00× (6000 vs 3000 B)") != npos) {
            connect_line = true;
            EXPECT_NE(s.find("handshake 2.00× (600 vs 300 B)"), npos) << s;
            EXPECT_NE(s.find("idle 24 B/conn/min (the reference: 0)"), npos) << s;
        }
    EXPECT_TRUE(connect_line);
    // Off loopback the point names its path once.
    auto on4g = [](result_row r) {
        r.net = "4g";
        return r;
    };
    auto w = verdict({on4g(row("websocket", 200, 2, 80.0, 5)), on4g(row("node-ws", 200, 2, 81.0, 10))});
    EXPECT_EQ(line_starting(w, "node-ws (websocket on Node ws 8.23) against rtbench's websocket (push 200 clients × 20/s × 64 B on 4g): ")
                  .rfind("<no line", 0),
              std::string::npos)
        << line_starting(w, "node-ws against");
    for (auto& s : v) {
        EXPECT_NE(s.rfind("socketio-polling against", 0), 0u) << "no long-polling row to compare with: " << s;
        EXPECT_NE(s.rfind("websocket against", 0), 0u) << "rtbench's own rows have no counterpart: " << s;
    }
}

// A server rtbench did not start, its process not named: the verdict says
// its server figures are missing and why; named (--target-pid), nothing.
TEST(Verdict, SaysAnExternalTargetsServerWasNotMeasured) {
    auto r = row("websocket", 10, 8, 1.0, 0);
    r.scenario = "echo";
    r.target = "ws://127.0.0.1:8765/echo";
    r.server_measured = false;
    EXPECT_EQ(line_starting(verdict({r}), "The server was"),
              "The server was ws://127.0.0.1:8765/echo, not started by rtbench: its CPU and memory were not measured "
              "(--target-pid names its process).");
    r.server_measured = true;
    EXPECT_EQ(line_starting(verdict({r}), "The server was"), "<no line starting 'The server was'>");
}
