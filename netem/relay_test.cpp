// The relay process on its own: a plain socket pair through `rtbench relay`,
// the bytes and their timing checked against the profile, and the relay's
// own lateness figure against a stall we cause (SIGSTOP) of known length.
#include "netem/relay_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "harness/clock.hpp"
#include "harness/control_client.hpp"

namespace rtb {
namespace {

constexpr std::int64_t ms = 1'000'000;

int listen_loopback(std::uint16_t& port) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(s, 4);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return s;
}

int connect_loopback(std::uint16_t port) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    EXPECT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return s;
}

// Reads exactly n bytes (or fails after 5 s); returns when the last arrived.
std::int64_t read_exactly(int s, std::string& out, std::size_t n) {
    std::int64_t end = now_ns() + 5'000 * ms;
    while (out.size() < n && now_ns() < end) {
        pollfd p{s, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        ssize_t k = ::read(s, buf, sizeof buf);
        if (k <= 0) break;
        out.append(buf, static_cast<std::size_t>(k));
    }
    return now_ns();
}

struct pair_through_relay {
    std::uint16_t server_port = 0;
    int listener = listen_loopback(server_port);
    relay_process relay;
    int client = -1, server = -1;
    explicit pair_through_relay(const std::string& spec)
        : relay(RTBENCH_BIN_PATH, parse_net(spec).at(0), server_port, "", 7) {
        client = connect_loopback(relay.port());
        server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    }
    ~pair_through_relay() {
        ::close(client);
        ::close(server);
        ::close(listener);
    }
};

TEST(Relay, DeliversEveryByteInOrderAfterTheOneWayDelay) {
    pair_through_relay p("rtt=40ms");
    ASSERT_GE(p.server, 0);
    std::string sent;
    for (int i = 0; i < 20'000; ++i) sent += static_cast<char>('a' + i % 26);
    std::int64_t t0 = now_ns();
    ASSERT_EQ(::write(p.server, sent.data(), sent.size()), static_cast<ssize_t>(sent.size()));
    std::string got;
    std::int64_t t1 = read_exactly(p.client, got, sent.size());
    EXPECT_EQ(got, sent);
    EXPECT_GE(t1 - t0, 20 * ms);  // down: RTT/2
    EXPECT_LT(t1 - t0, 60 * ms); // 20 ms, with slack for a busy machine
}

TEST(Relay, LatenessIsTheStallWeCaused) {
    // The server's byte is due 100 ms after the relay reads it. Once the
    // relay says it holds the byte, it is stopped (SIGSTOP) for 300 ms, so
    // the byte leaves about 200 ms late, and the relay's own figure must say
    // so. Every time is taken here, not assumed (the machine may be busy).
    pair_through_relay p("rtt=200ms");
    ASSERT_GE(p.server, 0);
    p.relay.command("open", false);
    std::int64_t written = now_ns();
    ASSERT_EQ(::write(p.server, "x", 1), 1);
    std::int64_t seen = 0; // the relay has read the byte by this time
    for (int i = 0; i < 1000 && !seen; ++i)
        if (json_int(p.relay.command("stats", true), "held_peak").value_or(0) >= 1) seen = now_ns();
    ASSERT_GT(seen, 0);
    ASSERT_LT(seen - written, 80 * ms) << "the relay read the byte too late for this test";
    ::kill(p.relay.pid(), SIGSTOP);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // Taken before SIGCONT, not after: on the other core the relay may
    // release the byte before kill() returns (seen in CI: 72 us earlier).
    std::int64_t resumed = now_ns();
    ::kill(p.relay.pid(), SIGCONT);
    std::string got;
    read_exactly(p.client, got, 1);
    EXPECT_EQ(got, "x");
    auto st = p.relay.command("stats", true);
    double late = static_cast<double>(json_int(st, "late_max_ns").value_or(-1));
    // Read in [written, seen], due 100 ms later, released after `resumed`.
    EXPECT_GE(late, static_cast<double>(resumed - seen - 100 * ms)) << st;
    EXPECT_LE(late, static_cast<double>(resumed - written - 100 * ms + 20 * ms)) << st;
    EXPECT_EQ(json_int(st, "accepted").value_or(-1), 1) << st;
}

TEST(Relay, ResetAbortsBothSides) {
    pair_through_relay p("reset=600/min"); // one a tenth of a second on average
    ASSERT_GE(p.server, 0);
    std::string got;
    read_exactly(p.client, got, 1); // ends at the reset: EOF or ECONNRESET
    char c;
    errno = 0;
    EXPECT_LT(::read(p.server, &c, 1), 0);
    EXPECT_EQ(errno, ECONNRESET);
    auto st = p.relay.command("stats", true);
    EXPECT_EQ(json_int(st, "resets").value_or(-1), 1) << st;
}

TEST(Relay, RefusesAServerThatIsNotLoopback) {
    FILE* f = ::popen((std::string(RTBENCH_BIN_PATH) + " relay --net rtt=1ms --to-host 192.0.2.1 --to-port 80 2>&1").c_str(), "r");
    char buf[512] = {};
    std::string out;
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    int st = ::pclose(f);
    EXPECT_EQ(WEXITSTATUS(st), 2) << out;
    EXPECT_NE(out.find("loopback"), std::string::npos) << out;
}

} // namespace
} // namespace rtb
