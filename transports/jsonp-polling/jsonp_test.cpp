// jsonp-polling: the answer format byte for byte, the callback check, and
// the escaping of records.
#include <gtest/gtest.h>

#include "tests/loopback.hpp"
#include "transports/jsonp-polling/jsonp_codec.hpp"

using namespace rtb;
using namespace rtb::test;

namespace {

std::size_t digits(std::uint64_t v) { return std::to_string(v).size(); }

std::string get(std::uint16_t port, const std::string& target) {
    return raw_exchange(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

TEST(Jsonp, CallbackNamesOutsideTheSafeSetGet400) {
    server_rig srv;
    for (std::string bad : std::vector<std::string>{"", "a-b", "alert(1);cb", "%3C%2Fscript%3E", std::string(65, 'a'), "cb%20x"}) {
        EXPECT_EQ(status_line(get(srv.port, "/jsonp?callback=" + bad)), "HTTP/1.1 400 Bad Request") << bad;
    }
    EXPECT_EQ(status_line(get(srv.port, "/jsonp")), "HTTP/1.1 400 Bad Request");
    for (std::string ok : std::vector<std::string>{"cb", "$.x_1", std::string(64, 'Z')})
        EXPECT_EQ(status_line(get(srv.port, "/jsonp?callback=" + ok)), "HTTP/1.1 200 OK") << ok;
}

TEST(Jsonp, AnswerBytesEqualTheReadmeFormula) {
    server_rig srv;
    std::vector<std::size_t> L;
    for (int i = 0; i < 3; ++i) srv.publish("all", "s1234567890", 100);
    auto r = get(srv.port, "/jsonp?callback=cb&cursor=0");
    auto head_end = r.find("\r\n\r\n") + 4;
    std::string body = r.substr(head_end);
    auto a = jsonp::decode_answer("cb", body);
    ASSERT_TRUE(a);
    ASSERT_EQ(a->records.size(), 3u);
    EXPECT_EQ(a->cursor, 3u);
    std::size_t sum = 0;
    for (auto& rec : a->records) sum += rec.size() + 3; // no escapes in these records
    std::size_t B = 2 + 2 + digits(3) + sum + 3;
    EXPECT_EQ(body.size(), B);
    // README "Answer", plus "Connection: close\r\n" (19 bytes): this raw
    // client asked for it; the transport's own client keeps the connection.
    EXPECT_EQ(head_end, 100 + digits(B) + 19);
    EXPECT_NE(r.find("Content-Type: application/javascript\r\n"), std::string::npos);
    // A new client (no cursor) learns where "now" is and gets no record.
    auto fresh = get(srv.port, "/jsonp?callback=cb");
    EXPECT_EQ(fresh.substr(fresh.find("\r\n\r\n") + 4), "cb([3]);");
}

TEST(Jsonp, RecordsAreEscapedSoTheScriptCannotBeBrokenOutOf) {
    std::string nasty = "7 123 t\"\\</script><!-- x";
    std::string enc;
    jsonp::append_json_string(enc, nasty);
    EXPECT_EQ(enc, R"("7 123 t\"\\\u003c/script>\u003c!-- x")");
    EXPECT_EQ(enc.find("</"), std::string::npos);
    auto body = jsonp::encode_answer("cb", 9, {nasty, "!gap 1 2"});
    auto a = jsonp::decode_answer("cb", body);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->cursor, 9u);
    EXPECT_EQ(a->records, (std::vector<std::string>{nasty, "!gap 1 2"}));
    for (auto bad : {"cb([", "cb([1,\"x]);", "cb([1]", "xx([1]);", "cb([1,\"\\q\"]);", "cb([]);", "cb([1,2]);"})
        EXPECT_FALSE(jsonp::decode_answer("cb", bad)) << bad;
}

} // namespace
