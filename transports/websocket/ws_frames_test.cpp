// RFC 6455 framing without sockets: the server's frames, the accept key,
// UTF-8 checks and the reader of client frames, each on a case whose bytes
// the RFC fixes.
#include "transports/websocket/ws_frames.hpp"
#include "tests/loopback.hpp"

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rtb::ws {
namespace {

using ev = frame_reader::event;
using test::masked_frame;

// Feeds `bytes` whole, one frame at a time: the events, in order.
std::vector<ev> read_all(frame_reader& r, std::string& bytes, std::vector<std::string>* data = nullptr) {
    std::vector<ev> out;
    std::size_t off = 0;
    for (;;) {
        ev e;
        std::size_t n = r.next(bytes.data() + off, bytes.size() - off, e);
        if (n == 0) break;
        off += n;
        out.push_back(e);
        if (data) data->emplace_back(e.data);
        if (e.what == ev::error) break;
    }
    return out;
}

// The one event `bytes` make; its data copied to a place that outlives
// them, valid until the next call.
ev one(std::string bytes, std::size_t max = 1000) {
    static std::string kept;
    frame_reader r(max);
    auto v = read_all(r, bytes);
    EXPECT_EQ(v.size(), 1u);
    if (v.empty()) return {};
    kept = std::string(v[0].data);
    v[0].data = kept;
    return v[0];
}

TEST(WsFrames, ServerFrameLengthTakesItsShortestForm) {
    EXPECT_EQ(server_frame(opcode::text, "hi"), std::string("\x81\x02hi", 4));
    for (std::size_t len : {0, 125, 126, 65535, 65536, 70000}) {
        auto f = server_frame(opcode::text, std::string(len, 'x'));
        std::size_t head = len < 126 ? 2 : len < 65536 ? 4 : 10;
        ASSERT_EQ(f.size(), head + len) << len;
        EXPECT_EQ(static_cast<unsigned char>(f[0]), 0x81);
        std::uint64_t got = static_cast<unsigned char>(f[1]);
        if (head > 2) {
            EXPECT_EQ(got, head == 4 ? 126u : 127u);
            got = 0;
            for (std::size_t i = 2; i < head; ++i) got = (got << 8) | static_cast<unsigned char>(f[i]);
        }
        EXPECT_EQ(got, len);
    }
    EXPECT_EQ(server_frame(opcode::close, close_payload(1009)), std::string("\x88\x02\x03\xf1", 4));
    EXPECT_EQ(server_frame(opcode::ping, ""), std::string("\x89\x00", 2));
}

TEST(WsFrames, AcceptKeyIsTheRfcsExample) {
    EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="); // RFC 6455 1.3
}

TEST(WsFrames, Utf8IsCheckedToRfc3629) {
    for (std::string ok : {"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf"})
        EXPECT_TRUE(valid_utf8(ok)) << ok;
    for (std::string bad : {"\x80", "\xc0\x80", "\xc3", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                            "\xf8\x88\x80\x80\x80", "\xe2\x82", "a\xc3(", "\xff"})
        EXPECT_FALSE(valid_utf8(bad)) << bad.size();
}

TEST(WsFrames, ReaderUnmasksAWholeTextFrame) {
    auto e = one(masked_frame(0x81, "hello"));
    EXPECT_EQ(e.what, ev::message);
    EXPECT_EQ(e.op, opcode::text);
    EXPECT_EQ(e.data, "hello");
    for (std::size_t len : {126u, 65536u}) { // the 16- and 64-bit length forms
        frame_reader r(100'000);
        auto f = masked_frame(0x81, std::string(len, 'y'));
        ev m;
        EXPECT_EQ(r.next(f.data(), f.size(), m), f.size());
        EXPECT_EQ(m.what, ev::message);
        EXPECT_EQ(m.data, std::string(len, 'y'));
    }
}

TEST(WsFrames, ReaderWaitsForTheWholeFrameAndTakesOneAtATime) {
    auto f = masked_frame(0x81, "abcdef") + masked_frame(0x81, "gh");
    frame_reader r(1000);
    for (std::size_t cut = 0; cut < 12; ++cut) { // 6 header + 6 payload: any prefix is too short
        std::string part = f.substr(0, cut);
        ev e;
        EXPECT_EQ(r.next(part.data(), part.size(), e), 0u) << cut;
        EXPECT_EQ(e.what, ev::need_more);
    }
    std::vector<std::string> data;
    auto v = read_all(r, f, &data);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(data[0], "abcdef");
    EXPECT_EQ(data[1], "gh");
}

TEST(WsFrames, FragmentsJoinAroundAControlFrame) {
    auto f = masked_frame(0x01, "ab") + masked_frame(0x89, "p") + masked_frame(0x00, "cd") + masked_frame(0x80, "ef");
    frame_reader r(1000);
    std::vector<std::string> data;
    auto v = read_all(r, f, &data);
    ASSERT_EQ(v.size(), 4u);
    EXPECT_EQ(v[0].what, ev::fragment);
    EXPECT_EQ(v[1].what, ev::ping);
    EXPECT_EQ(data[1], "p");
    EXPECT_EQ(v[2].what, ev::fragment);
    EXPECT_EQ(v[3].what, ev::message);
    EXPECT_EQ(v[3].op, opcode::text);
    EXPECT_EQ(data[3], "abcdef");
    // and the next message starts afresh
    auto g = masked_frame(0x82, "z");
    auto w = read_all(r, g, &data);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0].op, opcode::binary);
    EXPECT_EQ(data.back(), "z");
}

TEST(WsFrames, ProtocolErrorsAre1002) {
    std::string unmasked("\x81\x02hi", 4);
    for (const auto& bad : {unmasked,
                            masked_frame(0xc1, "x"),                       // RSV1 without an extension
                            masked_frame(0x83, "x"),                       // a reserved data opcode
                            masked_frame(0x8b, ""),                        // a reserved control opcode
                            masked_frame(0x80, "x"),                       // a continuation of nothing
                            masked_frame(0x09, "x"),                       // a fragmented ping
                            masked_frame(0x89, std::string(126, 'x')),     // a control frame over 125
                            masked_frame(0x81, "short", 126),              // 16-bit length below 126
                            masked_frame(0x81, std::string(200, 'x'), 127), // 64-bit length below 65,536
                            masked_frame(0x88, "x"),                       // a close code of one byte
                            masked_frame(0x88, std::string("\x03\xed", 2)), // 1005 may not be sent
                            masked_frame(0x88, std::string("\x03\xe7", 2))}) { // 999: not a code
        auto e = one(bad);
        EXPECT_EQ(e.what, ev::error);
        EXPECT_EQ(e.code, close_code::protocol);
    }
    auto inside = masked_frame(0x01, "a") + masked_frame(0x81, "b"); // a new message inside one
    frame_reader r(1000);
    auto v = read_all(r, inside);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[1].what, ev::error);
    EXPECT_EQ(v[1].code, close_code::protocol);
    std::string huge("\x81\xff\x80\x00\x00\x00\x00\x00\x00\x00", 10); // 64-bit length with its top bit set
    EXPECT_EQ(one(huge).code, close_code::protocol);
}

