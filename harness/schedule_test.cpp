#include "harness/schedule.hpp"

#include <gtest/gtest.h>

using rtb::rate_schedule;

TEST(Schedule, DueTimesAreAbsoluteAndRounded) {
    rate_schedule s{1'000, 3}; // 3 per second: 333,333,333.3 ns apart
    EXPECT_EQ(s.due(0), 1'000);
    EXPECT_EQ(s.due(1), 1'000 + 333'333'333);
    EXPECT_EQ(s.due(2), 1'000 + 666'666'667);
    EXPECT_EQ(s.due(3), 1'000 + 1'000'000'000);
}

TEST(Schedule, WindowHoldsExactlyTheEventsDueInIt) {
    rate_schedule s{0, 1000}; // one per ms
    // [5 ms, 10 ms): events 5..9; an edge exactly on a due time is inside.
    EXPECT_EQ(s.window(5'000'000, 10'000'000), (std::pair<std::uint64_t, std::uint64_t>{5, 10}));
    EXPECT_EQ(s.window(5'000'001, 10'000'001), (std::pair<std::uint64_t, std::uint64_t>{6, 11}));
    EXPECT_EQ(s.window(-50, 0), (std::pair<std::uint64_t, std::uint64_t>{0, 0}));
    // A brute-force check over awkward rates.
    for (double rate : {7.0, 333.3, 999.999, 123456.0}) {
        rate_schedule r{12'345, rate};
        std::int64_t from = 54'321'000, to = 987'654'321;
        std::uint64_t first = 0, last = 0;
        while (r.due(first) < from) ++first;
        last = first;
        while (r.due(last) < to) ++last;
        EXPECT_EQ(r.window(from, to), (std::pair<std::uint64_t, std::uint64_t>{first, last})) << rate;
    }
}

TEST(Schedule, TinyRatesSaturateInsteadOfOverflowing) {
    rate_schedule s{1'000'000, 1e-10}; // one message per 317 years
    EXPECT_EQ(s.due(0), 1'000'000);
    EXPECT_GT(s.due(1), s.due(0));
    EXPECT_GT(s.due(1'000'000), 0); // no wrap to negative
    EXPECT_EQ(s.window(0, 1'000'000'000).second, 1u);
}
