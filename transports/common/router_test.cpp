#include "transports/common/router.hpp"

#include <gtest/gtest.h>

using rtb::path_params;
using rtb::router;

TEST(Router, LiteralParameterAndRestRoutes) {
    router<int> r;
    r.add("/", 1);
    r.add("/sse", 2);
    r.add("/sockjs/info", 3);
    r.add("/sockjs/{server}/{session}/xhr_streaming", 4);
    r.add("/sockjs/{server}/{session}/websocket", 5);
    r.add("/static/{file*}", 6);
    path_params p;
    EXPECT_EQ(*r.match("/", p), 1);
    EXPECT_EQ(*r.match("/sse", p), 2);
    EXPECT_EQ(*r.match("/sockjs/info", p), 3); // the literal wins over {server}
    EXPECT_TRUE(p.empty());
    ASSERT_NE(r.match("/sockjs/000/abc/xhr_streaming", p), nullptr);
    EXPECT_EQ(*r.match("/sockjs/000/abc/websocket", p = {}), 5);
    EXPECT_EQ(p, (path_params{{"server", "000"}, {"session", "abc"}}));
    EXPECT_EQ(*r.match("/static/a/b.js", p = {}), 6);
    EXPECT_EQ(p, (path_params{{"file", "a/b.js"}}));
}

TEST(Router, NoMatchAndNoPartialMatch) {
    router<int> r;
    r.add("/sse", 1);
    r.add("/a/{id}/b", 2);
    path_params p;
    EXPECT_EQ(r.match("/ss", p), nullptr);
    EXPECT_EQ(r.match("/sse/", p), nullptr);
    EXPECT_EQ(r.match("/sse/x", p), nullptr);
    EXPECT_EQ(r.match("/a/b", p), nullptr);
    EXPECT_EQ(r.match("/a//b", p), nullptr); // a parameter is never empty
    EXPECT_EQ(r.match("", p), nullptr);
    EXPECT_EQ(r.match("sse", p), nullptr);
    EXPECT_TRUE(p.empty()); // parameters of failed branches are not left behind
}

TEST(Router, BacktracksFromALiteralDeadEnd) {
    router<int> r;
    r.add("/x/info/z", 1);
    r.add("/x/{id}/y", 2);
    path_params p;
    EXPECT_EQ(*r.match("/x/info/y", p), 2);
    EXPECT_EQ(p, (path_params{{"id", "info"}}));
}

TEST(Router, RejectsDuplicatesAndMalformedPatterns) {
    router<int> r;
    r.add("/a", 1);
    EXPECT_THROW(r.add("/a", 2), std::invalid_argument);
    EXPECT_THROW(r.add("a", 2), std::invalid_argument);
    EXPECT_THROW(r.add("/{rest*}/x", 2), std::invalid_argument);
    EXPECT_THROW(r.add("/{}", 2), std::invalid_argument);
    r.add("/p/{id}/a", 3);
    EXPECT_THROW(r.add("/p/{other}/b", 4), std::invalid_argument);
}
