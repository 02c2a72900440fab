// External targets (`run --target`, README.md "External targets"): a server
// rtbench did not start — examples/ws_server.py on Debian's
// python3-websockets, the example the README gives — loaded with the echo
// and broadcast scenarios, and every way a target can be wrong. Whole runs:
// Cli.* (they share the timing lock).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "tests/cli_support.hpp"

extern char** environ;

using namespace rtb_test;

namespace {

// A server of someone else's on a free port of 127.0.0.1, stopped at the
// end of the test: examples/ws_server.py (it prints its port; with cert
// and key, wss), or any command that writes its port to `port_file`.
struct example_server {
    explicit example_server(const std::string& cert = {}, const std::string& key = {})
        : example_server(python_args(cert, key)) {}
    explicit example_server(std::vector<std::string> args, const std::string& port_file = {}) {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int fds[2];
        if (::pipe(fds) != 0) return;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        // With a port file, what the server prints goes nowhere (a pipe
        // no one reads would stop it at its first line).
        if (port_file.empty()) posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
        else posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid = -1;
        posix_spawn_file_actions_destroy(&fa);
        ::close(fds[1]);
        if (port_file.empty()) {
            FILE* out = ::fdopen(fds[0], "r");
            if (out && std::fscanf(out, "%u", &port) != 1) port = 0;
            if (out) std::fclose(out);
            return;
        }
        ::close(fds[0]);
        for (int i = 0; i < 500 && !port && pid > 0; ++i) {
            std::ifstream f(port_file);
            if (!(f >> port)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    static std::vector<std::string> python_args(const std::string& cert, const std::string& key,
                                                const char* script = "ws_server.py") {
        std::vector<std::string> args = {"/usr/bin/python3", std::string(RTBENCH_SOURCE_DIR) + "/examples/" + script, "0"};
        if (!cert.empty()) args.insert(args.end(), {cert, key});
        return args;
    }
    ~example_server() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            int st = 0;
            ::waitpid(pid, &st, 0);
        }
    }
    std::string url(const std::string& path, const std::string& scheme = "ws") const {
        return scheme + "://127.0.0.1:" + std::to_string(port) + path;
    }
    pid_t pid = -1;
    unsigned port = 0;
};

// A throw-away certificate for localhost and 127.0.0.1 in `dir`: {cert,
// key} paths, or empty ones when openssl failed.
std::pair<std::string, std::string> make_certificate(const fs::path& dir) {
    fs::create_directories(dir);
    std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    auto gen = run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
                           "/CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " + key +
                           " -out " + cert + " 2>&1");
    if (gen.code != 0) return {};
    return {cert, key};
}

// A broadcast row that carried exactly `n` messages: every one expected
// arrived, once, intact.
void expect_every_message(const std::vector<std::vector<std::string>>& r, std::size_t i, const std::string& n,
                          const std::string& what = "") {
    EXPECT_EQ(cell(r, i, "lost"), "0") << what;
    EXPECT_EQ(cell(r, i, "duplicated"), "0") << what;
    EXPECT_EQ(cell(r, i, "corrupt"), "0") << what;
    EXPECT_EQ(cell(r, i, "expected"), n) << what;
    EXPECT_EQ(cell(r, i, "delivered"), n) << what;
}

// The lines of a command's output that are not empty.
int lines(const std::string& out) {
    int n = 0;
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i] == '\n' && i > 0 && out[i - 1] != '\n') ++n;
    return n;
}

} // namespace

