#include "harness/seq_tracker.hpp"

#include <algorithm>

namespace rtb {

bool seq_tracker::on_seq(std::uint64_t s) {
    if (!any_) {
        any_ = true;
        min_ = max_ = s;
        return true;
    }
    if (s == max_ + 1) {
        max_ = s;
        return true;
    }
    if (s > max_ + 1) {
        holes_.emplace(max_ + 1, s - 1);
        max_ = s;
        return true;
    }
    if (s < min_) {
        // Earlier than anything seen: the gap [s+1, min_-1] becomes a hole.
        if (s + 1 <= min_ - 1) holes_.emplace(s + 1, min_ - 1);
        min_ = s;
        reordered_[s] = true;
        return true;
    }
    // s <= max_: inside a hole (late) or a duplicate.
    auto it = holes_.upper_bound(s);
    if (it != holes_.begin()) {
        --it;
        auto [a, b] = *it;
        if (s >= a && s <= b) {
            holes_.erase(it);
            if (a < s) holes_.emplace(a, s - 1);
            if (s < b) holes_.emplace(s + 1, b);
            reordered_[s] = true;
            return true;
        }
    }
    ++dups_[s];
    return false;
}

seq_tracker::window_counts seq_tracker::counts(std::uint64_t first, std::uint64_t last) const {
    window_counts c;
    if (first > last) return c;
    std::uint64_t expected = last - first + 1;
    if (any_) {
        // Seen = [min_, max_] minus holes, clipped to the window.
        std::uint64_t lo = std::max(first, min_), hi = std::min(last, max_);
        if (lo <= hi) {
            std::uint64_t seen = hi - lo + 1;
            for (auto [a, b] : holes_) {
                std::uint64_t x = std::max(a, lo), y = std::min(b, hi);
                if (x <= y) seen -= y - x + 1;
            }
            c.delivered = seen;
        }
    }
    c.lost = expected - c.delivered;
    std::uint64_t tail_from = any_ ? std::max(first, max_ + 1) : first;
    if (tail_from <= last) c.in_flight = last - tail_from + 1;
    for (auto it = dups_.lower_bound(first); it != dups_.end() && it->first <= last; ++it)
        c.duplicated += it->second;
    for (auto it = reordered_.lower_bound(first); it != reordered_.end() && it->first <= last; ++it)
        ++c.reordered;
    return c;
}

} // namespace rtb
