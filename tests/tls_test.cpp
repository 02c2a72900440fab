// TLS known answers: record overhead per message as RFC 8446 and RFC 5288
// put it, the transports' framing unchanged under TLS, resumption across
// forced reconnects, a version mismatch reported in words, and a plain
// HTTP request to the TLS port refused while TLS clients go on.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "cli_support.hpp"
#include "harness/tls.hpp"
#include "loopback.hpp"

namespace {

using namespace rtb_test;

// A server accepting any version and clients offering only 1.2: the tls
// column says what the server accepted, tls_negotiated what was used.
TEST(Cli, TlsNegotiatedIsWhatTheHandshakesChose) {
    auto r = run_csv("tls-negotiated", "--transport sse --clients 2 --rate 20 --duration 1 --tls-version any "
                                       "--tls-client-version 1.2");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(cell(r, 1, "tls"), "any");
    EXPECT_EQ(cell(r, 1, "tls_negotiated"), "1.2");
    EXPECT_EQ(cell(r, 1, "lost"), "0");
}

// A stream message over TLS 1.3 costs 5 B of record header, 1 B of inner
// content type and a 16 B AEAD tag (RFC 8446 5.2): 22 B. Over TLS 1.2 with
// AES-GCM: 5 B header, 8 B explicit nonce, 16 B tag (RFC 5288 3): 29 B.
// The transports' own framing is the same as without TLS, to the byte.
// Those are per record: a write that coalesces queued messages is one
// record for all of them, so the column falls below them whenever the
// server gathers (it did on a loaded CI machine: 26.6 B at 1.2). The known
// answer is taken with one message per write, and the run shows it was.
TEST(Cli, TlsRecordOverheadIsWhatTheRfcsSayAndFramingIsUnchanged) {
    auto r = run_csv("tls-overhead", "--transport streaming,sse,websocket --clients 3 --rate 50 --duration 1.5 "
                                     "--tls-version off,1.3,1.2 --max-gather 1");
    ASSERT_EQ(r.size(), 10u);
    for (std::size_t i = 1; i <= 3; ++i) {
        auto name = cell(r, i, "transport");
        EXPECT_EQ(cell(r, i, "tls"), "none");
        EXPECT_EQ(cell(r, i, "tls_bytes_per_msg"), "") << "empty, not zero, without TLS";
        for (std::size_t j : {i + 3, i + 6}) {
            EXPECT_EQ(cell(r, j, "transport"), name);
            EXPECT_EQ(cell(r, j, "lost"), "0") << name;
            EXPECT_EQ(cell(r, j, "reordered"), "0") << name;
            EXPECT_GT(num(r, j, "delivered"), 0) << name;
            EXPECT_NEAR(num(r, j, "framing_bytes_per_msg"), num(r, i, "framing_bytes_per_msg"), 0.05) << name;
        }
        for (std::size_t j : {i, i + 3, i + 6}) EXPECT_EQ(cell(r, j, "server_msgs_per_write"), "1.000") << name;
        EXPECT_EQ(cell(r, i, "tls_negotiated"), "");
        EXPECT_EQ(cell(r, i + 3, "tls_negotiated"), "1.3");
        EXPECT_EQ(cell(r, i + 6, "tls_negotiated"), "1.2");
        EXPECT_EQ(cell(r, i + 3, "tls"), "1.3");
        EXPECT_NEAR(num(r, i + 3, "tls_bytes_per_msg"), 22.0, 0.05) << name;
        EXPECT_EQ(cell(r, i + 6, "tls"), "1.2");
        EXPECT_NEAR(num(r, i + 6, "tls_bytes_per_msg"), 29.0, 0.05) << name;
        // The handshake: a P-256 certificate of about 500 B and, in 1.3,
        // two session tickets; the client's ClientHello and Finished.
        for (std::size_t j : {i + 3, i + 6}) {
            double extra_down = num(r, j, "handshake_down_bytes") - num(r, i, "handshake_down_bytes");
            double extra_up = num(r, j, "handshake_up_bytes") - num(r, i, "handshake_up_bytes");
            EXPECT_GT(extra_down, 700) << name;
            EXPECT_LT(extra_down, 1800) << name;
            EXPECT_GT(extra_up, 250) << name;
            EXPECT_LT(extra_up, 600) << name;
            EXPECT_EQ(cell(r, j, "tls_handshakes"), "3") << name;
            EXPECT_GT(num(r, j, "tls_handshake_p50_us"), 0) << name;
        }
    }
}

// Every transport over TLS through connection resets: nothing lost or
// duplicated, and with --tls-resume the reconnects resume their session.
TEST(Cli, TlsEveryTransportResumesAcrossForcedReconnects) {
    auto r = run_csv("tls-resume", "--transport all --clients 4 --rate 20 --duration 2 --tls --tls-resume "
                                   "--net rtt=4ms,reset=60/min");
    ASSERT_EQ(r.size(), 1 + rtb::all_transports().size());
    for (std::size_t i = 1; i < r.size(); ++i) {
        auto name = cell(r, i, "transport");
        EXPECT_EQ(cell(r, i, "lost"), "0") << name;
        EXPECT_EQ(cell(r, i, "duplicated"), "0") << name;
        EXPECT_EQ(cell(r, i, "tls_resume"), "true") << name;
        // Reads through TLS, on every reconnected socket, carry the kernel's receive time.
        EXPECT_EQ(cell(r, i, "rx_unstamped"), "0") << name;
        double handshakes = num(r, i, "tls_handshakes"), resumed = num(r, i, "tls_resumed");
        EXPECT_GE(num(r, i, "relay_resets"), 1) << name;
        // Every handshake after a client's first is a resumption.
        EXPECT_GE(resumed, 1) << name;
        EXPECT_LE(resumed, handshakes - 4) << name;
    }
}

// Handshake time on a 100 ms path: the relay charges TCP's round trip to
// the client's first bytes (the ClientHello), so the TLS handshake column
// shows it plus TLS's own: 1 RTT for TLS 1.3, 2 for TLS 1.2 (RFC 8446 2,
// RFC 5246 7.3). TCP's own connect is to the relay on loopback.
TEST(Cli, TlsHandshakeIsOneRoundTripIn13AndTwoIn12) {
    // The round trips are a floor every run must respect; a stall of the
    // shared machine only adds time (seen once in ten: +110 ms), so the
    // ceilings need to hold in one of two runs.
    bool within = false;
    for (int attempt = 0; attempt < 2 && !within; ++attempt) {
        auto r = run_csv("tls-rtt", "--scenario connect --transport sse --clients 2 --duration 0.5 "
                                    "--tls-version 1.3,1.2 --net rtt=100ms");
        ASSERT_EQ(r.size(), 3u);
        EXPECT_EQ(cell(r, 1, "tls"), "1.3");
        EXPECT_GE(num(r, 1, "tls_handshake_p50_us"), 200'000);
        EXPECT_EQ(cell(r, 2, "tls"), "1.2");
        EXPECT_GE(num(r, 2, "tls_handshake_p50_us"), 300'000);
        for (std::size_t i : {1u, 2u}) EXPECT_LT(num(r, i, "tcp_connect_p50_us"), 20'000);
        within = num(r, 1, "tls_handshake_p50_us") <= 270'000 && num(r, 2, "tls_handshake_p50_us") <= 370'000;
        if (!within)
            std::cerr << "attempt " << attempt + 1 << ": handshake p50 " << cell(r, 1, "tls_handshake_p50_us") << " / "
                      << cell(r, 2, "tls_handshake_p50_us") << " us, above 2 / 3 RTT + 70 ms\n";
    }
    EXPECT_TRUE(within) << "TLS 1.3 took more than 2 round trips or TLS 1.2 more than 3, twice";
}

TEST(Cli, TlsVersionMismatchIsARowThatSaysWhy) {
    auto r = run_csv("tls-mismatch", "--transport websocket,sse --clients 2 --duration 0.5 --tls-version 1.3 "
                                     "--tls-client-version 1.2 --ready-timeout 30", 3);
    ASSERT_EQ(r.size(), 3u);
    for (std::size_t i : {1u, 2u}) {
        EXPECT_EQ(cell(r, i, "delivered"), "0");
        auto why = cell(r, i, "failure");
        EXPECT_NE(why.find("2 of 2 clients never connected"), std::string::npos) << why;
        EXPECT_NE(why.find("TLS handshake"), std::string::npos) << why;
        EXPECT_NE(why.find("protocol version"), std::string::npos) << why;
    }
}

TEST(Cli, TlsBadVersionIsOneLineAndExit2) {
    auto o = rtbench("run --transport sse --tls-version 1.1");
    EXPECT_EQ(o.code, 2) << o.out;
    EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
}

namespace asio = boost::asio;

// Reads from s until `done(text)` or an error, for at most 10 s: a test
// that waits for bytes must fail, not hang, when they never come. (A
// blocking read cannot be bounded with SO_RCVTIMEO: Asio polls again.)
template <class Stream, class Done>
boost::system::error_code read_until(asio::io_context& io, Stream& s, std::string& text, Done done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buf[512];
    boost::system::error_code ec;
    while (!ec && !done(text)) {
        bool finished = false;
        s.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, std::size_t n) {
            ec = e;
            text.append(buf, n);
            finished = true;
        });
        io.restart();
        io.run_until(deadline);
        if (!finished) {
            s.lowest_layer().cancel();
            io.restart();
            io.run();
            return asio::error::timed_out;
        }
    }
    return ec;
}

// A plain HTTP request to the TLS port gets a 400 that says what happened,
// and the TLS clients beside it keep receiving.
TEST(Tls, PlainHttpToTheTlsPortIs400AndOthersGoOn) {
    auto cert = rtb::make_self_signed("ecdsa-p256");
    rtb::server_options opt;
    opt.tls = rtb::make_server_tls(cert, rtb::tls_version::v1_3);
    rtb::test::server_rig rig(opt);

    asio::io_context io;
    auto tls = rtb::make_client_tls(cert, rtb::tls_version::any, false);
    asio::ssl::stream<asio::ip::tcp::socket> good(io, *tls->ctx);
    good.next_layer().connect({asio::ip::make_address("127.0.0.1"), rig.port});
    rtb::tls_prepare_client(good.native_handle(), *tls, nullptr);
    good.handshake(asio::ssl::stream_base::client);
    std::string req = "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    asio::write(good, asio::buffer(req));
    // The stream's header says the server has subscribed this client; only
    // then may the test publish. (It once hung here in CI: the server
    // served the plain client first, and a message published before the
    // subscription is not this client's.)
    std::string got;
    auto ec = read_until(io, good, got, [](const std::string& t) { return t.find("\r\n\r\n") != t.npos; });
    ASSERT_FALSE(ec) << "no stream header: " << ec.message() << "; got: " << got;
    EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;

    asio::ip::tcp::socket plain(io);
    plain.connect({asio::ip::make_address("127.0.0.1"), rig.port});
    asio::write(plain, asio::buffer(req));
    std::string answer;
    ec = read_until(io, plain, answer, [](const std::string&) { return false; });
    EXPECT_EQ(ec, asio::error::eof) << "the server closes the connection after its 400: " << ec.message();
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("plain HTTP request sent to the TLS port"), std::string::npos) << answer;

    rig.publish("all", "after", 16);
    ec = read_until(io, good, got, [](const std::string& t) { return t.find("after") != t.npos; });
    ASSERT_FALSE(ec) << ec.message();
    auto st = rig.stats();
    EXPECT_EQ(st.bad_requests, 1u);
    EXPECT_EQ(st.tls_handshakes, 1u);
}

} // namespace
