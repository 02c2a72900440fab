// The assertion handler lets exactly one known-wrong Beast assertion through
// (see boost_assert.cpp) and aborts on every other, as BOOST_ASSERT does.
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/assert.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>

namespace http = boost::beast::http;

namespace {
// Feeds the pieces one read at a time, keeping what the parser left, the way
// Beast's read_some does; returns the body, or "error: ..." on a parse error.
std::string parse_in_pieces(std::initializer_list<std::string> pieces) {
    http::response_parser<http::string_body> p;
    std::string buf;
    for (const auto& piece : pieces) {
        buf += piece;
        boost::beast::error_code ec;
        while (!buf.empty() && !p.is_done()) {
            auto n = p.put(boost::asio::buffer(buf), ec);
            if (ec == http::error::need_more) break;
            if (ec) return "error: " + ec.message();
            buf.erase(0, n);
        }
    }
    return p.is_done() ? p.get().body() : "error: not done";
}
} // namespace

// Known answer: a valid chunked body whose final chunk TCP split right after
// "0\r\n" (then one byte at a time) parses to its data; Beast 1.81 aborted here.
TEST(BoostAssert, FinalChunkSplitAfterItsSizeLineParses) {
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
    EXPECT_EQ(parse_in_pieces({head + "0\r\n", "\r", "\n"}), "hello");
    EXPECT_EQ(parse_in_pieces({head + "0\r\n\r\n"}), "hello");
}

TEST(BoostAssertDeathTest, EveryOtherAssertionStillAborts) {
#ifdef NDEBUG
    GTEST_SKIP() << "BOOST_ASSERT is off where NDEBUG is defined";
#else
    int n = 4;
    EXPECT_DEATH(BOOST_ASSERT(n >= 5), "Assertion `n >= 5' failed");
    EXPECT_DEATH(BOOST_ASSERT_MSG(n == 1, "why"), "Assertion `n == 1' failed: why");
#endif
}
