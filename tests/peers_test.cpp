// Peers (peers/README.md): servers people run, under the same harness as
// rtbench's own. Whole runs, so Cli.* (they share the timing lock).
#include <algorithm>
#include <cstdlib>

#include "tests/cli_support.hpp"

using namespace rtb_test;

namespace {

// The Node peer's server, run directly.
outcome node(const std::string& args) {
    std::string cmd = "node " + std::string(RTBENCH_SOURCE_DIR) + "/peers/node-ws/server.js " + args + " 2>&1";
    outcome o;
    FILE* f = ::popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), f)) o.out += buf.data();
    int st = ::pclose(f);
    o.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return o;
}

} // namespace

// node-ws beside websocket: every message of every payload kind arrives,
// each byte as the harness's generator made it (the peer's port of
// harness/payload.cpp is checked byte for byte: a wrong byte is `corrupt`),
// in both scenarios; the framing is byte for byte the reference server's
// (in push RFC 6455's 2 bytes for a body under 126; echo adds the masked
// upstream frames); the peer's process is measured (CPU, RSS), as the
// reference server's is.
TEST(Cli, PeerNodeWsCarriesEveryScenarioAndPayloadKindExactly) {
    for (const char* sc : {"push", "echo"}) {
        auto r = run_csv(std::string("peer-") + sc, std::string("--transport websocket,node-ws --scenario ") + sc +
                                                        " --payload-kind pattern,random,json --clients 3 --rate 50 "
                                                        "--duration 0.6 --payload 64");
        ASSERT_EQ(r.size(), 7u) << sc;
        for (std::size_t i = 1; i < r.size(); ++i) {
            std::string what = r[i][0] + " " + sc + " " + cell(r, i, "payload_kind");
            EXPECT_EQ(cell(r, i, "lost"), "0") << what;
            EXPECT_EQ(cell(r, i, "corrupt"), "0") << what;
            EXPECT_EQ(cell(r, i, "duplicated"), "0") << what;
            EXPECT_EQ(cell(r, i, "delivered"), cell(r, i, "expected")) << what;
            // 50/s over 0.6 s, 3 clients: 30 each (+-1 at the window edges)
            EXPECT_NEAR(num(r, i, "expected"), 90, 3) << what;
            // The same framing to the byte as rtbench's own server (rows 1-3
            // websocket, 4-6 node-ws, kind by kind); in push, RFC 6455's 2 B.
            EXPECT_EQ(cell(r, i, "framing_bytes_per_msg"), cell(r, (i - 1) % 3 + 1, "framing_bytes_per_msg")) << what;
            if (std::string(sc) == "push") EXPECT_EQ(cell(r, i, "framing_bytes_per_msg"), "2.000") << what;
            EXPECT_EQ(cell(r, i, "rx_unstamped"), "0") << what;
            EXPECT_GT(num(r, i, "server_cpu_us_per_msg"), 0) << what;
            EXPECT_GT(num(r, i, "server_rss_bytes"), 10e6) << what << ": a Node process holds more than 10 MB";
        }
    }
}

// The peer's --test-drop-every loses every 5th message live, as the
// reference server's does: the harness sees it (exit 3, a fifth lost).
TEST(Cli, PeerLossIsCaughtWithExit3) {
    auto dir = temp_dir("peer-lossy");
    auto o = rtbench("run --transport node-ws --clients 2 --rate 100 --duration 0.5 --warmup 0.1 --drain 0.5 "
                     "--test-drop-every 5 --no-plot --out " + dir.string());
    EXPECT_EQ(o.code, 3) << o.out;
    auto rows = read_csv(dir / "results.csv");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_NEAR(num(rows, 1, "lost") / num(rows, 1, "expected"), 0.2, 0.03);
    fs::remove_all(dir);
}

// What a peer needs, missing: one line naming it and the fix, the point
// fails, nothing hangs. A checkout without peers/node_modules (a copy of
// the script alone), then a TLS run (not built for peers).
TEST(Cli, PeerMissingPackagesOrTlsIsOneLineThatSaysWhy) {
    auto root = temp_dir("peer-root");
    fs::create_directories(root / "peers/node-ws");
    fs::copy(fs::path(RTBENCH_SOURCE_DIR) / "peers/node-ws/server.js", root / "peers/node-ws/server.js");
    auto dir = temp_dir("peer-missing");
    auto o = rtbench_env("RTBENCH_ROOT=" + root.string() + " ",
                         "run --transport node-ws --clients 1 --duration 0.3 --no-plot --out " + dir.string());
    EXPECT_EQ(o.code, 1) << o.out;
    EXPECT_NE(o.out.find("node-ws: peers/node_modules is missing: run tools/setup"), std::string::npos) << o.out;
    o = rtbench("run --transport node-ws --tls --clients 1 --duration 0.3 --no-plot --out " + dir.string());
    EXPECT_EQ(o.code, 1) << o.out;
    EXPECT_NE(o.out.find("node-ws: TLS to a peer is not built"), std::string::npos) << o.out;
    fs::remove_all(dir);
    fs::remove_all(root);
}

// `rtbench serve` hosts rtbench's transports only; a peer's server is
// Node's. `list` shows the peers after the transports; `--transport peers`
// selects them all; the peer's own command line refuses what it does not
// know, as `rtbench serve` does (one line, exit 2).
TEST(Cli, PeersAreListedSelectableAndNotServedByRtbench) {
    auto o = rtbench("serve --transport node-ws");
    EXPECT_EQ(o.code, 2) << o.out;
    EXPECT_NE(o.out.find("node-ws is a peer, served by Node.js"), std::string::npos) << o.out;
    o = rtbench("list");
    EXPECT_EQ(o.code, 0);
    EXPECT_LT(o.out.find("websocket "), o.out.find("node-ws "));
    o = rtbench("run --transport nope --duration 0.1");
    EXPECT_EQ(o.code, 2);
    EXPECT_NE(o.out.find("node-ws"), std::string::npos) << "the known names include the peers: " << o.out;
    auto r = run_csv("peer-all", "--transport peers --clients 1 --rate 20 --duration 0.3");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[1][0], "node-ws");
    o = node("--port 0 --bogus");
    EXPECT_EQ(o.code, 2) << o.out;
    EXPECT_NE(o.out.find("unknown option --bogus"), std::string::npos) << o.out;
    EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
    o = node("--control");
    EXPECT_EQ(o.code, 2) << "control without a token";
}
