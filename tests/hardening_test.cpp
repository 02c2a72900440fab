// Issue 18's failures, each as a test that failed before the fix: resume
// far back (in transports_test.cpp, per transport), long polls and the
// connection limit, the control API's guards, publisher rate extremes, a
// history bounded in bytes, a malformed WebSocket key, slow headers.
#include <gtest/gtest.h>

#include <chrono>

#include "harness/clock.hpp"
#include "harness/control_client.hpp"
#include "tests/loopback.hpp"

using namespace rtb;
using namespace rtb::test;
using namespace std::chrono_literals;
using boost::asio::ip::tcp;

namespace {

std::string req(const std::string& method, const std::string& target, std::uint16_t port,
                const std::string& extra = {}) {
    return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nContent-Length: 0\r\nConnection: close\r\n" + extra + "\r\n";
}

std::int64_t stat(std::uint16_t port, const std::string& key) {
    auto r = raw_exchange(port, req("GET", "/stats", port));
    return json_int(r.substr(r.find("\r\n\r\n") + 4), key).value_or(-1);
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds t = 5s) {
    auto end = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

TEST(Hardening, HeldLongPollsCountOnceAndFreeTheirSlotOnClose) {
    server_options o;
    o.max_connections = 100;
    server_rig srv(o);
    boost::asio::io_context io;
    std::vector<std::unique_ptr<tcp::socket>> polls;
    for (int i = 0; i < 60; ++i) {
        auto& s = polls.emplace_back(std::make_unique<tcp::socket>(io));
        s->connect({boost::asio::ip::make_address("127.0.0.1"), srv.port});
        std::string r = "GET /lp?cursor=0 HTTP/1.1\r\nHost: x\r\n\r\n";
        boost::asio::write(*s, boost::asio::buffer(r));
    }
    // Every poll is held (each counts once: 60 < 100) and nothing is refused.
    EXPECT_TRUE(eventually([&] { return srv.stats().subscribers == 60; })) << srv.stats().subscribers;
    EXPECT_EQ(srv.stats().refused, 0u);
    // Ten clients go away: their holds end at once, not when they expire.
    for (int i = 0; i < 10; ++i) polls[i]->close();
    EXPECT_TRUE(eventually([&] { return srv.stats().subscribers == 50 && srv.stats().active == 50; }, 2s))
        << srv.stats().subscribers << " subscribers, " << srv.stats().active << " active";
}

struct Control : ::testing::Test {
    static server_options opt() {
        server_options o;
        o.control = true;
        o.control_token = "0123456789abcdef";
        return o;
    }
    server_rig srv{opt()};
    std::string token_header = "Rtb-Control-Token: 0123456789abcdef\r\n";
    std::string call(const std::string& method, const std::string& target, const std::string& headers) {
        return status_line(raw_exchange(srv.port, req(method, target, srv.port, headers)));
    }
};

TEST_F(Control, NeedsTheTokenTheHostAndNoForeignOrigin) {
    EXPECT_EQ(call("GET", "/control/stop", ""), "HTTP/1.1 403 Forbidden");
    EXPECT_EQ(call("POST", "/control/drop?path=/sse", "Rtb-Control-Token: wrong\r\n"), "HTTP/1.1 403 Forbidden");
    // DNS rebinding: the browser names the attacker's host.
    std::string rebound = "POST /control/stop HTTP/1.1\r\nHost: evil.example:" + std::to_string(srv.port) +
                          "\r\nContent-Length: 0\r\nConnection: close\r\n" + token_header + "\r\n";
    EXPECT_EQ(status_line(raw_exchange(srv.port, rebound)), "HTTP/1.1 403 Forbidden");
    // A cross-site request from a page in the user's browser.
    EXPECT_EQ(call("POST", "/control/stop", token_header + "Origin: http://evil.example\r\n"), "HTTP/1.1 403 Forbidden");
    EXPECT_EQ(call("POST", "/control/stop", token_header), "HTTP/1.1 200 OK");
    EXPECT_EQ(call("POST", "/control/stop",
                   token_header + "Origin: http://127.0.0.1:" + std::to_string(srv.port) + "\r\n"),
              "HTTP/1.1 200 OK");
    // The page served over TLS names itself https://.
    EXPECT_EQ(call("POST", "/control/stop",
                   token_header + "Origin: https://127.0.0.1:" + std::to_string(srv.port) + "\r\n"),
              "HTTP/1.1 200 OK");
    EXPECT_EQ(call("POST", "/control/stop", token_header + "Origin: https://evil.example\r\n"), "HTTP/1.1 403 Forbidden");
    // A control request changes state: POST only.
    EXPECT_EQ(call("GET", "/control/stop", token_header), "HTTP/1.1 405 Method Not Allowed");
}

TEST_F(Control, ThePageCarriesTheTokenOnlyForThisHost) {
    auto own = raw_exchange(srv.port, req("GET", "/", srv.port));
    EXPECT_NE(own.find("0123456789abcdef"), std::string::npos);
    auto rebound = raw_exchange(srv.port, "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_line(rebound), "HTTP/1.1 200 OK");
    EXPECT_EQ(rebound.find("0123456789abcdef"), std::string::npos);
}

TEST(Hardening, ControlIsOffUnlessAskedFor) {
    server_rig srv; // default options
    auto r = raw_exchange(srv.port, req("POST", "/control/stop", srv.port));
    EXPECT_EQ(status_line(r), "HTTP/1.1 404 Not Found");
}

TEST_F(Control, PublisherRatesOutsideItsRangeAreRefusedAndExtremesDoNotHang) {
    EXPECT_EQ(call("POST", "/control/publish?rate=10000000&payload=8", token_header), "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(call("POST", "/control/publish?rate=0&payload=8", token_header), "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(call("POST", "/control/publish?rate=nan&payload=8", token_header), "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(call("POST", "/control/publish?rate=5x&payload=8", token_header), "HTTP/1.1 400 Bad Request");
    // One message per 317 years: the schedule must not overflow and spin.
    EXPECT_EQ(call("POST", "/control/publish?rate=1e-10&payload=8", token_header), "HTTP/1.1 200 OK");
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_GE(stat(srv.port, "published"), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    // The top rate: the server keeps answering while it publishes.
    EXPECT_EQ(call("POST", "/control/publish?rate=1e6&payload=8", token_header), "HTTP/1.1 200 OK");
    std::this_thread::sleep_for(300ms);
    t0 = std::chrono::steady_clock::now();
    EXPECT_GT(stat(srv.port, "published"), 1000);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    EXPECT_EQ(call("POST", "/control/stop", token_header), "HTTP/1.1 200 OK");
}

// t0 (issue 15): server processes publish on one schedule when the harness
// hands each the first one's start; a time from another clock is refused.
TEST_F(Control, PublisherStartsAtTheGivenT0) {
    for (std::string bad : {std::string("abc"), std::string("0"), std::string("-5"), std::to_string(now_ns() - 60'000'000'000),
                            std::to_string(now_ns() + 60'000'000'000)})
        EXPECT_EQ(call("POST", "/control/publish?rate=100&payload=8&t0=" + bad, token_header),
                  "HTTP/1.1 400 Bad Request") << bad;
    std::int64_t t0 = now_ns() + 5'000'000'000;
    auto r = raw_exchange(srv.port, req("POST", "/control/publish?rate=100&payload=8&t0=" + std::to_string(t0), srv.port,
                                        token_header));
    ASSERT_EQ(status_line(r), "HTTP/1.1 200 OK");
    auto body = r.substr(r.find("\r\n\r\n") + 4);
    EXPECT_EQ(json_int(body, "pub_t0_ns"), t0);
    EXPECT_EQ(json_int(body, "pub_count"), 0); // nothing is due for 5 s
    EXPECT_EQ(call("POST", "/control/stop", token_header), "HTTP/1.1 200 OK");
}

TEST(Hardening, HistoryIsBoundedInBytesAndSendObeysIt) {
    server_options o;
    o.history_bytes = 1 << 20;
    server_rig srv(o);
    std::string payload = make_payload(60'000), record = "all t " + payload;
    for (int i = 0; i < 100; ++i) {
        std::string r = "POST /send HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                        std::to_string(record.size()) + "\r\n\r\n" + record;
        ASSERT_EQ(status_line(raw_exchange(srv.port, r)), "HTTP/1.1 204 No Content");
    }
    EXPECT_EQ(stat(srv.port, "head_seq"), 100);
    EXPECT_LE(stat(srv.port, "history_bytes"), 1 << 20);
    EXPECT_EQ(stat(srv.port, "history_messages"), (1 << 20) / static_cast<std::int64_t>(60'000 + 30)); // 17
}

TEST(Hardening, MalformedWebSocketKeyGets400) {
    server_rig srv;
    for (std::string key : {"not-base64!", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ===", ""}) {
        auto r = raw_exchange(srv.port, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n\r\n");
        EXPECT_EQ(status_line(r), "HTTP/1.1 400 Bad Request") << "key '" << key << "'";
    }
    auto ok = raw_exchange(srv.port, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                           "\x88\x82\x01\x02\x03\x04\x02\xea"); // masked Close 1000
    EXPECT_EQ(status_line(ok), "HTTP/1.1 101 Switching Protocols");
}

TEST(Hardening, SlowHeadersAreCutAtTheHeaderDeadline) {
    server_options o;
    o.idle_timeout = 20s;
    o.header_timeout = 300ms;
    server_rig srv(o);
    auto t0 = std::chrono::steady_clock::now();
    auto r = raw_exchange(srv.port, "GET /stats HTTP/1.1\r\nHost: x\r\n"); // never finished
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 5s) << "held until the idle timeout";
    // An idle keep-alive connection still gets the idle timeout, not the header one.
    boost::asio::io_context io;
    tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), srv.port});
    std::this_thread::sleep_for(600ms);
    std::string q = "GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(q));
    char buf[64];
    boost::system::error_code ec;
    auto n = s.read_some(boost::asio::buffer(buf), ec);
    EXPECT_EQ(std::string(buf, n).substr(0, 15), "HTTP/1.1 200 OK");
}

// The idle deadline is one shared list per loop, not a timer per
// connection: each answer moves a connection to the back of it, so a
// client that keeps asking is never cut, and one that stops is cut one
// idle timeout after its last answer.
TEST(Hardening, IdleKeepAliveIsCutOneIdleTimeoutAfterItsLastAnswer) {
    server_options o;
    o.idle_timeout = 300ms;
    server_rig srv(o);
    boost::asio::io_context io;
    tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), srv.port});
    std::string q = "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n";
    char buf[4096];
    boost::system::error_code ec;
    std::chrono::steady_clock::time_point last;
    for (int i = 0; i < 8; ++i) { // 8 × 100 ms: well past one idle timeout in all
        boost::asio::write(s, boost::asio::buffer(q));
        auto n = s.read_some(boost::asio::buffer(buf), ec);
        ASSERT_FALSE(ec) << "request " << i << ": " << ec.message();
        EXPECT_EQ(std::string(buf, n).substr(0, 15), "HTTP/1.1 200 OK") << "request " << i;
        last = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(100ms);
    }
    // Idle now: the server closes it (EOF), no sooner than 300 ms after
    // the last answer.
    s.read_some(boost::asio::buffer(buf), ec);
    auto idle = std::chrono::steady_clock::now() - last;
    EXPECT_EQ(ec, boost::asio::error::eof);
    EXPECT_GE(idle, 250ms);
    EXPECT_LT(idle, 5s);
}

TEST(Hardening, ReplayWithASmallQueueGoesLiveWithoutTrippingIt) {
    // --max-queue 10, resuming 200 back: the replay must neither overflow
    // the queue nor go live with a last batch still queued (review finding).
    for (auto* t : all_transports()) {
        server_options o;
        o.max_queue = 10;
        server_rig srv(o);
        io_thread ct;
        collector ev;
        client_config c;
        c.port = srv.port;
        c.reconnect_delay = 300ms;
        c.transport.set("poll-interval-ms", 20);
        auto s = on(ct.io, [&] {
            auto x = t->make_client(ct.io, c, ev);
            x->start();
            return x;
        });
        ASSERT_TRUE(ev.wait_ready(1)) << t->name;
        // A first message gives the client its position; then it drops, and
        // the server must have seen it go before 200 more are published (a
        // connection it still holds would fill up and count as slow).
        srv.publish("all", "t", 16);
        ASSERT_TRUE(ev.wait_messages(1)) << t->name;
        on(ct.io, [&] { s->drop(); });
        ASSERT_TRUE(eventually([&] {
            auto st = srv.stats();
            return st.active == 0 && st.subscribers == 0;
        })) << t->name;
        srv.publish_many("all", "t", 16, 200);
        ASSERT_TRUE(ev.wait_messages(201)) << t->name << ": " << ev.seqs().size();
        for (int i = 0; i < 5; ++i) srv.publish("all", "t", 16);
        ASSERT_TRUE(ev.wait_messages(206)) << t->name << ": " << ev.seqs().size();
        EXPECT_EQ(ev.seqs(), iota_seq(1, 206)) << t->name;
        EXPECT_EQ(srv.stats().slow_consumers, 0u) << t->name;
        on(ct.io, [&] { s->close(); });
    }
}

TEST(Hardening, PollAnswersAreBoundedAndResumeWhereTheyStopped) {
    server_rig srv;
    srv.publish_many("all", "t", 1000, 3000); // ~3 MB of bodies
    std::uint64_t cursor = 0, got = 0;
    int polls = 0;
    while (got < 3000 && polls < 10) {
        auto r = raw_exchange(srv.port, "GET /poll?cursor=" + std::to_string(cursor) +
                                            " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        auto body = r.substr(r.find("\r\n\r\n") + 4);
        EXPECT_LE(body.size(), (1u << 20) + 1100) << "answer " << polls;
        std::uint64_t n = static_cast<std::uint64_t>(std::count(body.begin(), body.end(), '\n'));
        auto at = r.find("Rtb-Cursor: ") + 12;
        cursor = std::stoull(r.substr(at, r.find("\r\n", at) - at));
        got += n;
        EXPECT_EQ(cursor, got); // the cursor is the last message given, nothing skipped
        ++polls;
    }
    EXPECT_EQ(got, 3000u);
    EXPECT_GE(polls, 3); // 3 MB in answers of at most 1 MiB
}

TEST(Hardening, HeldPollNoticesACloseAfterEarlyBytes) {
    server_rig srv;
    boost::asio::io_context io;
    tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), srv.port});
    std::string r = "GET /lp?cursor=0 HTTP/1.1\r\nHost: x\r\n\r\nGET /stats HTTP/1.1\r\n"; // + the next request, early
    boost::asio::write(s, boost::asio::buffer(r));
    EXPECT_TRUE(eventually([&] { return srv.stats().subscribers == 1; }));
    std::this_thread::sleep_for(100ms);
    s.close();
    EXPECT_TRUE(eventually([&] { return srv.stats().subscribers == 0 && srv.stats().active == 0; }, 2s))
        << srv.stats().subscribers << " held, " << srv.stats().active << " active";
}

} // namespace
