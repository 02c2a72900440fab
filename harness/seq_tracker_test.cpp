#include "harness/seq_tracker.hpp"

#include <gtest/gtest.h>

using rtb::seq_tracker;

TEST(SeqTracker, InOrderIsAllDelivered) {
    seq_tracker t;
    for (int i = 1; i <= 100; ++i) EXPECT_TRUE(t.on_seq(i));
    auto c = t.counts(11, 90);
    EXPECT_EQ(c.delivered, 80u);
    EXPECT_EQ(c.lost + c.duplicated + c.reordered, 0u);
}

TEST(SeqTracker, GapsAreLostTailIsLost) {
    seq_tracker t;
    for (int i : {1, 2, 3, 6, 7, 10}) t.on_seq(i);
    auto c = t.counts(1, 12); // 4,5,8,9 missing; 11,12 never came
    EXPECT_EQ(c.delivered, 6u);
    EXPECT_EQ(c.lost, 6u);
    EXPECT_EQ(c.in_flight, 2u); // 11 and 12 may still be on their way
}

TEST(SeqTracker, LateArrivalIsReorderedNotLost) {
    seq_tracker t;
    for (int i : {1, 2, 4, 5, 3}) t.on_seq(i);
    auto c = t.counts(1, 5);
    EXPECT_EQ(c.delivered, 5u);
    EXPECT_EQ(c.lost, 0u);
    EXPECT_EQ(c.reordered, 1u);
}

TEST(SeqTracker, DuplicatesCounted) {
    seq_tracker t;
    for (int i : {1, 2, 2, 3, 1, 3, 3}) t.on_seq(i);
    auto c = t.counts(1, 3);
    EXPECT_EQ(c.delivered, 3u);
    EXPECT_EQ(c.duplicated, 4u);
    EXPECT_EQ(c.lost, 0u);
    EXPECT_EQ(t.counts(2, 2).duplicated, 1u);
}

TEST(SeqTracker, WindowClipsWarmupAndNothingSeenMeansAllLost) {
    seq_tracker t;
    EXPECT_EQ(t.counts(5, 9).lost, 5u);
    EXPECT_EQ(t.counts(5, 9).in_flight, 5u);
    for (int i = 1; i <= 3; ++i) t.on_seq(i);
    EXPECT_EQ(t.counts(5, 9).lost, 5u);
    EXPECT_EQ(t.counts(5, 9).in_flight, 5u);
    EXPECT_EQ(t.counts(9, 5).lost, 0u);
}

TEST(SeqTracker, ArrivalBelowFirstSeenOpensAHole) {
    seq_tracker t;
    t.on_seq(10);
    t.on_seq(7); // 8, 9 become a hole
    auto c = t.counts(7, 10);
    EXPECT_EQ(c.delivered, 2u);
    EXPECT_EQ(c.lost, 2u);
}
