// The WebSocket server's own framing over a socket: control frames,
// fragmented records, keep-alive pings and the close handshake, byte for
// byte (RFC 6455 5.4-5.5, 7.1).
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/message.hpp"
#include "tests/loopback.hpp"

using namespace rtb;
using namespace rtb::test;
using namespace std::chrono_literals;

namespace {

// How many keep-alive pings (empty, "\x89\x00") `bytes` holds.
std::size_t pings_in(const std::string& bytes) {
    std::size_t n = 0;
    for (auto p = bytes.find(std::string("\x89\x00", 2)); p != std::string::npos; p = bytes.find(std::string("\x89\x00", 2), p + 2)) ++n;
    return n;
}

TEST(WsServer, PingIsAnsweredAndCloseIsEchoed) {
    server_rig srv;
    raw r(srv.port);
    r.send(ws_upgrade());
    EXPECT_NE(r.read_head().find("101 Switching Protocols"), std::string::npos);
    auto head = r.read_ws_frame();
    EXPECT_EQ(head.op, 1);
    EXPECT_EQ(head.payload, "!head 0");
    r.send(masked_frame(0x89, "abc") + masked_frame(0x88, std::string("\x03\xe8" "bye", 5)));
    auto pong = r.read_ws_frame();
    EXPECT_EQ(pong.op, 10);
    EXPECT_EQ(pong.payload, "abc");
    auto close = r.read_ws_frame();
    EXPECT_EQ(close.op, 8);
    EXPECT_EQ(close.payload, std::string("\x03\xe8", 2)) << "the code echoed, without the reason";
    EXPECT_EQ(r.read_to_eof(), "");
    EXPECT_TRUE(r.eof) << "the server closes once it has answered the Close";
    EXPECT_EQ(srv.stats().bad_requests, 0u);
}

// A record split over three frames, a ping between two of them, is one
// upstream message, published once; the subscriber (to "all") gets it back.
TEST(WsServer, FragmentedRecordIsPublishedOnce) {
    server_rig srv;
    raw r(srv.port);
    r.send(ws_upgrade());
    r.read_head();
    r.read_ws_frame(); // !head
    auto rec = format_upstream("all", "frag", "hello-in-three-parts");
    r.send(masked_frame(0x01, rec.substr(0, 5)) + masked_frame(0x89, "") + masked_frame(0x00, rec.substr(5, 10)) +
           masked_frame(0x80, rec.substr(15)));
    auto pong = r.read_ws_frame();
    EXPECT_EQ(pong.op, 10);
    auto msg = r.read_ws_frame();
    EXPECT_EQ(msg.op, 1);
    EXPECT_NE(msg.payload.find("frag hello-in-three-parts"), std::string::npos) << msg.payload;
    auto st = srv.stats();
    EXPECT_EQ(st.upstream, 1u);
    EXPECT_EQ(st.published, 1u);
    EXPECT_EQ(st.bad_requests, 0u);
}

// --ws-ping-ms 200: a client that says nothing gets one ping after an
// interval of silence and is dropped after another; one that answers
// every ping stays.
TEST(WsServer, KeepAlivePingsDropOnlyTheSilent) {
    server_options o;
    o.transport.set("ws-ping-ms", 200);
    server_rig srv(o);
    raw silent(srv.port), answers(srv.port);
    for (auto* r : {&silent, &answers}) {
        r->send(ws_upgrade());
        r->read_head();
        r->read_ws_frame(); // !head
    }
    std::size_t pings = 0;
    for (int round = 0; round < 60; ++round) { // 1.5 s: 7.5 intervals; a ping answered within 25 ms
        auto got = answers.read_to_eof(25ms);
        ASSERT_FALSE(answers.eof) << "dropped while answering pings (round " << round << ")";
        for (std::size_t i = pings_in(got); i > 0; --i, ++pings) answers.send(masked_frame(0x8a, ""));
    }
    EXPECT_GE(pings, 3u);
    EXPECT_EQ(silent.read_to_eof(3s), std::string("\x89\x00", 2)) << "one ping, then the close";
    EXPECT_TRUE(silent.eof);
}

} // namespace
