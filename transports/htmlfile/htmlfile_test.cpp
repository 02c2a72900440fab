// htmlfile: the document's bytes (README.md's formula), the callback check,
// and escaping that keeps a record from ending the script it is in.
#include <gtest/gtest.h>

#include "tests/loopback.hpp"
#include "transports/htmlfile/htmlfile_codec.hpp"

using namespace rtb;
using namespace rtb::test;

namespace {

std::string get(std::uint16_t port, const std::string& target) {
    return raw_exchange(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

// The callback is written into the page's script: jsonp-polling's rule.
TEST(Htmlfile, CallbackNamesOutsideTheSafeSetGet400) {
    server_rig srv;
    for (std::string bad :
         std::vector<std::string>{"", "a-b", "alert(1);cb", "%3C%2Fscript%3E", std::string(65, 'a'), "cb%20x"})
        EXPECT_EQ(status_line(get(srv.port, "/htmlfile?callback=" + bad)), "HTTP/1.1 400 Bad Request") << bad;
    EXPECT_EQ(status_line(get(srv.port, "/htmlfile")), "HTTP/1.1 400 Bad Request");
}

// README "Bytes": the preamble is padded to 1,024 bytes and its LF; a
// script is the record and 24 bytes.
TEST(Htmlfile, DocumentBytesEqualTheReadmeFormula) {
    auto pre = htmlfile::preamble("rtbHtmlfile");
    EXPECT_EQ(pre.size(), 1025u);
    std::string head = "<!doctype html><html><body><script>var p=parent.rtbHtmlfile;</script>";
    EXPECT_EQ(pre.substr(0, head.size()), head);
    EXPECT_EQ(pre.find_first_not_of(' ', head.size()), 1024u) << "spaces to 1,024 bytes, then the LF";
    EXPECT_EQ(pre.back(), '\n');
    EXPECT_TRUE(htmlfile::is_preamble(std::string_view(pre).substr(0, 1024)));
    std::string rec = "12 345 s678 abcdefgh";
    auto s = htmlfile::encode_script(rec);
    EXPECT_EQ(s, "<script>p(\"12 345 s678 abcdefgh\");</script>\n");
    EXPECT_EQ(s.size(), htmlfile::script_bytes(rec.size()));
    EXPECT_EQ(htmlfile::script_bytes(100), 124u);
}

TEST(Htmlfile, RecordsAreEscapedSoTheScriptCannotBeBrokenOutOf) {
    std::string nasty = "7 123 t\"\\</script><!-- x\x01";
    auto s = htmlfile::encode_script(nasty);
    EXPECT_EQ(s.find("</script>"), s.size() - 10) << s;
    EXPECT_EQ(s.find("<!--"), std::string::npos) << s;
    auto back = htmlfile::decode_script(std::string_view(s).substr(0, s.size() - 1));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, nasty);
    for (auto bad : {"", "<script>p(\"x\");</script>x", "<script>p(\"x);</script>", "<script>p(\"x\" );</script>",
                     "<script>q(\"x\");</script>", "<script>p(\"\\q\");</script>"})
        EXPECT_FALSE(htmlfile::decode_script(bad)) << bad;
    EXPECT_FALSE(htmlfile::is_preamble("<script>p(\"x\");</script>"));
}

} // namespace
