// Peers (peers/README.md): servers people run, under the same harness as
// rtbench's own. Whole runs, so Cli.* (they share the timing lock).
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "harness/control_client.hpp"
#include "harness/runner.hpp"
#include "tests/cli_support.hpp"
#include "tests/loopback.hpp"

using namespace rtb_test;

namespace {

// The Node peer's server, run directly. Never with the run's control token:
// a server started with it would listen (and this wait for it) instead of
// refusing the command line.
outcome node(const std::string& args) {
    return run_command("env -u RTBENCH_CONTROL_TOKEN node " + std::string(RTBENCH_SOURCE_DIR) + "/peers/node-ws/server.js " +
                       args + " 2>&1");
}

} // namespace

// node-ws beside websocket: every message of every payload kind arrives,
// each byte as the harness's generator made it (the peer's port of
// harness/payload.cpp is checked byte for byte: a wrong byte is `corrupt`),
// in both scenarios; the framing on both servers is RFC 6455's to the byte
// (in push RFC 6455's 2 bytes for a body under 126; echo adds the masked
// upstream frames); the peer's process is measured (CPU, RSS), as the
// reference server's is.
//
// Each row's framing must be exact in one of four runs of its scenario
// (a row exact once is not run for again). What can move it, within the
// window-edge bound of results/README.md (one message per client per
// edge): two messages read together leave the second in Beast's own
// buffer, and a mark before its handler runs puts its bytes outside the
// window and the message inside; on a loaded machine, an echo answered
// after the closing mark, or a record the client still queued at a mark
// (handed over before it, written after). Six rows had to be exact in the
// same run before; on a loaded CI machine one of six was at an edge in
// every run. A formula off by a byte fails every run.
TEST(Cli, PeerNodeWsCarriesEveryScenarioAndPayloadKindExactly) {
    for (const char* sc : {"push", "echo"}) {
        const std::string want = std::string(sc) == "push" ? "2.000" : "8.000";
        std::set<std::string> todo;              // "transport kind" not yet exact
        for (int attempt = 0; attempt < 4 && (attempt == 0 || !todo.empty()); ++attempt) {
            auto r = run_csv(std::string("peer-") + sc, std::string("--transport websocket,node-ws --scenario ") + sc +
                                                            " --payload-kind pattern,random,json --clients 3 --rate 50 "
                                                            "--duration 0.6 --payload 64");
            ASSERT_EQ(r.size(), 7u) << sc;
            for (std::size_t i = 1; i < r.size(); ++i) {
                std::string what = r[i][0] + " " + cell(r, i, "payload_kind");
                EXPECT_EQ(cell(r, i, "lost"), "0") << what << " " << sc;
                EXPECT_EQ(cell(r, i, "corrupt"), "0") << what << " " << sc;
                EXPECT_EQ(cell(r, i, "duplicated"), "0") << what << " " << sc;
                EXPECT_EQ(cell(r, i, "delivered"), cell(r, i, "expected")) << what << " " << sc;
                // 50/s over 0.6 s, 3 clients: 30 each (+-1 at the window edges)
                EXPECT_NEAR(num(r, i, "expected"), 90, 3) << what << " " << sc;
                EXPECT_EQ(cell(r, i, "rx_unstamped"), "0") << what << " " << sc;
                EXPECT_GT(num(r, i, "server_cpu_us_per_msg"), 0) << what << " " << sc;
                EXPECT_GT(num(r, i, "server_rss_bytes"), 10e6) << what << ": a Node process holds more than 10 MB";
                // RFC 6455's framing to the byte, on both servers: bodies
                // under 126 B, so a 2-byte header down, and in echo a 6-byte
                // masked header up (2 + the 4-byte mask).
                std::string framing = cell(r, i, "framing_bytes_per_msg");
                if (attempt == 0) todo.insert(what);
                if (framing == want) todo.erase(what);
                else if (todo.count(what))
                    std::cerr << "attempt " << attempt + 1 << ": " << what << " " << sc << " framing " << framing
                              << " B over " << cell(r, i, "messages_in_window") << " messages\n";
            }
        }
        for (auto& what : todo) ADD_FAILURE() << what << " " << sc << ": the framing differed from RFC 6455's " << want
                                              << " B in four runs";
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
    ASSERT_EQ(r.size(), 1 + rtb::all_peers().size());
    for (std::size_t i = 0; i < rtb::all_peers().size(); ++i) EXPECT_EQ(r[i + 1][0], rtb::all_peers()[i]->name);
    o = node("--port 0 --bogus");
    EXPECT_EQ(o.code, 2) << o.out;
    EXPECT_NE(o.out.find("unknown option --bogus"), std::string::npos) << o.out;
    EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
    o = node("--control");
    EXPECT_EQ(o.code, 2) << "control without a token";
}

// A peer's rows name its library and version ("node-ws (websocket on Node
// ws 8.23)" in the verdict and `list`), and the version is the one the
// lockfile pins: the label's major.minor is that of peers/package.json's
// exact version of the peer's package. rtbench's own rows keep their names.
TEST(Peers, LabelsNameTheVersionsPackageJsonPins) {
    std::ifstream f(std::string(RTBENCH_SOURCE_DIR) + "/peers/package.json");
    std::string json((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(json.empty());
    // The package each peer's folder is built on.
    const std::map<std::string, std::string> package = {
        {"peers/node-ws/", "ws"}, {"peers/socketio/", "socket.io"}, {"peers/sockjs/", "sockjs"}};
    for (auto* t : rtb::all_peers()) {
        std::string name(t->name), label(t->label);
        ASSERT_FALSE(label.empty()) << name;
        std::string pkg;
        for (auto& [dir, p] : package)
            if (t->peer_script.starts_with(dir)) pkg = p;
        ASSERT_FALSE(pkg.empty()) << name << ": which package is " << t->peer_script << " built on?";
        auto at = json.find("\"" + pkg + "\": \"");
        ASSERT_NE(at, std::string::npos) << pkg;
        std::string version = json.substr(at + pkg.size() + 5, json.find('"', at + pkg.size() + 5) - at - pkg.size() - 5);
        std::string major_minor = version.substr(0, version.find('.', version.find('.') + 1));
        // " 8.23" then not a digit: 8.2.x must not pass for a label saying 8.23.
        auto at_version = label.find(" " + major_minor);
        ASSERT_NE(at_version, std::string::npos) << name << ": '" << label << "' against " << pkg << " " << version;
        auto after = at_version + 1 + major_minor.size();
        EXPECT_TRUE(after == label.size() || !std::isdigit(static_cast<unsigned char>(label[after])))
            << name << ": '" << label << "' against " << pkg << " " << version;
        EXPECT_EQ(rtb::row_label(name), name + " (" + label + ")");
    }
    for (auto* t : rtb::all_transports()) {
        EXPECT_TRUE(t->label.empty()) << t->name;
        EXPECT_EQ(rtb::row_label(t->name), std::string(t->name));
    }
    auto o = rtbench("list");
    EXPECT_NE(o.out.find("[websocket on Node ws "), std::string::npos) << o.out;
}

// Socket.IO, every way of reaching it: push and echo deliver everything, in
// order, byte for byte; over the WebSocket a message costs its packet,
// 42["m","<body>"] (10 bytes around the body), in a 2-byte frame header:
// 12 bytes (peers/socketio/README.md); polling pays HTTP heads on top.
//
// The framing must be exact in one of two push runs: when two messages
// reach a client in one read, Beast keeps the second in its own buffer,
// and a window mark falling before its handler runs counts its bytes
// before the window and the message inside it (seen once here: 10.59 B
// instead of 12 over 90 messages). That edge is the harness's, not the
// transport's; a formula off by a byte fails both runs.
TEST(Cli, PeerSocketIoEveryModeCarriesPushAndEchoAtItsPacketCost) {
    bool exact = false;
    for (int attempt = 0; attempt < 2 && !exact; ++attempt) {
        for (const char* sc : {"push", "echo"}) {
            if (attempt > 0 && std::string(sc) == "echo") continue;
            auto r = run_csv(std::string("sio-") + sc,
                             std::string("--transport socketio-ws,socketio-upgrade,socketio-polling --scenario ") + sc +
                                 " --clients 3 --rate 50 --duration 0.6 --payload 64");
            ASSERT_EQ(r.size(), 4u) << sc;
            for (std::size_t i = 1; i < r.size(); ++i) {
                std::string what = r[i][0] + " " + sc;
                EXPECT_EQ(cell(r, i, "lost"), "0") << what;
                EXPECT_EQ(cell(r, i, "corrupt"), "0") << what;
                EXPECT_EQ(cell(r, i, "duplicated"), "0") << what;
                EXPECT_EQ(cell(r, i, "reordered"), "0") << what;
                EXPECT_EQ(cell(r, i, "delivered"), cell(r, i, "expected")) << what;
                EXPECT_NEAR(num(r, i, "expected"), 90, 3) << what;
                EXPECT_EQ(cell(r, i, "reconnects"), "0") << what;
            }
            if (std::string(sc) != "push") continue;
            EXPECT_GT(num(r, 3, "framing_bytes_per_msg"), 12 + 40) << "polling: an HTTP head per answer";
            // The upgrade's own cost: the polling handshake, the probe and
            // the upgrade before the client is ready.
            EXPECT_GT(num(r, 2, "handshake_bytes"), num(r, 1, "handshake_bytes") + 300);
            // After the upgrade, the WebSocket's cost.
            exact = cell(r, 1, "framing_bytes_per_msg") == "12.000" && cell(r, 2, "framing_bytes_per_msg") == "12.000";
            if (!exact)
                std::cerr << "attempt " << attempt + 1 << ": framing " << cell(r, 1, "framing_bytes_per_msg") << " / "
                          << cell(r, 2, "framing_bytes_per_msg") << " B over " << cell(r, 1, "messages_in_window")
                          << " / " << cell(r, 2, "messages_in_window") << " messages\n";
        }
    }
    EXPECT_TRUE(exact) << "Socket.IO over WebSocket did not cost 12 bytes a message in two runs";
}

// Socket.IO's heartbeat, a known answer: every pingInterval (200 ms here)
// the server sends "2" (a 3-byte frame) and the client answers "3" (a
// masked 7-byte frame): 300 pings a minute x 10 bytes = 3,000 bytes per
// idle connection per minute. And a namespace of one's own (/rtb) adds
// "/rtb," to every packet: 17 bytes of framing instead of 12.
TEST(Cli, PeerSocketIoHeartbeatAndNamespaceCostWhatTheProtocolSays) {
    auto r = run_csv("sio-idle", "--transport socketio-ws --scenario connect --sio-ping-ms 200 --clients 2 --duration 3");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_NEAR(num(r, 1, "idle_bytes_per_conn_per_min"), 3000, 300);
    r = run_csv("sio-nsp", "--transport socketio-ws --sio-namespace --clients 2 --rate 50 --duration 0.6");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(cell(r, 1, "lost"), "0");
    EXPECT_EQ(cell(r, 1, "framing_bytes_per_msg"), "17.000");
}

// SockJS, every transport rtbench's client speaks: push, echo and broadcast
// deliver everything, in order, byte for byte, with no reconnect. Known
// answers (peers/sockjs/README.md): over the websocket transport a message
// is the frame a["<body>"] (5 bytes around the body) in a 2-byte WebSocket
// header, 7 bytes; in echo each record goes up as ["<record>"] (4 bytes) in
// a masked 6-byte header, 17 in all; over xhr_streaming the frame and its
// '\n' are one HTTP chunk (2 hex digits and two CRLFs for these sizes), 12
// bytes; in broadcast each send's 10 bytes up are shared by the 3 clients
// that receive it: 7 + 10/3. Polling pays an HTTP exchange per answer.
//
// Exact in one of three runs of a scenario, for the window-edge reasons
// given above PeerNodeWsCarriesEveryScenarioAndPayloadKindExactly.
TEST(Cli, PeerSockjsEveryTransportCarriesEveryScenarioAtItsFrameCost) {
    for (const char* sc : {"push", "echo", "broadcast"}) {
        bool exact = false;
        for (int attempt = 0; attempt < 3 && !exact; ++attempt) {
            auto r = run_csv(std::string("sockjs-") + sc,
                             std::string("--transport sockjs-ws,sockjs-xhr-streaming,sockjs-xhr-polling --scenario ") +
                                 sc + " --clients 3 --rate 50 --duration 0.6 --payload 64");
            ASSERT_EQ(r.size(), 4u) << sc;
            for (std::size_t i = 1; i < r.size(); ++i) {
                std::string what = r[i][0] + " " + sc;
                EXPECT_EQ(cell(r, i, "lost"), "0") << what;
                EXPECT_EQ(cell(r, i, "corrupt"), "0") << what;
                EXPECT_EQ(cell(r, i, "duplicated"), "0") << what;
                EXPECT_EQ(cell(r, i, "reordered"), "0") << what;
                EXPECT_EQ(cell(r, i, "delivered"), cell(r, i, "expected")) << what;
                EXPECT_NEAR(num(r, i, "expected"), 90, 3) << what;
                EXPECT_EQ(cell(r, i, "reconnects"), "0") << what;
                EXPECT_GT(num(r, i, "server_rss_bytes"), 10e6) << what << ": a Node process holds more than 10 MB";
            }
            EXPECT_GT(num(r, 3, "framing_bytes_per_msg"), 12 + 40) << sc << ", polling: an HTTP exchange per answer";
            std::string ws = cell(r, 1, "framing_bytes_per_msg"), xs = cell(r, 2, "framing_bytes_per_msg");
            if (std::string(sc) == "push") exact = ws == "7.000" && xs == "12.000";
            else if (std::string(sc) == "echo") exact = ws == "17.000";
            else exact = ws == "10.333"; // broadcast: 7 down, and each send's 10 up shared by its 3 receivers
            if (!exact)
                std::cerr << "attempt " << attempt + 1 << ": " << sc << " framing " << ws << " / " << xs << " B over "
                          << cell(r, 1, "messages_in_window") << " / " << cell(r, 2, "messages_in_window")
                          << " messages\n";
        }
        EXPECT_TRUE(exact) << sc << ": SockJS's framing differed from its frames' in three runs";
    }
}

// SockJS's heartbeat, a known answer per transport (--sockjs-heartbeat-ms
// 200: 300 a minute). The websocket transport's is a WebSocket ping (a
// 2-byte frame) and the client's pong (a masked 6-byte frame): 8 bytes, 2,400
// a minute; xhr_streaming's is the frame "h\n" in a chunk "2\r\nh\n\r\n": 7
// bytes, 2,100 a minute. An idle xhr poll is answered "h" and asked again:
// an HTTP exchange per heartbeat.
TEST(Cli, PeerSockjsHeartbeatsCostWhatTheServerSends) {
    auto r = run_csv("sockjs-idle", "--transport sockjs-ws,sockjs-xhr-streaming,sockjs-xhr-polling --scenario connect "
                                    "--sockjs-heartbeat-ms 200 --clients 2 --duration 3");
    ASSERT_EQ(r.size(), 4u);
    EXPECT_NEAR(num(r, 1, "idle_bytes_per_conn_per_min"), 2400, 240);
    EXPECT_NEAR(num(r, 2, "idle_bytes_per_conn_per_min"), 2100, 210);
    EXPECT_GT(num(r, 3, "idle_bytes_per_conn_per_min"), 300 * 200.0) << "an HTTP exchange per heartbeat";
    // xhr_streaming's answer starts with SockJS's 2,049-byte prelude.
    EXPECT_GT(num(r, 2, "handshake_bytes"), num(r, 1, "handshake_bytes") + 2049);
}

// An xhr_streaming answer ends after --sockjs-response-limit bytes and the
// client asks for the next in the same session: nothing lost, no
// reconnect, and each new answer's request, head and prelude show in the
// framing (4 KiB answers of ~300-byte frames: about 13 messages share one).
TEST(Cli, PeerSockjsStreamingRenewsItsAnswerWithoutLoss) {
    auto r = run_csv("sockjs-renew", "--transport sockjs-xhr-streaming --sockjs-response-limit 4096 --clients 3 "
                                     "--rate 50 --duration 1 --payload 256");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(cell(r, 1, "lost"), "0");
    EXPECT_EQ(cell(r, 1, "delivered"), cell(r, 1, "expected"));
    EXPECT_EQ(cell(r, 1, "reconnects"), "0");
    EXPECT_GT(num(r, 1, "framing_bytes_per_msg"), 12 + 2049 / 14.0);
}

// ---- every peer: the contract the harness relies on, with its own client ----

namespace {

using namespace rtb;
using namespace rtb::test;
using namespace std::chrono_literals;

// A peer's server process, as `run` starts it (control on, token private).
struct peer_rig {
    explicit peer_rig(const transport_descriptor& t) : srv(settings(), t, 8) {}
    static run_settings settings() {
        run_settings s;
        s.root = RTBENCH_SOURCE_DIR;
        return s;
    }
    // One message to `to`, published by the peer's publisher; returns once
    // it is out (the next publish would otherwise stop this one).
    void publish(const std::string& to) {
        srv.call("POST", "/control/publish?rate=1000&payload=8&count=1&to=" + to);
        for (int i = 0; i < 500; ++i) {
            if (json_int(srv.call("GET", "/stats"), "pub_running") == 0) return;
            std::this_thread::sleep_for(2ms);
        }
        FAIL() << "the peer's publisher did not finish one message within 1 s";
    }
    server_process srv;
};

class Peer : public ::testing::TestWithParam<const transport_descriptor*> {
protected:
    client_config config(std::uint16_t port, std::string id) {
        client_config c;
        c.port = port;
        c.id = std::move(id);
        c.reconnect_delay = 20ms;
        return c;
    }
    std::shared_ptr<client_session> start(io_thread& t, const client_config& c, collector& ev) {
        return start_client(t, *GetParam(), c, ev);
    }
};

std::string peer_name(const ::testing::TestParamInfo<const transport_descriptor*>& i) {
    std::string n(i.param->name);
    std::replace(n.begin(), n.end(), '-', '_');
    return n;
}

// Rooms (joined the peer's way: a query for node-ws, an acknowledged event
// for Socket.IO) reach exactly their members; "all" reaches everyone.
TEST_P(Peer, RoomDeliveryReachesExactlyTheRoom) {
    peer_rig rig(*GetParam());
    io_thread ct;
    collector red1, red2, blue;
    auto c1 = config(rig.srv.port(), "r1");
    c1.rooms = {"red"};
    auto c2 = config(rig.srv.port(), "r2");
    c2.rooms = {"red", "green"};
    auto c3 = config(rig.srv.port(), "b1");
    c3.rooms = {"blue"};
    std::vector<std::shared_ptr<client_session>> cs{start(ct, c1, red1), start(ct, c2, red2), start(ct, c3, blue)};
    for (auto* e : {&red1, &red2, &blue}) ASSERT_TRUE(e->wait_ready(1));
    rig.publish("room:red");   // 1
    rig.publish("room:blue");  // 2
    rig.publish("room:green"); // 3
    rig.publish("all");        // 4
    ASSERT_TRUE(red1.wait_messages(2));
    ASSERT_TRUE(red2.wait_messages(3));
    ASSERT_TRUE(blue.wait_messages(2));
    std::this_thread::sleep_for(60ms);
    EXPECT_EQ(red1.seqs(), (std::vector<std::uint64_t>{1, 4}));
    EXPECT_EQ(red2.seqs(), (std::vector<std::uint64_t>{1, 3, 4}));
    EXPECT_EQ(blue.seqs(), (std::vector<std::uint64_t>{2, 4}));
    close_all(ct, cs);
}

// Records sent up reach the client they name (echo), in order, and count
// as sent once the peer has them.
TEST_P(Peer, RecordsSentUpReachTheClientTheyName) {
    peer_rig rig(*GetParam());
    io_thread ct;
    collector a, b;
    std::vector<std::shared_ptr<client_session>> cs{start(ct, config(rig.srv.port(), "a"), a),
                                                    start(ct, config(rig.srv.port(), "b"), b)};
    ASSERT_TRUE(a.wait_ready(1));
    ASSERT_TRUE(b.wait_ready(1));
    on(ct.io, [&] {
        for (int i = 0; i < 3; ++i)
            cs[1]->send(std::make_shared<const std::string>(format_upstream("client:a", "t" + std::to_string(i),
                                                                            make_payload(40))));
        return 0;
    });
    ASSERT_TRUE(a.wait_messages(3));
    std::this_thread::sleep_for(60ms);
    EXPECT_EQ(a.seqs(), (std::vector<std::uint64_t>{1, 2, 3}));
    std::vector<std::string> tags;
    for (auto& r : a.records())
        if (auto m = parse_body(r)) tags.emplace_back(m->tag);
    EXPECT_EQ(tags, (std::vector<std::string>{"t0", "t1", "t2"}));
    EXPECT_TRUE(b.seqs().empty());
    for (int i = 0; i < 100 && on(ct.io, [&] { return cs[1]->sent(); }) < 3; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(on(ct.io, [&] { return cs[1]->sent(); }), 3u);
    close_all(ct, cs);
}

// The server drops the connection: the client reconnects by itself and
// receives what is published after (what went out meanwhile is the peer's
// business: node-ws replays it, Socket.IO has no replay).
TEST_P(Peer, ADroppedClientReconnectsAndReceivesAgain) {
    peer_rig rig(*GetParam());
    io_thread ct;
    collector ev;
    std::vector<std::shared_ptr<client_session>> cs{start(ct, config(rig.srv.port(), "a"), ev)};
    ASSERT_TRUE(ev.wait_ready(1));
    rig.publish("all");
    ASSERT_TRUE(ev.wait_messages(1));
    EXPECT_EQ(rig.srv.call("POST", "/control/drop?path=" + std::string(GetParam()->path)), "1\n");
    ASSERT_TRUE(ev.wait_ready(2)) << "no reconnect";
    rig.publish("all");
    ASSERT_TRUE(ev.wait_messages(2));
    EXPECT_EQ(ev.seqs().back(), 2u);
    close_all(ct, cs);
}

INSTANTIATE_TEST_SUITE_P(All, Peer, ::testing::ValuesIn(all_peers().begin(), all_peers().end()), peer_name);

// SockJS refuses what rtbench's server refuses, its own way: a bad id or
// rooms, or a record that is not "to tag payload", closes the session with a
// c[...] frame that says why (3001, 3002), counted as bad_requests; an
// xhr_send to no session is SockJS's own 404. Raw xhr polls, so the frames
// are seen as they are.
TEST(PeerSockjs, BadInputClosesTheSessionAndIsCounted) {
    auto* t = find_transport("sockjs-xhr-polling");
    ASSERT_NE(t, nullptr);
    peer_rig rig(*t);
    auto post = [&](const std::string& target, const std::string& body) {
        return raw_exchange(rig.srv.port(), "POST /sockjs/000/" + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                            "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                                            "\r\nConnection: close\r\n\r\n" + body);
    };
    // The first poll opens the session ("o"); the server reads the id then.
    EXPECT_NE(post("badid000/xhr?id=no%20spaces", "").find("o\n"), std::string::npos);
    std::string why;
    for (int i = 0; i < 3 && why.find("c[") == std::string::npos; ++i) why = post("badid000/xhr?id=no%20spaces", "");
    EXPECT_NE(why.find("c[3001,\"bad id or rooms\"]"), std::string::npos) << why;

    EXPECT_NE(post("badrec00/xhr?id=ok", "").find("o\n"), std::string::npos);
    EXPECT_EQ(status_line(post("badrec00/xhr_send", "[\"not a record\"]")), "HTTP/1.1 204 No Content");
    why.clear();
    for (int i = 0; i < 3 && why.find("c[") == std::string::npos; ++i) why = post("badrec00/xhr?id=ok", "");
    EXPECT_NE(why.find("c[3002,\"bad record\"]"), std::string::npos) << why;

    EXPECT_EQ(status_line(post("nosuch00/xhr_send", "[\"all t x\"]")), "HTTP/1.1 404 Not Found");
    EXPECT_EQ(json_int(rig.srv.call("GET", "/stats"), "bad_requests"), 2);
}

} // namespace

// ---- the official clients as truth ------------------------------------------------

namespace {

// tests/official_client.js: the official client of a peer (ws's, or
// socket.io-client), subscribed through a byte-counting relay.
class official_client {
public:
    official_client(const std::string& kind, std::uint16_t port, int count) {
        std::string cmd = "node " + std::string(RTBENCH_SOURCE_DIR) + "/tests/official_client.js " + kind + " " +
                          std::to_string(port) + " " + std::to_string(count);
        f_ = ::popen(cmd.c_str(), "r");
    }
    ~official_client() {
        if (f_) ::pclose(f_);
    }
    // The next line it prints ("" at its end; it gives up by itself after 30 s).
    std::string line() {
        std::array<char, 65536> buf{};
        if (!f_ || !std::fgets(buf.data(), buf.size(), f_)) return "";
        std::string s = buf.data();
        if (!s.empty() && s.back() == '\n') s.pop_back();
        return s;
    }

private:
    FILE* f_ = nullptr;
};

// A string field of the script's flat JSON line (bodies have no quotes or
// backslashes: pattern payloads).
std::string json_text(const std::string& json, const std::string& key) {
    auto p = json.find("\"" + key + "\":\"");
    if (p == std::string::npos) return "<no " + key + ">";
    p += key.size() + 4;
    return json.substr(p, json.find('"', p) - p);
}

} // namespace

// The official client and rtbench's on the same peer at once, 200 messages
// published to all: both see the same messages in order, and over a
// WebSocket or a stream (SockJS's xhr_streaming) the same bytes for them,
// to 1 % (in fact to the byte: the same packets in the same frames; the one
// difference a client makes is the mask on what it sends, and nothing is
// sent here). Over polling the
// bytes depend on how the answers happened to batch, so only the messages
// are compared.
TEST_P(Peer, TheOfficialClientSeesTheSameMessagesAndBytes) {
    std::string kind = GetParam()->name == std::string_view("node-ws") ? "ws" : std::string(GetParam()->name);
    bool streams = kind.find("polling") == std::string::npos; // one frame per message, as it comes
    constexpr int n = 200;
    peer_rig rig(*GetParam());
    official_client theirs(kind, rig.srv.port(), n);
    ASSERT_EQ(theirs.line(), "ready");
    io_thread ct;
    collector ours;
    std::vector<std::shared_ptr<client_session>> cs{start(ct, config(rig.srv.port(), "ours"), ours)};
    ASSERT_TRUE(ours.wait_ready(1));
    // Its "!head" follows the connect at once; nothing else flows until the
    // publish, so the count from here is the messages' own.
    std::this_thread::sleep_for(200ms);
    auto mark = on(ct.io, [&] { return cs[0]->wire(); });
    rig.srv.call("POST", "/control/publish?rate=2000&payload=64&count=" + std::to_string(n));
    ASSERT_TRUE(ours.wait_messages(n));
    std::this_thread::sleep_for(50ms);
    auto w = on(ct.io, [&] { return cs[0]->wire(); });
    std::string result = theirs.line();
    ASSERT_NE(json_int(result, "messages"), std::nullopt) << result;
    EXPECT_EQ(*json_int(result, "messages"), n);
    EXPECT_NE(result.find("\"seqs_in_order\":true"), std::string::npos) << result;
    auto recs = ours.records();
    std::vector<std::string> bodies;
    for (auto& r : recs)
        if (parse_body(r)) bodies.push_back(r);
    ASSERT_EQ(bodies.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(json_text(result, "first"), bodies.front());
    EXPECT_EQ(json_text(result, "last"), bodies.back());
    if (streams) {
        double theirs_down = static_cast<double>(*json_int(result, "bytes_down"));
        double ours_down = static_cast<double>(w.down - mark.down);
        EXPECT_NEAR(ours_down, theirs_down, theirs_down * 0.01) << "rtbench's client " << ours_down << " B, official "
                                                               << theirs_down << " B for " << n << " messages";
        std::cerr << kind << ": " << n << " messages, rtbench's client " << ours_down << " B, the official one "
                  << theirs_down << " B\n";
    }
    close_all(ct, cs);
}

// The peers' port of harness/payload.cpp (peers/common/peer.js) makes the
// same bytes for every kind, size and key: a peer's messages pass the
// harness's byte-for-byte check only so. Sizes where a json payload is a
// bare string, an event cut short, and an event with a note; keys small and
// past 2^53 (due times are ns).
TEST(PeerPayload, TheNodePortMakesTheHarnesssBytes) {
    const std::vector<std::size_t> sizes = {0, 1, 2, 40, 150, 300, 1000, 4096};
    const std::vector<std::uint64_t> keys = {1, 123456789, 9'007'199'254'740'993ull, 18'446'744'073'709'551'557ull};
    std::string script = "const p=require('" + std::string(RTBENCH_SOURCE_DIR) + "/peers/common/peer.js');"
                         "for (const k of ['pattern','random','json']) for (const n of [0,1,2,40,150,300,1000,4096])"
                         " for (const key of [1n,123456789n,9007199254740993n,18446744073709551557n])"
                         " process.stdout.write(p.makePayload(k,n,key)+'\\n');";
    FILE* f = ::popen(("node -e \"" + script + "\"").c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::string out;
    std::array<char, 8192> buf{};
    while (std::fgets(buf.data(), buf.size(), f)) out += buf.data();
    EXPECT_EQ(::pclose(f), 0);
    std::size_t at = 0;
    for (auto k : {rtb::payload_kind::pattern, rtb::payload_kind::random, rtb::payload_kind::json})
        for (auto n : sizes)
            for (auto key : keys) {
                auto nl = out.find('\n', at);
                ASSERT_NE(nl, std::string::npos) << "node printed too few payloads";
                EXPECT_EQ(out.substr(at, nl - at), rtb::make_payload(k, n, key))
                    << rtb::payload_kind_name(k) << " " << n << " B, key " << key;
                at = nl + 1;
            }
    EXPECT_EQ(at, out.size());
}