TEST(WsFrames, TooBigIsRefusedFromTheHeader) {
    auto f = masked_frame(0x81, std::string(101, 'x'));
    f.resize(6); // only the header has come: the payload need not be read
    auto e = one(f, 100);
    EXPECT_EQ(e.what, ev::error);
    EXPECT_EQ(e.code, close_code::too_big);
    EXPECT_EQ(one(masked_frame(0x81, std::string(100, 'x')), 100).what, ev::message); // the limit itself passes
    auto parts = masked_frame(0x01, std::string(60, 'x')) + masked_frame(0x80, std::string(41, 'x'));
    frame_reader r(100);
    auto v = read_all(r, parts);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[1].what, ev::error);
    EXPECT_EQ(v[1].code, close_code::too_big);
}

TEST(WsFrames, TextMustBeUtf8AndBinaryNeedNot) {
    auto e = one(masked_frame(0x81, "\xc0\x80"));
    EXPECT_EQ(e.what, ev::error);
    EXPECT_EQ(e.code, close_code::bad_payload);
    // a character split between two fragments is whole once they join
    auto split = masked_frame(0x01, "\xe2\x82") + masked_frame(0x80, "\xac");
    frame_reader r(1000);
    std::vector<std::string> data;
    auto v = read_all(r, split, &data);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[1].what, ev::message);
    EXPECT_EQ(data[1], "\xe2\x82\xac");
    auto b = one(masked_frame(0x82, "\xc0\x80"));
    EXPECT_EQ(b.what, ev::message);
    EXPECT_EQ(b.op, opcode::binary);
}

TEST(WsFrames, CloseCarriesItsCodeAndReason) {
    auto e = one(masked_frame(0x88, std::string("\x03\xe8" "bye", 5)));
    EXPECT_EQ(e.what, ev::close);
    EXPECT_EQ(e.code, 1000);
    EXPECT_EQ(e.data, "bye");
    auto empty = one(masked_frame(0x88, ""));
    EXPECT_EQ(empty.what, ev::close);
    EXPECT_EQ(empty.code, 0);
    auto bad_reason = one(masked_frame(0x88, std::string("\x03\xe8\xc0\x80", 4)));
    EXPECT_EQ(bad_reason.what, ev::error);
    EXPECT_EQ(bad_reason.code, close_code::bad_payload);
    EXPECT_EQ(one(masked_frame(0x8a, "pong")).what, ev::pong);
}

} // namespace
} // namespace rtb::ws
