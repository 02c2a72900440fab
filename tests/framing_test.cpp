// Byte-exact framing: the bytes on the socket for one message equal the
// formula in each transport's README, and the kernel byte accounting the
// harness uses (client_session::wire) agrees with those formulas.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "tests/loopback.hpp"

using namespace rtb;
using namespace rtb::test;
using boost::asio::ip::tcp;

namespace {

std::size_t dec_digits(std::uint64_t v) { return std::to_string(v).size(); }
std::size_t hex_digits(std::uint64_t v) { return fmt::format("{:x}", v).size(); }

// The formulas of the READMEs, for a message body of L bytes with sequence s.
std::size_t streaming_bytes(std::size_t L) { return hex_digits(L + 1) + L + 5; }
std::size_t sse_bytes(std::size_t L, std::uint64_t s) {
    std::size_t e = L + dec_digits(s) + 13;
    return hex_digits(e) + e + 4;
}
std::size_t ws_server_frame(std::size_t L) { return L + (L < 126 ? 2 : L < 65536 ? 4 : 10); }
std::size_t ws_client_frame(std::size_t R) { return ws_server_frame(R) + 4; }
std::size_t poll_answer(std::size_t body, std::uint64_t cursor) {
    return 102 + dec_digits(body) + dec_digits(cursor) + body;
}
std::size_t get_request(std::size_t target, std::size_t host) { return 25 + target + host; }
std::size_t post_send(std::size_t R, std::size_t host) { return 49 + host + dec_digits(R) + R; }
constexpr std::size_t no_content_answer = 27;

// The body the server makes for message `seq`: we know all fields but the
// publish timestamp, whose digit count we read back from the bytes.
std::size_t body_len(const std::string& bytes_containing_body, std::uint64_t seq, std::string_view tag,
                     std::size_t n) {
    auto p = bytes_containing_body.find(std::to_string(seq) + " ");
    auto q = bytes_containing_body.find(' ', p + dec_digits(seq) + 1);
    std::size_t ts_digits = q - (p + dec_digits(seq) + 1);
    return dec_digits(seq) + 1 + ts_digits + 1 + tag.size() + 1 + n;
}

class Framing : public ::testing::TestWithParam<std::size_t> {};

TEST_P(Framing, PollingAnswerIsExact) {
    std::size_t n = GetParam();
    server_rig srv;
    srv.publish("all", "tag", n);
    raw r(srv.port);
    r.send("GET /poll?cursor=0 HTTP/1.1\r\nHost: x\r\n\r\n");
    auto head = r.read_head();
    auto cl = head.find("Content-Length: ");
    ASSERT_NE(cl, std::string::npos);
    auto body = r.read_exactly(std::stoul(head.substr(cl + 16)));
    auto L = body_len(body, 1, "tag", n);
    ASSERT_EQ(body.size(), L + 1);
    auto expect_head = fmt::format("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n"
                                   "Cache-Control: no-store\r\nRtb-Cursor: 1\r\n\r\n", L + 1);
    EXPECT_EQ(head, expect_head);
    EXPECT_EQ(head.size() + body.size(), poll_answer(L + 1, 1));
    EXPECT_EQ(body.back(), '\n');
    EXPECT_TRUE(payload_ok(parse_body(body.substr(0, L))->payload));
}

TEST_P(Framing, StreamingChunkIsExact) {
    std::size_t n = GetParam();
    server_rig srv;
    raw r(srv.port);
    r.send("GET /stream?since=0 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.read_head(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n");
    srv.publish("all", "tag", n);
    auto [line, rest] = r.read_chunk();
    auto chunk = line + rest;
    std::size_t L = rest.size() - 2 - 1; // data minus CRLF, minus the record's LF
    EXPECT_EQ(chunk.size(), streaming_bytes(L));
    EXPECT_EQ(rest.substr(rest.size() - 3), "\n\r\n");
    EXPECT_EQ(L, body_len(chunk, 1, "tag", n));
}

// Messages queued behind a write in flight go out together (one gather
// write, up to --max-gather) and each keeps its own bytes: 200 messages
// published in one task reach a subscriber as 200 exact chunks (or
// WebSocket frames), in order, in far fewer writes than messages; with
// --max-gather 1, a write each.
TEST(Framing, QueuedMessagesGoOutInOneWriteEachExact) {
    for (bool ws : {false, true}) {
        for (std::size_t gather : {64, 1}) {
            SCOPED_TRACE(ws ? "websocket" : "streaming");
            server_options o;
            o.max_gather = gather;
            server_rig srv(o);
            raw r(srv.port);
            r.send(ws ? "GET /ws?since=0 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
                      : "GET /stream?since=0 HTTP/1.1\r\nHost: x\r\n\r\n");
            r.read_head();
            // The head's own write done (counted) before the messages queue.
            auto before = srv.stats();
            for (int i = 0; i < 500 && before.frames_sent < 1; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                before = srv.stats();
            }
            ASSERT_EQ(before.frames_sent, 1u) << "the response head";
            srv.publish_many("all", "tag", 64, 200);
            for (std::uint64_t seq = 1; seq <= 200; ++seq) {
                std::string body;
                if (ws) {
                    auto f = r.read_ws_frame();
                    ASSERT_EQ(f.op, 1) << "message " << seq;
                    ASSERT_EQ(f.wire, ws_server_frame(f.payload.size())) << "message " << seq;
                    body = f.payload;
                } else {
                    auto [line, rest] = r.read_chunk();
                    ASSERT_EQ(line.size() + rest.size(), streaming_bytes(rest.size() - 3)) << "message " << seq;
                    body = rest.substr(0, rest.size() - 3);
                }
                ASSERT_EQ(body.size(), body_len(body, seq, "tag", 64)) << "message " << seq;
                ASSERT_EQ(body.substr(0, dec_digits(seq) + 1), std::to_string(seq) + " ") << "in order";
            }
            // The client may read the last bytes before the server has run
            // the write's completion.
            auto after = srv.stats();
            for (int i = 0; i < 500 && after.frames_sent - before.frames_sent < 200; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                after = srv.stats();
            }
            EXPECT_EQ(after.frames_sent - before.frames_sent, 200u);
            if (gather == 1) {
                EXPECT_EQ(after.writes - before.writes, 200u);
            } else {
                // The first message goes alone; the rest queue behind it and
                // go out at most 64 at a time: 1 + ceil(199 / 64) = 5 writes.
                EXPECT_EQ(after.writes - before.writes, 5u);
            }
        }
    }
}

TEST_P(Framing, SseEventIsExact) {
    std::size_t n = GetParam();
    server_rig srv;
    raw r(srv.port);
    r.send("GET /sse HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 0\r\n\r\n");
    EXPECT_EQ(r.read_head(), "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n");
    EXPECT_EQ(r.read_exactly(18), "d\r\nretry: 1000\n\n\r\n"); // 0xd = 13 bytes of data
    srv.publish("all", "tag", n);
    auto [line, rest] = r.read_chunk();
    std::size_t size = rest.size() - 2;
    EXPECT_EQ(rest.substr(0, 12), "id: 1\ndata: ");
    EXPECT_EQ(rest.substr(rest.size() - 4), "\n\n\r\n");
    std::size_t L = size - 13 - 1;
    EXPECT_EQ(L, body_len(rest, 1, "tag", n));
    EXPECT_EQ(line.size() + rest.size(), sse_bytes(L, 1));
}

TEST_P(Framing, WebSocketFrameIsExact) {
    std::size_t n = GetParam();
    server_rig srv;
    raw r(srv.port);
    r.send("GET /ws?since=0 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    EXPECT_EQ(r.read_head(), "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nServer: rtbench\r\n\r\n");
    srv.publish("all", "tag", n);
    auto h = r.read_exactly(2);
    EXPECT_EQ(static_cast<unsigned char>(h[0]), 0x81); // FIN + text
    std::size_t len = static_cast<unsigned char>(h[1]);
    ASSERT_EQ(len & 0x80, 0u) << "server frames are not masked";
    std::string ext;
    if (len == 126) {
        ext = r.read_exactly(2);
        len = (static_cast<unsigned char>(ext[0]) << 8) | static_cast<unsigned char>(ext[1]);
    } else if (len == 127) {
        ext = r.read_exactly(8);
        len = 0;
        for (char c : ext) len = (len << 8) | static_cast<unsigned char>(c);
    }
    auto body = r.read_exactly(len);
    EXPECT_EQ(h.size() + ext.size() + body.size(), ws_server_frame(len));
    EXPECT_EQ(len, body_len(body, 1, "tag", n));
}

INSTANTIATE_TEST_SUITE_P(Payloads, Framing, ::testing::Values(0, 16, 64, 100, 4096, 70000));

// The harness's byte counts (kernel TCP_INFO through client_session::wire)
// for one message on an established connection equal the formulas.
class Accounting : public ::testing::TestWithParam<std::string> {};

TEST_P(Accounting, OneMessageCostsTheFormula) {
    constexpr std::size_t n = 64;
    server_rig srv;
    io_thread ct;
    collector ev;
    client_config c;
    c.port = srv.port;
    auto* t = find_transport(GetParam());
    auto s = on(ct.io, [&] {
        auto x = t->make_client(ct.io, c, ev);
        x->start();
        return x;
    });
    ASSERT_TRUE(ev.wait_ready(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(30)); // the "!head" preamble has landed
    auto before = on(ct.io, [&] { return s->wire(); });
    srv.publish("all", "tag", n);
    ASSERT_TRUE(ev.wait_messages(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    auto d = on(ct.io, [&] { return s->wire(); }) - before;
    std::size_t L = ev.records()[0].size();
    std::size_t expect = GetParam() == "streaming" ? streaming_bytes(L)
                         : GetParam() == "sse"     ? sse_bytes(L, 1)
                                                   : ws_server_frame(L);
    EXPECT_EQ(d.down, expect);
    EXPECT_EQ(d.up, 0u);
    // Upstream: one record client -> server.
    auto rec = format_upstream("all", "u", make_payload(n));
    before = on(ct.io, [&] { return s->wire(); });
    on(ct.io, [&] { s->send(std::make_shared<const std::string>(rec)); });
    ASSERT_TRUE(ev.wait_messages(2)); // it comes back to us (to=all)
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    d = on(ct.io, [&] { return s->wire(); }) - before;
    std::size_t L2 = ev.records()[1].size();
    std::size_t host = std::string("127.0.0.1:" + std::to_string(srv.port)).size();
    if (GetParam() == "websocket") {
        EXPECT_EQ(d.up, ws_client_frame(rec.size()));
        EXPECT_EQ(d.down, ws_server_frame(L2));
    } else {
        // A new keep-alive connection for POST /send: its TCP handshake
        // carries no payload bytes, so only HTTP bytes are counted.
        EXPECT_EQ(d.up, post_send(rec.size(), host));
        EXPECT_EQ(d.down, no_content_answer + (GetParam() == "streaming" ? streaming_bytes(L2) : sse_bytes(L2, 2)));
    }
    on(ct.io, [&] { s->close(); });
}

INSTANTIATE_TEST_SUITE_P(Push, Accounting, ::testing::Values("streaming", "sse", "websocket"));

TEST(AccountingPoll, OnePollRoundTripCostsTheFormula) {
    // With a long poll interval nothing else crosses the wire in between.
    server_rig srv;
    io_thread ct;
    collector ev;
    client_config c;
    c.port = srv.port;
    c.transport.set("poll-interval-ms", 400);
    auto s = on(ct.io, [&] {
        auto x = find_transport("polling")->make_client(ct.io, c, ev);
        x->start();
        return x;
    });
    ASSERT_TRUE(ev.wait_ready(1));
    auto before = on(ct.io, [&] { return s->wire(); });
    srv.publish("all", "tag", 64);
    ASSERT_TRUE(ev.wait_messages(1));
    auto d = on(ct.io, [&] { return s->wire(); }) - before;
    std::size_t L = ev.records()[0].size();
    std::size_t host = std::string("127.0.0.1:" + std::to_string(srv.port)).size();
    EXPECT_EQ(d.up, get_request(std::string("/poll?cursor=0").size(), host));
    EXPECT_EQ(d.down, poll_answer(L + 1, 1));
    on(ct.io, [&] { s->close(); });
}

} // namespace

// The descriptors' frame_bytes (what the CLI framing test holds measured
// bytes to) equal the README formulas written out independently above, for
// every body size class and sequence width.
TEST(Framing, DescriptorFormulasEqualTheReadmes) {
    auto* streaming = find_transport("streaming");
    auto* sse = find_transport("sse");
    auto* ws = find_transport("websocket");
    ASSERT_TRUE(streaming && sse && ws && streaming->frame_bytes && sse->frame_bytes && ws->frame_bytes);
    for (std::size_t L : {0u, 1u, 14u, 15u, 124u, 125u, 126u, 254u, 255u, 4095u, 4096u, 65535u, 65536u, 70000u})
        for (std::uint64_t s : {1ull, 9ull, 10ull, 9999ull, 10000ull, 123456789ull}) {
            EXPECT_EQ(streaming->frame_bytes(L, s), streaming_bytes(L)) << L;
            EXPECT_EQ(sse->frame_bytes(L, s), sse_bytes(L, s)) << L << " " << s;
            EXPECT_EQ(ws->frame_bytes(L, s), ws_server_frame(L)) << L;
        }
}
