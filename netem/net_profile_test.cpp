#include "netem/net_profile.hpp"

#include <gtest/gtest.h>

namespace rtb {
namespace {

TEST(NetProfile, NoneIsDirect) {
    auto v = parse_net("none");
    ASSERT_EQ(v.size(), 1u);
    EXPECT_FALSE(v[0].relay);
    EXPECT_EQ(v[0].name, "none");
}

TEST(NetProfile, KeysAndUnits) {
    auto v = parse_net("rtt=100ms,jitter=10ms,down=10mbit,up=2mbit,loss=1%,reset=2/min");
    ASSERT_EQ(v.size(), 1u);
    auto& p = v[0];
    EXPECT_TRUE(p.relay);
    EXPECT_DOUBLE_EQ(p.rtt_ms, 100);
    EXPECT_DOUBLE_EQ(p.jitter_ms, 10);
    EXPECT_DOUBLE_EQ(p.down_bps, 10e6);
    EXPECT_DOUBLE_EQ(p.up_bps, 2e6);
    EXPECT_DOUBLE_EQ(p.loss, 0.01);
    EXPECT_DOUBLE_EQ(p.resets_per_min, 2);
    EXPECT_EQ(p.name, "rtt=100ms jitter=10ms down=10mbit up=2mbit loss=1% reset=2/min");
    EXPECT_EQ(p.name.find(','), std::string::npos); // a CSV value
    EXPECT_DOUBLE_EQ(parse_net("rtt=0.5s")[0].rtt_ms, 500);
    EXPECT_DOUBLE_EQ(parse_net("rtt=250us")[0].rtt_ms, 0.25);
    EXPECT_DOUBLE_EQ(parse_net("reset=1/s")[0].resets_per_min, 60);
    EXPECT_DOUBLE_EQ(parse_net("down=512kbit")[0].down_bps, 512e3);
}

TEST(NetProfile, PresetsCarryPublishedFigures) {
    auto p = parse_net("4g")[0]; // WebPageTest 4G: 9 Mbps each way, 170 ms RTT
    EXPECT_EQ(p.name, "4g");
    EXPECT_DOUBLE_EQ(p.rtt_ms, 170);
    EXPECT_DOUBLE_EQ(p.down_bps, 9e6);
    EXPECT_DOUBLE_EQ(p.up_bps, 9e6);
    auto d = parse_net("DSL")[0]; // case-insensitive
    EXPECT_DOUBLE_EQ(d.down_bps, 1.5e6);
    EXPECT_DOUBLE_EQ(d.up_bps, 384e3);
    EXPECT_DOUBLE_EQ(d.rtt_ms, 50);
    for (auto& pr : net_presets()) EXPECT_FALSE(pr.source.empty()) << pr.name;
    auto o = parse_net("4g,loss=1%")[0];
    EXPECT_EQ(o.name, "4g loss=1%");
    EXPECT_DOUBLE_EQ(o.rtt_ms, 170);
    EXPECT_DOUBLE_EQ(o.loss, 0.01);
}

TEST(NetProfile, Sweeps) {
    auto v = parse_net("rtt=0,50,100,200ms");
    ASSERT_EQ(v.size(), 4u);
    EXPECT_DOUBLE_EQ(v[0].rtt_ms, 0);
    EXPECT_DOUBLE_EQ(v[3].rtt_ms, 200);
    EXPECT_EQ(v[2].name, "rtt=100ms");
    auto w = parse_net("lan;4g;3g");
    ASSERT_EQ(w.size(), 3u);
    EXPECT_EQ(w[2].name, "3g");
    auto x = parse_net("none;rtt=10,20ms,loss=0,1%");
    ASSERT_EQ(x.size(), 5u);
    EXPECT_FALSE(x[0].relay);
    EXPECT_EQ(x[2].name, "rtt=10ms loss=1%");
    EXPECT_EQ(x[3].name, "rtt=20ms loss=0%");
}

TEST(NetProfile, BadSpecsSayWhy) {
    for (const char* bad : {"mars", "rtt=-5ms", "loss=150%", "rtt=100parsecs", "rtt=100", "down=10", "loss=1",
                            "rtt=10ms,rtt=20ms", "colour=red", "", "4g;;3g", "rtt=", "queue=0ms", "reset=2/fortnight",
                            "none;none", "4g;4g", "rtt=1e400ms", "rtt=nan ms",
                            "rtt=1,2,3,4,5,6,7,8,9ms,jitter=1,2,3,4,5,6,7,8,9ms" /* 81 profiles */}) {
        try {
            parse_net(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const std::invalid_argument& e) {
            std::string m = e.what();
            EXPECT_NE(m.find("--net"), std::string::npos) << m;
            EXPECT_EQ(m.find('\n'), std::string::npos) << m;
        }
    }
}

TEST(NetProfile, LabelsKeepEveryDigit) {
    auto v = parse_net("rtt=100.0001,100.0002ms;down=1234567bit");
    EXPECT_EQ(v[0].name, "rtt=100.0001ms");
    EXPECT_EQ(v[1].name, "rtt=100.0002ms");
    EXPECT_EQ(v[2].name, "down=1234567bit");
}

TEST(NetProfile, SpecRoundTrips) {
    for (auto* spec : {"4g", "rtt=12.5ms,jitter=3ms,down=1mbit,loss=0.5%,reset=3/min,queue=250ms", "slow4g"}) {
        auto p = parse_net(spec)[0];
        auto q = parse_net(net_to_spec(p))[0];
        EXPECT_DOUBLE_EQ(p.rtt_ms, q.rtt_ms) << spec;
        EXPECT_DOUBLE_EQ(p.jitter_ms, q.jitter_ms);
        EXPECT_DOUBLE_EQ(p.down_bps, q.down_bps);
        EXPECT_DOUBLE_EQ(p.up_bps, q.up_bps);
        EXPECT_NEAR(p.loss, q.loss, 1e-15);
        EXPECT_DOUBLE_EQ(p.resets_per_min, q.resets_per_min);
        EXPECT_DOUBLE_EQ(p.queue_ms, q.queue_ms);
    }
}

} // namespace
} // namespace rtb
