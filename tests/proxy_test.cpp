// A real nginx in the path (proxy/): the tuned config delivers every
// transport with nothing lost; the default one refuses the WebSocket
// upgrade (a row that says so) and holds streams in its buffers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli_support.hpp"
#include "harness/transport.hpp"

namespace {

using namespace rtb_test;

TEST(Cli, ProxyTunedNginxDeliversEveryTransportOverTls) {
    auto dir = temp_dir("proxy-tuned");
    auto o = rtbench("run --no-plot --warmup 0.5 --transport all --clients 3 --rate 50 --duration 1.5 --via nginx:tuned "
                     "--tls --out " + dir.string());
    ASSERT_EQ(o.code, 0) << o.out;
    auto r = read_csv(dir / "results.csv");
    ASSERT_EQ(r.size(), 1 + rtb::all_transports().size());
    for (std::size_t i = 1; i < r.size(); ++i) {
        auto name = cell(r, i, "transport");
        EXPECT_EQ(cell(r, i, "via"), "nginx:tuned") << name;
        EXPECT_EQ(cell(r, i, "lost"), "0") << name;
        EXPECT_GT(num(r, i, "delivered"), 0) << name;
        EXPECT_EQ(cell(r, i, "failure"), "") << name;
        EXPECT_GT(num(r, i, "proxy_rss_bytes"), 0) << name;
        // nginx's CPU is its one process: more than nothing, at most one core.
        EXPECT_GT(num(r, i, "proxy_cpu_us_per_msg"), 0) << name;
        EXPECT_LE(num(r, i, "proxy_cpu_util"), 1.05) << name;
        EXPECT_EQ(cell(r, i, "tls"), "1.3") << name;
    }
    // nginx's own files stay in the run folder.
    EXPECT_TRUE(fs::exists(dir / "nginx" / "1" / "nginx.conf"));
    fs::remove_all(dir);
}

TEST(Cli, ProxyDefaultNginxRefusesWebSocketAndBuffersStreams) {
    auto dir = temp_dir("proxy-default");
    // 200 msg/s of ~100 B: nginx's 8 KiB buffer fills in under half a second.
    auto o = rtbench("run --no-plot --warmup 0.5 --transport websocket,streaming --clients 2 --rate 200 --duration 2 "
                     "--via nginx:default,nginx:tuned --ready-timeout 5 --allow-loss --out " + dir.string());
    ASSERT_EQ(o.code, 0) << o.out;
    auto r = read_csv(dir / "results.csv");
    ASSERT_EQ(r.size(), 5u);
    // Row order: via, then transport.
    EXPECT_EQ(cell(r, 1, "transport"), "websocket");
    EXPECT_EQ(cell(r, 1, "delivered"), "0");
    EXPECT_NE(cell(r, 1, "failure").find("the upgrade was refused: HTTP 426 Upgrade Required"), std::string::npos) << cell(r, 1, "failure");
    // Streaming through the default config arrives, but a buffer at a time:
    // the median is many times the tuned proxy's.
    EXPECT_EQ(cell(r, 2, "transport"), "streaming");
    EXPECT_EQ(cell(r, 4, "transport"), "streaming");
    EXPECT_GT(num(r, 2, "delivered"), 0);
    // At the kernel's receive time (the headline): what nginx did, without
    // the load generator's own delay (once 13.7 ms on the tuned row in a
    // noisy hour, against ~0.6 ms usually).
    EXPECT_GT(num(r, 2, "rx_latency_p50_us"), 10 * num(r, 4, "rx_latency_p50_us"));
    EXPECT_GT(num(r, 2, "rx_latency_p50_us"), 50'000);
    fs::remove_all(dir);
}

// nginx cuts a request whose answer takes longer than proxy_read_timeout
// (60 s by default) with a 504. Scaled down together: the default config with
// a 1 s timeout, a 3 s long-poll hold and a message every 2.5 s, so every
// held poll that waits for the next message is cut once. The client resumes
// from its cursor: nothing is lost, and the row and the verdict name the cut.
TEST(Cli, ProxyCutsALongPollHeldPastItsReadTimeout) {
    auto dir = temp_dir("proxy-lp-cut");
    std::ifstream in(fs::path(RTBENCH_SOURCE_DIR) / "proxy" / "nginx-default.conf");
    std::stringstream conf;
    conf << in.rdbuf();
    std::string text = conf.str();
    auto at = text.find("proxy_pass http://127.0.0.1:@UPSTREAM@;");
    ASSERT_NE(at, std::string::npos);
    text.insert(text.find('\n', at) + 1, "            proxy_read_timeout 1s;\n");
    fs::create_directories(dir);
    std::ofstream(dir / "short-timeout.conf") << text;
    auto o = rtbench("run --no-plot --warmup 0.5 --transport long-polling --clients 2 --rate 0.4 --duration 4 "
                     "--lp-hold-ms 3000 --via none,nginx:" + (dir / "short-timeout.conf").string() +
                     " --out " + (dir / "out").string());
    ASSERT_EQ(o.code, 0) << o.out;
    auto r = read_csv(dir / "out" / "results.csv");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(cell(r, 1, "via"), "none");
    EXPECT_EQ(cell(r, 1, "reconnects"), "0");
    EXPECT_EQ(cell(r, 1, "reconnect_cause"), "");
    EXPECT_EQ(cell(r, 2, "via"), "nginx:short-timeout.conf");
    EXPECT_GE(num(r, 2, "reconnects"), 2);
    EXPECT_EQ(cell(r, 2, "reconnect_cause"), "status 504");
    EXPECT_EQ(cell(r, 2, "lost"), "0");
    EXPECT_NE(o.out.find("long-polling with nginx:short-timeout.conf (against direct"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("first because of status 504."), std::string::npos) << o.out;
    fs::remove_all(dir);
}

TEST(Cli, ProxyUnknownViaIsOneLineAndExit2) {
    auto o = rtbench("run --transport sse --via haproxy");
    EXPECT_EQ(o.code, 2) << o.out;
    EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
}

} // namespace
