// xhr-multipart: a part's bytes (README.md's formula) and the reader's rules.
#include <gtest/gtest.h>

#include "transports/xhr-multipart/multipart_codec.hpp"

using namespace rtb;

namespace {

TEST(Multipart, PartBytesEqualTheReadmeFormula) {
    EXPECT_EQ(multipart::opening(), "--rtb\r\n");
    auto p = multipart::encode_part("12 345 s678 abc");
    EXPECT_EQ(p, "Content-Type: text/plain\r\n\r\n12 345 s678 abc\r\n--rtb\r\n");
    EXPECT_EQ(p.size(), multipart::part_bytes(15));
    EXPECT_EQ(multipart::part_bytes(100), 137u);
}

// Lines as a line splitter hands them over (split at LF, CR kept).
std::vector<std::string> lines_of(const std::string& body) {
    std::vector<std::string> out;
    std::size_t at = 0;
    for (auto nl = body.find('\n'); nl != std::string::npos; at = nl + 1, nl = body.find('\n', at))
        out.push_back(body.substr(at, nl - at));
    return out;
}

TEST(Multipart, TheReaderHandsOverEachPartAtItsDelimiter) {
    multipart::part_reader r;
    std::vector<std::string> got;
    auto body = multipart::opening() + multipart::encode_part("1 2 s3 a") + multipart::encode_part("!head 7");
    auto lines = lines_of(body);
    ASSERT_EQ(lines.size(), 9u);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        ASSERT_TRUE(r.line(lines[i], [&](std::string_view rec) { got.emplace_back(rec); })) << i;
        // A part's header lines wait with it until its record is handed over.
        if (i == 1) EXPECT_EQ(r.pending(), 26u);
        if (i == 3) EXPECT_EQ(r.pending(), 0u);
    }
    EXPECT_EQ(got, (std::vector<std::string>{"1 2 s3 a", "!head 7"}));
}

TEST(Multipart, AnythingElseBreaksTheStream) {
    auto ignore = [](std::string_view) {};
    for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
             {"--rtb"},                        // no CR
             {"--rtx\r"},                      // another boundary
             {"--rtb--\r"},                    // the closing delimiter: this stream never ends
             {"--rtb\r", "no colon\r"},        // a header line without a field name
             {"--rtb\r", "\r", "x\r", "x\r"}}) // a second body line instead of the delimiter
    {
        multipart::part_reader r;
        bool ok = true;
        for (auto& l : bad) ok = ok && r.line(l, ignore);
        EXPECT_FALSE(ok) << bad.back();
    }
    multipart::part_reader r;
    ASSERT_TRUE(r.line("--rtb\r", ignore));
    bool ok = true;
    for (int i = 0; i < 17 && ok; ++i) ok = r.line("X-A: b\r", ignore);
    EXPECT_FALSE(ok) << "more than 16 header lines";
}

} // namespace