// Echo against a plain echo server: every message back, byte for byte (the
// envelope rides inside the message, so the server needs to know nothing
// of rtbench), RFC 6455's framing to the byte in one of three runs (a
// 2-byte header down, 6 up with the mask, bodies under 126 B), and the server's columns empty, not
// zero: rtbench did not start it and was not told its process.
TEST(Cli, TargetEchoServerOfYourOwnCarriesEveryMessageExactly) {
    example_server srv;
    ASSERT_GT(srv.port, 0u) << "examples/ws_server.py did not start (tools/setup installs python3-websockets)";
    bool exact = false;
    for (int attempt = 0; attempt < 3 && !exact; ++attempt) {
        auto r = run_csv("target-echo", "--target " + srv.url("/echo") + " --scenario echo --clients 3 --rate 50 "
                                                                          "--duration 0.6 --payload 64 --payload-kind pattern,json");
        ASSERT_EQ(r.size(), 3u);
        exact = true;
        for (std::size_t i = 1; i < r.size(); ++i) {
            std::string what = cell(r, i, "payload_kind");
            EXPECT_EQ(r[i][0], "websocket");
            EXPECT_EQ(cell(r, i, "target"), srv.url("/echo"));
            EXPECT_EQ(cell(r, i, "lost"), "0") << what;
            EXPECT_EQ(cell(r, i, "corrupt"), "0") << what;
            EXPECT_EQ(cell(r, i, "delivered"), cell(r, i, "expected")) << what;
            EXPECT_NEAR(num(r, i, "expected"), 90, 3) << what; // 3 clients x 50/s x 0.6 s
            for (const char* c : {"server_cpu_us_per_msg", "server_cpu_util", "server_rss_bytes",
                                  "server_rss_bytes_per_conn", "server_kernel_bytes_per_conn", "server_msgs_per_write",
                                  "slow_consumers", "bad_requests"})
                EXPECT_EQ(cell(r, i, c), "") << c << " of a server rtbench does not know";
            EXPECT_GT(num(r, i, "rx_latency_p50_us"), 0) << what;
            // Each message crosses twice, its body the same both ways: the
            // envelope is twice the body's fields.
            EXPECT_NEAR(num(r, i, "envelope_bytes_per_msg") * num(r, i, "messages_in_window") +
                            2 * num(r, i, "payload_bytes_in_window"),
                        num(r, i, "app_bytes_in_window"), 400) << what;
            std::string framing = cell(r, i, "framing_bytes_per_msg");
            if (framing != "8.000") std::cerr << "attempt " << attempt + 1 << ": " << what << " framing " << framing << "\n";
            exact = exact && framing == "8.000";
        }
    }
    EXPECT_TRUE(exact) << "framing differed from RFC 6455's 8 B in three runs (the edges: tests/peers_test.cpp)";
}

// Broadcast: 2 of 4 clients publish at 20/s each for 0.5 s; each client,
// the publishers too, gets all 20 sends: 4 x 20 = 80 messages. Framing per
// message received: its 2-byte header, plus each publisher's masked 6-byte
// header spread over the 4 copies of its message: 2 + 6/4 = 3.5 B.
TEST(Cli, TargetBroadcastReachesEveryClientFromEveryPublisher) {
    example_server srv;
    ASSERT_GT(srv.port, 0u);
    bool exact = false;
    for (int attempt = 0; attempt < 3 && !exact; ++attempt) {
        auto r = run_csv("target-bc", "--target " + srv.url("/broadcast") + " --scenario broadcast --clients 4 "
                                                                              "--publishers 2 --rate 20 --duration 0.5 --payload 32");
        ASSERT_EQ(r.size(), 2u);
        EXPECT_EQ(cell(r, 1, "scenario"), "broadcast");
        expect_every_message(r, 1, "80");
        std::string framing = cell(r, 1, "framing_bytes_per_msg");
        if (framing != "3.500") std::cerr << "attempt " << attempt + 1 << ": framing " << framing << "\n";
        exact = framing == "3.500";
    }
    EXPECT_TRUE(exact) << "framing differed from 2 + 6/4 B in three runs (the edges: tests/peers_test.cpp)";
}

