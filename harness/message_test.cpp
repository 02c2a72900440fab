#include "harness/message.hpp"

#include <gtest/gtest.h>

using namespace rtb;

TEST(Message, PayloadIsPrintableAndVerifiable) {
    auto p = make_payload(100);
    ASSERT_EQ(p.size(), 100u);
    EXPECT_EQ(p.substr(0, 8), "ABCDEFGH");
    EXPECT_EQ(p[64], 'A');
    for (char c : p) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    EXPECT_TRUE(payload_ok(p));
    p[50] = 'x';
    EXPECT_FALSE(payload_ok(p));
}

TEST(Message, BodyRoundTrip) {
    auto body = format_body(42, 123456789, "s99", make_payload(5));
    EXPECT_EQ(body, "42 123456789 s99 ABCDE");
    auto m = parse_body(body);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->seq, 42u);
    EXPECT_EQ(m->publish_ns, 123456789);
    EXPECT_EQ(m->tag, "s99");
    EXPECT_EQ(m->payload, "ABCDE");
}

TEST(Message, EmptyPayloadRoundTrip) {
    auto m = parse_body(format_body(1, 2, "t", ""));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, "");
}

TEST(Message, RejectsMalformedBodies) {
    for (const char* bad : {"", "x 1 t p", "0 1 t p", "1 x t p", "1 2", "-1 2 t p", "1 2  p"})
        EXPECT_FALSE(parse_body(bad)) << bad;
}

TEST(Message, Targets) {
    EXPECT_EQ(parse_target("all")->k, target::kind::all);
    EXPECT_EQ(parse_target("room:blue")->name, "blue");
    EXPECT_EQ(parse_target("client:c-1")->k, target::kind::client);
    EXPECT_FALSE(parse_target("room:"));
    EXPECT_FALSE(parse_target("room:a b"));
    EXPECT_FALSE(parse_target("group:x"));
    EXPECT_EQ(format_target(*parse_target("room:blue")), "room:blue");
}

TEST(Message, Upstream) {
    auto r = format_upstream("client:c1", "e1.2.3", "ABC");
    EXPECT_EQ(r, "client:c1 e1.2.3 ABC");
    auto u = parse_upstream(r);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->to, "client:c1");
    EXPECT_EQ(u->tag, "e1.2.3");
    EXPECT_EQ(u->payload, "ABC");
    EXPECT_FALSE(parse_upstream("all tag line\nbreak"));
    EXPECT_FALSE(parse_upstream("all"));
}

TEST(Message, Gap) {
    EXPECT_EQ(format_gap(5, 9), "!gap 5 9");
    auto g = parse_gap("!gap 5 9");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->first, 5u);
    EXPECT_EQ(g->last, 9u);
    EXPECT_FALSE(parse_gap("!gap 5"));
}
