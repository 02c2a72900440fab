#include "transports/sse/sse_parser.hpp"

#include <gtest/gtest.h>

#include <vector>

using rtb::sse_event;
using rtb::sse_parser;

namespace {
struct capture {
    struct ev {
        std::string type, data, id;
    };
    std::vector<ev> got;
    sse_parser p{[this](const sse_event& e) {
        got.push_back({std::string(e.type), std::string(e.data), std::string(e.last_event_id)});
    }};
};
} // namespace

TEST(SseParser, BasicEventWithId) {
    capture c;
    ASSERT_TRUE(c.p.feed("id: 7\ndata: hello\n\n"));
    ASSERT_EQ(c.got.size(), 1u);
    EXPECT_EQ(c.got[0].type, "message");
    EXPECT_EQ(c.got[0].data, "hello");
    EXPECT_EQ(c.got[0].id, "7");
}

TEST(SseParser, ByteByByteFeedAndAllLineEndings) {
    capture c;
    std::string s = "data: a\r\ndata: b\rdata:c\n\r\n";
    for (char ch : s) ASSERT_TRUE(c.p.feed(std::string_view(&ch, 1)));
    ASSERT_EQ(c.got.size(), 1u);
    EXPECT_EQ(c.got[0].data, "a\nb\nc"); // only one leading space is stripped; none here for c
}

TEST(SseParser, CommentsAndUnknownFieldsAreIgnored) {
    capture c;
    ASSERT_TRUE(c.p.feed(":\n\n: heartbeat\nfoo: bar\ndata: x\n\n"));
    ASSERT_EQ(c.got.size(), 1u);
    EXPECT_EQ(c.got[0].data, "x");
}

TEST(SseParser, IdOnlyEventSetsLastEventIdWithoutFiring) {
    capture c;
    ASSERT_TRUE(c.p.feed("retry: 1500\nid: 42\n\n"));
    EXPECT_TRUE(c.got.empty());
    EXPECT_EQ(c.p.last_event_id(), "42");
    EXPECT_EQ(c.p.retry_ms(), 1500u);
    // The id persists to later events that carry none.
    ASSERT_TRUE(c.p.feed("data: y\n\n"));
    EXPECT_EQ(c.got.at(0).id, "42");
}

TEST(SseParser, BadRetryIgnoredAndEventTypeKept) {
    capture c;
    ASSERT_TRUE(c.p.feed("retry: 12x\nevent: gap\ndata: !gap 1 2\n\n"));
    EXPECT_FALSE(c.p.retry_ms());
    ASSERT_EQ(c.got.size(), 1u);
    EXPECT_EQ(c.got[0].type, "gap");
}

TEST(SseParser, FieldWithoutColonAndEmptyData) {
    capture c;
    // "data" alone appends "" + LF: the buffer is "\n", not empty, so per
    // WHATWG 9.2.6 an event fires with data "" (its LF removed).
    ASSERT_TRUE(c.p.feed("data\n\n"));
    ASSERT_EQ(c.got.size(), 1u);
    EXPECT_EQ(c.got[0].data, "");
}

TEST(SseParser, LeadingBomSkipped) {
    capture c;
    ASSERT_TRUE(c.p.feed("\xEF\xBB\xBF" "data: z\n\n"));
    ASSERT_EQ(c.got.size(), 1u);
    EXPECT_EQ(c.got[0].data, "z");
}

TEST(SseParser, OverlongLineFails) {
    sse_parser p([](const sse_event&) {}, 16);
    EXPECT_FALSE(p.feed("data: " + std::string(100, 'a')));
}

TEST(SseParser, PendingCountsBytesOfTheIncompleteEvent) {
    capture c;
    ASSERT_TRUE(c.p.feed("id: 1\ndata: a\n\nid: 2\nda"));
    EXPECT_EQ(c.got.size(), 1u);
    EXPECT_EQ(c.p.pending(), 8u); // "id: 2\nda"
    ASSERT_TRUE(c.p.feed("ta: b\n"));
    EXPECT_EQ(c.p.pending(), 14u);
    ASSERT_TRUE(c.p.feed("\n"));
    EXPECT_EQ(c.p.pending(), 0u);
}

// Found by fuzz_sse: a BOM split across two reads was kept as data.
TEST(SseParser, BomSplitAcrossReadsIsStillSkipped) {
    for (std::size_t split = 0; split <= 3; ++split) {
        std::vector<std::string> got;
        std::string last_type;
        sse_parser p([&](const sse_event& e) { got.emplace_back(e.data); last_type = std::string(e.type); });
        std::string stream = "\xEF\xBB\xBF" "event: x\rdata: a\r\r";
        ASSERT_TRUE(p.feed(std::string_view(stream).substr(0, split)));
        ASSERT_TRUE(p.feed(std::string_view(stream).substr(split)));
        EXPECT_EQ(got, std::vector<std::string>{"a"}) << split;
        EXPECT_EQ(last_type, "x") << split; // "event" was not read as "\xEF...event"
    }
    // Bytes that start like a BOM but are not one are data.
    std::vector<std::string> got;
    sse_parser p([&](const sse_event& e) { got.emplace_back(e.data); });
    ASSERT_TRUE(p.feed("\xEF"));
    ASSERT_TRUE(p.feed("data: b\n\n"));
    EXPECT_TRUE(got.empty()); // the line is "\xEFdata: b": an unknown field, ignored
}