// An SSE server of someone else's (examples/sse_server.py, Python's
// standard library: close-delimited streams, keep-alive POSTs answered
// 204): 2 of 4 clients POST at 20/s each for 0.5 s, every stream gets all
// 20 messages: 80. Down, each message is "data: " and "\n\n" around the
// body and nothing else (no chunk framing on a stream that ends at
// close): 8 B per delivery at least, plus the publishers' POSTs shared by
// the copies. Then https://, the certificate checked.
TEST(Cli, TargetSseBroadcastReachesEveryClientFromEveryPublisher) {
    example_server srv(example_server::python_args({}, {}, "sse_server.py"));
    ASSERT_GT(srv.port, 0u) << "examples/sse_server.py did not start";
    auto r = run_csv("target-sse", "--target " + srv.url("/broadcast", "http") + " --target-pid " +
                                       std::to_string(srv.pid) + " --scenario broadcast --clients 4 --publishers 2 "
                                       "--rate 20 --duration 0.5 --payload 32,1000");
    ASSERT_EQ(r.size(), 3u);
    for (std::size_t i = 1; i < r.size(); ++i) {
        std::string what = cell(r, i, "payload_bytes");
        EXPECT_EQ(r[i][0], "sse") << what;
        EXPECT_EQ(cell(r, i, "target"), srv.url("/broadcast", "http")) << what;
        expect_every_message(r, i, "80", what);
        EXPECT_EQ(cell(r, i, "reconnects"), "0") << what;
        EXPECT_GE(num(r, i, "framing_bytes_per_msg"), 8.0) << what;
        EXPECT_LT(num(r, i, "framing_bytes_per_msg"), 8.0 + 2 * 400 / 4.0) << what << ": a POST and its 204 per 4 copies";
        EXPECT_GT(num(r, i, "server_cpu_us_per_msg"), 0) << what << ": --target-pid";
    }

    auto dir = temp_dir("target-https");
    auto [cert, key] = make_certificate(dir);
    ASSERT_FALSE(cert.empty()) << "openssl req failed";
    example_server tls(example_server::python_args(cert, key, "sse_server.py"));
    ASSERT_GT(tls.port, 0u);
    r = run_csv("target-sse-tls", "--target " + tls.url("/broadcast", "https") + " --target-ca " + cert +
                                      " --scenario broadcast --clients 2 --publishers 1 --rate 20 --duration 0.5");
    ASSERT_EQ(r.size(), 2u);
    expect_every_message(r, 1, "20", "https");
    EXPECT_EQ(cell(r, 1, "tls"), "external");
    EXPECT_EQ(cell(r, 1, "tls_negotiated"), "1.3");
    fs::remove_all(dir);
}

// Broadcast on rtbench's own server, every transport: an upstream record to
// "all" reaches every client, the sender too.
TEST(Cli, BroadcastRunsOnEveryTransport) {
    auto r = run_csv("bc-all", "--transport all --scenario broadcast --clients 3 --publishers 2 --rate 20 "
                               "--duration 0.5 --poll-interval-ms 50");
    ASSERT_GT(r.size(), 5u);
    for (std::size_t i = 1; i < r.size(); ++i) {
        EXPECT_EQ(cell(r, i, "lost"), "0") << r[i][0];
        EXPECT_EQ(cell(r, i, "corrupt"), "0") << r[i][0];
        EXPECT_EQ(cell(r, i, "expected"), "60") << r[i][0]; // 3 clients x 2 publishers x 10
        EXPECT_EQ(cell(r, i, "delivered"), "60") << r[i][0];
        EXPECT_EQ(cell(r, i, "target"), "") << r[i][0];
        EXPECT_GT(num(r, i, "server_cpu_us_per_msg"), 0) << r[i][0];
    }
}

// --target-pid: the target's process is measured as rtbench's own server
// is: CPU per message and its memory.
TEST(Cli, TargetPidMeasuresTheServersProcess) {
    example_server srv;
    ASSERT_GT(srv.port, 0u);
    auto r = run_csv("target-pid", "--target " + srv.url("/echo") + " --target-pid " + std::to_string(srv.pid) +
                                       " --scenario echo --clients 2 --rate 50 --duration 0.5");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_GT(num(r, 1, "server_cpu_us_per_msg"), 1) << "a Python server spends more than 1 us a message";
    EXPECT_GT(num(r, 1, "server_rss_bytes"), 5e6) << "a Python process holds more than 5 MB";
    EXPECT_EQ(cell(r, 1, "bad_requests"), "") << "the target's own counts are never known";
}

