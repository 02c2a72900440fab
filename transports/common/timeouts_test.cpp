// Shared deadline lists (timeouts.hpp): known answers on a private loop.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "transports/common/timeouts.hpp"

using namespace std::chrono_literals;

namespace {

using clk = std::chrono::steady_clock;

struct probe : rtb::timed {
    explicit probe(std::vector<int>& log, int id) : log(log), id(id) {}
    ~probe() { disarm(); }
    void expired() override {
        log.push_back(id);
        at.push_back(clk::now());
        if (--rearm > 0) arm(*list);
    }
    std::vector<int>& log;
    int id;
    int rearm = 0;
    rtb::timeout_list* list = nullptr;
    std::vector<clk::time_point> at;
};

// Entries fire in the order they were armed, each no sooner than the
// list's length after its own arming; a disarmed one never fires, and a
// re-armed one fires once, a length after its re-arming.
TEST(TimeoutList, FiresEachEntryALengthAfterItsLastArming) {
    boost::asio::io_context io;
    rtb::timeout_list list(io, 60ms);
    std::vector<int> log;
    probe a(log, 1), b(log, 2), c(log, 3), d(log, 4);
    auto t0 = clk::now();
    a.arm(list);
    b.arm(list);
    c.arm(list);
    d.arm(list);
    EXPECT_EQ(list.size(), 4u);
    b.disarm();
    EXPECT_FALSE(b.armed());
    io.run_for(30ms);
    auto t1 = clk::now();
    a.arm(list); // re-armed halfway: now behind c and d
    io.run_for(300ms);
    EXPECT_EQ(log, (std::vector<int>{3, 4, 1}));
    ASSERT_EQ(c.at.size(), 1u);
    EXPECT_GE(c.at[0] - t0, 60ms);
    ASSERT_EQ(a.at.size(), 1u);
    EXPECT_GE(a.at[0] - t1, 60ms);
    EXPECT_EQ(list.size(), 0u);
    EXPECT_FALSE(a.armed());
}

// A heartbeat: an entry that re-arms itself from expired() fires once per
// length, not in a loop within one expiry.
TEST(TimeoutList, ReArmingFromExpiredWaitsAWholeLength) {
    boost::asio::io_context io;
    rtb::timeout_list list(io, 40ms);
    std::vector<int> log;
    probe p(log, 1);
    p.list = &list;
    p.rearm = 4;
    auto t0 = clk::now();
    p.arm(list);
    io.run_for(1s);
    ASSERT_EQ(p.at.size(), 4u);
    for (std::size_t i = 0; i < p.at.size(); ++i)
        EXPECT_GE(p.at[i] - t0, 40ms * static_cast<int>(i + 1)) << "beat " << i;
}

// An entry destroyed while armed leaves the list; a list destroyed with
// entries leaves them disarmed; a stopped list fires nothing.
TEST(TimeoutList, DestructionAndStopLeaveNothingDangling) {
    boost::asio::io_context io;
    std::vector<int> log;
    auto list = std::make_unique<rtb::timeout_list>(io, 20ms);
    probe kept(log, 1);
    {
        probe gone(log, 2);
        gone.arm(*list);
        kept.arm(*list);
    }
    EXPECT_EQ(list->size(), 1u);
    list.reset();
    EXPECT_FALSE(kept.armed());
    io.run_for(60ms);
    EXPECT_TRUE(log.empty());

    rtb::timeout_list stopped(io, 20ms);
    kept.arm(stopped);
    stopped.stop();
    io.restart();
    io.run_for(80ms);
    EXPECT_TRUE(log.empty());
}

} // namespace
