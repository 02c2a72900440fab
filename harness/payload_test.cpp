// Payload kinds: exact sizes, determinism per key, the characters every
// transport can carry, JSON that parses, and the checker.
#include "harness/payload.hpp"

#include <map>

#include <boost/json/src.hpp> // Boost.JSON compiled into this test only: the judge of "valid JSON"
#include <gtest/gtest.h>

#include "harness/message.hpp"

using namespace rtb;

namespace {
constexpr payload_kind kinds[] = {payload_kind::pattern, payload_kind::random, payload_kind::json};
constexpr std::size_t sizes[] = {0, 1, 2, 5, 16, 64, 100, 150, 1024, 4096};

bool printable_line(const std::string& s) {
    for (char c : s)
        if (c < ' ' || c > '~') return false;
    return true;
}
} // namespace

TEST(Payload, EveryKindIsExactlyItsSizeAndPrintableOnOneLine) {
    for (auto k : kinds)
        for (auto n : sizes)
            for (std::uint64_t key : {1ull, 42ull, 1'700'000'000'123'456'789ull}) {
                auto p = make_payload(k, n, key);
                EXPECT_EQ(p.size(), n) << payload_kind_name(k);
                EXPECT_TRUE(printable_line(p)) << payload_kind_name(k) << ": " << p;
            }
}

TEST(Payload, SameKeySameBytesOtherKeyOtherBytes) {
    for (auto k : {payload_kind::random, payload_kind::json}) {
        EXPECT_EQ(make_payload(k, 200, 7), make_payload(k, 200, 7));
        EXPECT_NE(make_payload(k, 200, 7), make_payload(k, 200, 8)) << payload_kind_name(k);
    }
    EXPECT_EQ(make_payload(payload_kind::pattern, 70, 1), make_payload(70)) << "pattern is today's payload";
}

TEST(Payload, RandomIsBase64urlWithEveryCharacterAboutEquallyOften) {
    auto p = make_payload(payload_kind::random, 64'000, 3);
    std::map<char, int> count;
    for (char c : p) {
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
        ++count[c];
    }
    ASSERT_EQ(count.size(), 64u);
    for (auto& [c, n] : count) EXPECT_NEAR(n, 1000, 150) << c; // 64,000 / 64, binomial sd ~31
}

TEST(Payload, JsonParsesAndLooksLikeAnEvent) {
    for (auto n : sizes)
        for (std::uint64_t key = 1; key < 50; ++key) {
            auto p = make_payload(payload_kind::json, n, key);
            if (n == 0) continue; // an empty payload is no JSON text at all
            boost::system::error_code ec;
            auto v = boost::json::parse(p, ec);
            ASSERT_FALSE(ec) << n << " bytes: " << p;
            if (n >= 150) {
                ASSERT_TRUE(v.is_object()) << p;
                auto& o = v.as_object();
                EXPECT_TRUE(o.contains("type") && o.contains("id") && o.contains("ts")) << p;
            }
        }
}

TEST(Payload, CheckerAcceptsExactlyWhatWasMade) {
    for (auto k : kinds) {
        payload_checker c(k, 100);
        auto p = make_payload(k, 100, 5);
        EXPECT_TRUE(c.ok(p, 5)) << payload_kind_name(k);
        EXPECT_TRUE(c.ok(p, 5)) << "again, from the cache";
        auto bad = p;
        bad[37] = bad[37] == 'x' ? 'y' : 'x';
        EXPECT_FALSE(c.ok(bad, 5)) << payload_kind_name(k);
        EXPECT_FALSE(c.ok(p.substr(1), 5)) << "short";
        if (k != payload_kind::pattern) {
            EXPECT_FALSE(c.ok(p, 6)) << "another message's payload";
        }
    }
}

TEST(Payload, KindsParseByName) {
    for (auto k : kinds) EXPECT_EQ(parse_payload_kind(payload_kind_name(k)), k);
    EXPECT_FALSE(parse_payload_kind("xml"));
}