// wss: the target's certificate checked against --target-ca, for the URL's
// address; without the CA, the run says the certificate failed.
TEST(Cli, TargetOverTlsChecksTheCertificate) {
    auto dir = temp_dir("target-tls");
    auto [cert, key] = make_certificate(dir);
    ASSERT_FALSE(cert.empty()) << "openssl req failed";
    example_server srv(cert, key);
    ASSERT_GT(srv.port, 0u);
    auto r = run_csv("target-wss", "--target " + srv.url("/echo", "wss") + " --target-ca " + cert +
                                       " --scenario echo --clients 2 --rate 50 --duration 0.5");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(cell(r, 1, "lost"), "0");
    EXPECT_EQ(cell(r, 1, "delivered"), cell(r, 1, "expected"));
    EXPECT_EQ(cell(r, 1, "tls"), "external");
    EXPECT_EQ(cell(r, 1, "tls_negotiated"), "1.3");
    EXPECT_GE(num(r, 1, "tls_bytes_per_msg"), 2 * 22.0) << "a TLS 1.3 record each way";
    auto o = rtbench("run --no-plot --target " + srv.url("/echo", "wss") + " --scenario echo --clients 1 --duration 0.3 "
                     "--ready-timeout 5 --out " + (dir / "untrusted").string());
    EXPECT_EQ(o.code, 1) << o.out;
    EXPECT_NE(o.out.find("certificate verify failed"), std::string::npos) << o.out;
    fs::remove_all(dir);
}

