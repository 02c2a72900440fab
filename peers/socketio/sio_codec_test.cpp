// Engine.IO v4 / Socket.IO v5 packets: the examples of the protocols' own
// documents (engine.io-protocol, socket.io-protocol) and JSON's escapes.
#include <gtest/gtest.h>

#include "peers/socketio/sio_codec.hpp"

using namespace rtb::sio;

TEST(SioCodec, PacketsOfTheProtocolDocument) {
    auto p = parse_packet("0{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->type, type::connect);
    EXPECT_EQ(p->nsp, "/");
    EXPECT_FALSE(p->id);
    EXPECT_EQ(p->data, "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}");

    p = parse_packet("2/admin,456[\"project:delete\",123]");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->type, type::event);
    EXPECT_EQ(p->nsp, "/admin");
    ASSERT_TRUE(p->id);
    EXPECT_EQ(*p->id, 456u);
    EXPECT_EQ(p->data, "[\"project:delete\",123]");

    p = parse_packet("3/admin,456[]");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->type, type::ack);
    EXPECT_EQ(*p->id, 456u);
    EXPECT_EQ(p->data, "[]");

    p = parse_packet("4{\"message\":\"Not authorized\"}");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->type, type::connect_error);

    p = parse_packet("1/admin,");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->type, type::disconnect);
    EXPECT_EQ(p->nsp, "/admin");
    EXPECT_EQ(p->data, "");

    EXPECT_FALSE(parse_packet(""));
    EXPECT_FALSE(parse_packet("9[]"));
    EXPECT_FALSE(parse_packet("2" + std::string(25, '9') + "[]")) << "an ack id beyond 64 bits";
}

TEST(SioCodec, WhatTheClientSends) {
    EXPECT_EQ(connect_packet("/"), "40");
    EXPECT_EQ(connect_packet("/rtb"), "40/rtb,");
    EXPECT_EQ(event_packet("/", "up", "client:c0 e1.2.3 AB"), "42[\"up\",\"client:c0 e1.2.3 AB\"]");
    EXPECT_EQ(event_packet("/rtb", "join", "r1", 7), "42/rtb,7[\"join\",\"r1\"]");
}

TEST(SioCodec, EventArgumentIsUnescaped) {
    std::string out;
    ASSERT_TRUE(event_arg("[\"m\",\"12 345 s6 ABC\"]", "m", out));
    EXPECT_EQ(out, "12 345 s6 ABC");
    ASSERT_TRUE(event_arg(R"(["m","{\"type\":\"chat\",\"a\\\\b\"}"])", "m", out));
    EXPECT_EQ(out, R"({"type":"chat","a\\b"})");
    EXPECT_FALSE(event_arg("[\"other\",\"x\"]", "m", out));
    EXPECT_FALSE(event_arg("[\"m\",\"x\",\"y\"]", "m", out)) << "two arguments";
    EXPECT_FALSE(event_arg("[\"m\",12]", "m", out));
    EXPECT_FALSE(event_arg("[\"m\",\"x]", "m", out)) << "unterminated";
    EXPECT_FALSE(event_arg("[\"m\",\"a\nb\"]", "m", out)) << "a raw control character";
}

TEST(SioCodec, JsonStringsRoundTripEveryByteAndEscape) {
    std::string all;
    for (int c = 1; c < 128; ++c) all += static_cast<char>(c);
    std::string out;
    ASSERT_TRUE(json_unquote(json_quote(all), out));
    EXPECT_EQ(out, all);
    EXPECT_EQ(json_quote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
    ASSERT_TRUE(json_unquote(R"("\u00e9\/\ud83d\ude00")", out));
    EXPECT_EQ(out, "\xc3\xa9/\xf0\x9f\x98\x80") << "UTF-8 of U+00E9, '/', U+1F600";
    EXPECT_FALSE(json_unquote(R"("\ud83d")", out)) << "a lone high surrogate";
    EXPECT_FALSE(json_unquote(R"("\ude00")", out)) << "a lone low surrogate";
    EXPECT_FALSE(json_unquote(R"("\x")", out));
    EXPECT_FALSE(json_unquote(R"("abc" )", out)) << "text after the literal";
}

TEST(SioCodec, OpenPacket) {
    auto o = parse_open(R"({"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,)"
                        R"("pingTimeout":20000,"maxPayload":1000000})");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->sid, "lv_VI97HAXpY6yYWAAAC");
    EXPECT_TRUE(o->websocket_upgrade);
    EXPECT_EQ(o->ping_interval_ms, 25000);
    EXPECT_EQ(o->ping_timeout_ms, 20000);
    EXPECT_EQ(o->max_payload, 1000000);
    o = parse_open(R"({"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1})");
    ASSERT_TRUE(o);
    EXPECT_FALSE(o->websocket_upgrade);
    EXPECT_FALSE(parse_open(R"({"upgrades":[],"pingInterval":25000,"pingTimeout":20000})")) << "no sid";
    EXPECT_FALSE(parse_open(R"({"sid":"x","pingTimeout":20000})")) << "no pingInterval";
}
