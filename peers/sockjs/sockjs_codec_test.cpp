// SockJS frames: the shapes of the sockjs-protocol document (o, h, a[...],
// c[...], the xhr_streaming prelude) and the escapes the Node server adds.
#include <gtest/gtest.h>

#include <memory>

#include "peers/sockjs/sockjs_codec.hpp"

using namespace rtb::sockjs;

TEST(SockjsCodec, FrameKindsOfTheProtocolDocument) {
    EXPECT_EQ(kind_of("o"), frame_kind::open);
    EXPECT_EQ(kind_of("h"), frame_kind::heartbeat);
    EXPECT_EQ(kind_of(R"(a["message"])"), frame_kind::messages);
    EXPECT_EQ(kind_of(R"(c[3000,"Go away!"])"), frame_kind::close);
    for (const char* bad : {"", "x", "oo", "a", "a[", "a]", "c", "hh", "a[\"x\"]\n"})
        EXPECT_EQ(kind_of(bad), frame_kind::bad) << bad;
}

TEST(SockjsCodec, MessagesAreUnescapedOneByOne) {
    std::vector<std::string> m;
    ASSERT_TRUE(parse_messages(R"(a["7 123 s1 abc","!head 0"])", m));
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0], "7 123 s1 abc");
    EXPECT_EQ(m[1], "!head 0");
    // What sockjs-node's quote() adds to JSON.stringify: \u escapes of
    // U+2028 and friends, decoded back to UTF-8.
    ASSERT_TRUE(parse_messages(R"(a["q\"b\\s\u2028e\n"])", m));
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0], "q\"b\\s\xe2\x80\xa8" "e\n");
    for (const char* bad : {"a[]", R"(a["x",])", R"(a[,"x"])", R"(a["x" "y"])", R"(a["x")", R"(a[1])",
                            R"(a["x"],)", R"(c["x"])", R"(a["\ud800"])"})
        EXPECT_FALSE(parse_messages(bad, m)) << bad;
}

TEST(SockjsCodec, SendFramesAreJsonArraysOfStrings) {
    EXPECT_EQ(send_frame_of("all e1.2.3 abc"), R"(["all e1.2.3 abc"])");
    std::vector<std::shared_ptr<const std::string>> recs{std::make_shared<const std::string>("a\"b"),
                                                         std::make_shared<const std::string>("c")};
    EXPECT_EQ(send_frame(recs), R"(["a\"b","c"])");
    // What goes up comes back through the server's a[...] as it was.
    std::vector<std::string> m;
    auto up = send_frame(recs);
    ASSERT_TRUE(parse_messages("a" + up, m));
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0], "a\"b");
    EXPECT_EQ(m[1], "c");
}

TEST(SockjsCodec, PreludeAndSessionPaths) {
    EXPECT_TRUE(is_prelude(std::string(2048, 'h')));
    EXPECT_FALSE(is_prelude(std::string(2047, 'h')));
    EXPECT_FALSE(is_prelude("h")) << "a heartbeat is a frame, not the prelude";
    EXPECT_EQ(session_path("/sockjs", 7, "abcdefgh", "xhr_send"), "/sockjs/007/abcdefgh/xhr_send");
    auto id = random_session_id();
    EXPECT_EQ(id.size(), 8u);
    EXPECT_EQ(id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789"), std::string::npos);
    EXPECT_LT(random_server_id(), 1000u);
}