// Each way a target can be wrong: one line naming it, the right exit code,
// nothing hangs, and no traffic leaves loopback.
TEST(Cli, TargetMistakesAreOneLineEach) {
    struct mistake {
        std::string args, says;
        int code;
    };
    // A port nothing listens on: bound here, never listened on, held for
    // the test (no other process can take it meanwhile).
    int held = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(held, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    socklen_t len = sizeof sa;
    ::getsockname(held, reinterpret_cast<sockaddr*>(&sa), &len);
    unsigned closed = ntohs(sa.sin_port);
    std::string run = "run --no-plot --duration 0.3 --out " + temp_dir("target-mistakes").string() + " ";
    for (auto& m : std::vector<mistake>{
             {"--target ws://127.0.0.1:" + std::to_string(closed) + "/echo --scenario echo",
              "nothing listens on 127.0.0.1:" + std::to_string(closed) + " (connection refused)", 1},
             {"--target ws://10.255.255.1/echo --scenario echo", "10.255.255.1 (10.255.255.1) is not a loopback address", 2},
             {"--target ftp://127.0.0.1/ --scenario echo", "do not speak ftp://", 2},
             {"--target 127.0.0.1:80 --scenario echo", "is not a URL", 2},
             {"--target ws://127.0.0.1:1/ --scenario push", "push needs rtbench's control endpoint", 2},
             {"--target ws://127.0.0.1:1/ --scenario echo --transport sse", "spoken by websocket, not --transport sse", 2},
             {"--target ws://127.0.0.1:1/ --scenario echo --tls", "the URL says TLS", 2},
             {"--target-pid 1 --scenario echo", "--target-pid goes with --target", 2},
             {"--publishers 2 --scenario echo", "--publishers goes with --scenario broadcast", 2},
             {"--target ws://127.0.0.1:1/ --scenario echo --history 5", "--history sets rtbench's own server", 2},
             {"--target ws://127.0.0.1:1/ --scenario echo --tls-resume", "--tls-resume goes with a wss:// or https:// URL", 2},
             {"--target http://127.0.0.1:1/ --scenario echo",
              "sse's client runs broadcast or connect against a server of your own, not echo", 2},
         }) {
        auto o = rtbench(run + m.args);
        EXPECT_EQ(o.code, m.code) << m.args << ": " << o.out;
        EXPECT_NE(o.out.find(m.says), std::string::npos) << m.args << ": " << o.out;
        EXPECT_EQ(lines(o.out), 1) << m.args << ": " << o.out;
    }
    ::close(held);
    // A path the server refuses (404 to the upgrade): one line with the
    // status, exit 1, before any point runs.
    example_server srv;
    ASSERT_GT(srv.port, 0u);
    auto dir = temp_dir("target-404");
    auto o = rtbench("run --no-plot --target " + srv.url("/nope") + " --scenario echo --clients 2 --duration 0.3 "
                     "--ready-timeout 5 --out " + dir.string());
    EXPECT_EQ(o.code, 1) << o.out;
    EXPECT_NE(o.out.find("the upgrade was refused: HTTP 404 Not Found"), std::string::npos) << o.out;
    EXPECT_EQ(lines(o.out), 1) << o.out;
    EXPECT_FALSE(fs::exists(dir)) << "nothing is written for a run that cannot start";
    fs::remove_all(dir);

    // http://: a path the SSE server refuses, and a 200 that is not an
    // event stream (rtbench's own live page, text/html), each named.
    example_server sse(example_server::python_args({}, {}, "sse_server.py"));
    ASSERT_GT(sse.port, 0u);
    auto port_file = temp_dir("target-page-port");
    example_server page({std::string(RTBENCH_BIN_PATH), "serve", "--port", "0", "--port-file", port_file.string(),
                         "--duration", "60"},
                        port_file.string());
    ASSERT_GT(page.port, 0u);
    for (auto& [url, says] : std::vector<std::pair<std::string, std::string>>{
             {sse.url("/nope", "http"), "the stream was refused: HTTP 404 Not Found"},
             {page.url("/", "http"), "not an event stream: the answer's Content-Type is 'text/html"}}) {
        o = rtbench("run --no-plot --target " + url + " --scenario broadcast --clients 2 --duration 0.3 "
                    "--ready-timeout 5 --out " + dir.string());
        EXPECT_EQ(o.code, 1) << url << ": " << o.out;
        EXPECT_NE(o.out.find(says), std::string::npos) << url << ": " << o.out;
        EXPECT_EQ(lines(o.out), 1) << url << ": " << o.out;
        EXPECT_FALSE(fs::exists(dir)) << url;
    }
    fs::remove(port_file);
}

// The node-ws peer started by hand, as a user would start their own server,
// and loaded as a target at the contract's paths (peers/node-ws/server.js
// serves /echo and /broadcast beside rtbench's /ws): the same known answers
// as against the Python server, and its process measured (--target-pid).
TEST(Cli, TargetNodeWsPeerStartedByHandMeetsTheContract) {
    auto port_file = temp_dir("target-node-port");
    example_server srv({"node", std::string(RTBENCH_SOURCE_DIR) + "/peers/node-ws/server.js", "--port", "0",
                        "--port-file", port_file.string()},
                       port_file.string());
    ASSERT_GT(srv.port, 0u) << "node peers/node-ws/server.js did not start (tools/setup installs nodejs and the peers)";
    bool exact = false;
    for (int attempt = 0; attempt < 3 && !exact; ++attempt) {
        auto r = run_csv("target-node", "--target " + srv.url("/echo") + " --target-pid " + std::to_string(srv.pid) +
                                            " --scenario echo --clients 3 --rate 50 --duration 0.6 --payload 64");
        ASSERT_EQ(r.size(), 2u);
        EXPECT_EQ(cell(r, 1, "lost"), "0");
        EXPECT_EQ(cell(r, 1, "corrupt"), "0");
        EXPECT_EQ(cell(r, 1, "delivered"), cell(r, 1, "expected"));
        EXPECT_GT(num(r, 1, "server_cpu_us_per_msg"), 0);
        EXPECT_GT(num(r, 1, "server_rss_bytes"), 10e6) << "a Node process holds more than 10 MB";
        exact = cell(r, 1, "framing_bytes_per_msg") == "8.000";
        if (!exact) std::cerr << "attempt " << attempt + 1 << ": framing " << cell(r, 1, "framing_bytes_per_msg") << "\n";
    }
    EXPECT_TRUE(exact);
    auto r = run_csv("target-node-bc", "--target " + srv.url("/broadcast") + " --scenario broadcast --clients 4 "
                                                                               "--publishers 2 --rate 20 --duration 0.5");
    ASSERT_EQ(r.size(), 2u);
    expect_every_message(r, 1, "80", "node-ws broadcast");
    EXPECT_EQ(cell(r, 1, "publishers"), "2");
    fs::remove(port_file);
}
