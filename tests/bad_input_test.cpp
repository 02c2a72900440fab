// Bad input gets the right 4xx / close code, is counted, and every other
// client keeps being served.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "tests/loopback.hpp"

using namespace rtb;
using namespace rtb::test;
using namespace std::chrono_literals;
using boost::asio::ip::tcp;

namespace {

struct BadInput : ::testing::Test {
    server_options opt() {
        server_options o;
        o.max_header = 1024;
        o.max_message = 1000;
        return o;
    }
    server_rig srv{opt()};
    io_thread ct;
    collector bystander;
    std::shared_ptr<client_session> sse;

    void SetUp() override {
        client_config c;
        c.port = srv.port;
        sse = on(ct.io, [&] {
            auto s = find_transport("sse")->make_client(ct.io, c, bystander);
            s->start();
            return s;
        });
        ASSERT_TRUE(bystander.wait_ready(1));
    }
    void TearDown() override {
        // The bystander is still served after every bad request.
        auto n = bystander.seqs().size();
        srv.publish("all", "t", 8);
        EXPECT_TRUE(bystander.wait_messages(n + 1));
        EXPECT_EQ(bystander.ready(), 1) << "the bystander was disconnected";
        on(ct.io, [&] { sse->close(); });
    }
};

TEST_F(BadInput, MalformedRequestGets400AndClose) {
    auto r = raw_exchange(srv.port, "GARBAGE\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(srv.stats().bad_requests, 1u);
}

TEST_F(BadInput, OversizedHeaderGets431) {
    auto r = raw_exchange(srv.port, "GET /poll HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 431 Request Header Fields Too Large");
}

TEST_F(BadInput, OversizedBodyGets413) {
    std::string body(5000, 'a');
    auto r = raw_exchange(srv.port, "POST /send HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + body);
    EXPECT_EQ(status_line(r), "HTTP/1.1 413 Payload Too Large");
}

TEST_F(BadInput, UnknownPathGets404) {
    auto r = raw_exchange(srv.port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 404 Not Found");
}

TEST_F(BadInput, BadUpstreamRecordGets400) {
    auto r = raw_exchange(srv.port, "POST /send HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nnothing");
    EXPECT_EQ(status_line(r), "HTTP/1.1 400 Bad Request");
}

TEST_F(BadInput, BadCursorGets400) {
    auto r = raw_exchange(srv.port, "GET /poll?cursor=abc HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 400 Bad Request");
    r = raw_exchange(srv.port, "GET /sse HTTP/1.1\r\nHost: x\r\nLast-Event-ID: -4\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 400 Bad Request");
}

TEST_F(BadInput, PlainGetOnWebSocketPathGets426) {
    auto r = raw_exchange(srv.port, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 426 Upgrade Required");
    EXPECT_NE(r.find("Upgrade: websocket"), std::string::npos);
}

TEST_F(BadInput, BrokenUpgradeGets400) {
    // Upgrade headers present but no Sec-WebSocket-Key: Beast answers 400.
    auto r = raw_exchange(srv.port, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                    "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(status_line(r), "HTTP/1.1 400 Bad Request");
    EXPECT_EQ(srv.stats().bad_requests, 1u);
}

std::string masked_text_frame(std::size_t n) { return masked_frame(0x81, std::string(n, 'a')); }

// Close code of the first close frame (opcode 8) the server sent, or -1.
int close_code(const std::string& r) {
    auto p = r.find("\r\n\r\n");
    if (p == std::string::npos) return -1;
    for (p += 4; p + 4 <= r.size();) {
        auto op = static_cast<unsigned char>(r[p]) & 0x0f;
        std::size_t len = static_cast<unsigned char>(r[p + 1]) & 0x7f;
        if (op == 8) return (static_cast<unsigned char>(r[p + 2]) << 8) | static_cast<unsigned char>(r[p + 3]);
        p += 2 + len;
    }
    return -1;
}

TEST_F(BadInput, OversizedWebSocketMessageGetsClose1009) {
    auto r = raw_exchange(srv.port, ws_upgrade(), masked_text_frame(2000));
    EXPECT_EQ(status_line(r), "HTTP/1.1 101 Switching Protocols");
    EXPECT_EQ(close_code(r), 1009);
}

TEST_F(BadInput, BadWebSocketRecordGetsClose1008) {
    auto r = raw_exchange(srv.port, ws_upgrade(), masked_text_frame(10));
    EXPECT_EQ(close_code(r), 1008);
    EXPECT_EQ(srv.stats().bad_requests, 1u);
}

// The server's own RFC 6455 framing (ws_frames.cpp) closes with the code
// that says what was wrong (RFC 6455 7.4.1), counts it, and serves the
// bystander on.
TEST_F(BadInput, BrokenWebSocketFramesGetTheirCloseCodes) {
    std::string unmasked("\x81\x02hi", 4);
    struct bad {
        std::string frame;
        int code;
    };
    for (const auto& b : {bad{unmasked, 1002}, bad{masked_frame(0xc1, "x"), 1002}, bad{masked_frame(0x83, "x"), 1002},
                          bad{masked_frame(0x80, "x"), 1002}, bad{masked_frame(0x81, "\xc0\x80"), 1007},
                          bad{masked_frame(0x82, "binary"), 1003}}) {
        auto before = srv.stats().bad_requests;
        auto r = raw_exchange(srv.port, ws_upgrade(), b.frame);
        EXPECT_EQ(status_line(r), "HTTP/1.1 101 Switching Protocols");
        EXPECT_EQ(close_code(r), b.code);
        EXPECT_EQ(srv.stats().bad_requests, before + 1);
    }
}

TEST_F(BadInput, OtherWebSocketVersionGets426NamingThirteen) {
    auto r = raw_exchange(srv.port, ws_upgrade("/ws", "8"));
    EXPECT_EQ(status_line(r), "HTTP/1.1 426 Upgrade Required");
    EXPECT_NE(r.find("Sec-WebSocket-Version: 13"), std::string::npos);
    EXPECT_EQ(srv.stats().bad_requests, 1u);
}

} // namespace
