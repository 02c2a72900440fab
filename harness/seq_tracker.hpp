#pragma once
// Loss, duplication and reordering for one receiver, in O(1) memory when
// nothing goes wrong.
//
// Every sequence number the receiver may get is an integer; `first_in_window`
// .. `last_in_window` is the measured range. Arrivals are normally strictly
// increasing; a jump leaves "holes" (kept as ranges). A later arrival inside
// a hole was reordered (late, not lost); at or below the highest seen and not
// in a hole it is a duplicate. Whatever is still a hole at the end — or above
// the highest seen, up to the window's end — was lost.
#include <cstdint>
#include <map>

namespace rtb {

class seq_tracker {
public:
    // Returns true when `seq` is seen for the first time (count it).
    bool on_seq(std::uint64_t seq);

    struct window_counts {
        std::uint64_t delivered = 0, lost = 0, duplicated = 0, reordered = 0;
        // Of `lost`: those above the highest seq received. On an in-order
        // transport they may still have been in flight (overload), while a
        // hole below the highest was skipped (dropped).
        std::uint64_t in_flight = 0;

        window_counts& operator+=(const window_counts& o) {
            delivered += o.delivered;
            lost += o.lost;
            duplicated += o.duplicated;
            reordered += o.reordered;
            in_flight += o.in_flight;
            return *this;
        }
    };
    // Counts for [first, last] (inclusive); first > last means an empty window.
    window_counts counts(std::uint64_t first, std::uint64_t last) const;

    std::uint64_t highest() const { return max_; }

private:
    std::uint64_t max_ = 0;
    bool any_ = false;
    std::map<std::uint64_t, std::uint64_t> holes_; // first -> last, disjoint
    // Per-seq anomalies are rare: kept as ordered maps of seq -> count.
    std::map<std::uint64_t, std::uint64_t> dups_;
    std::map<std::uint64_t, bool> reordered_;
    std::uint64_t min_ = 0;
    // Unique seqs seen, to count delivered in any window: seen = [min_, max_]
    // minus holes (anything below min_ was never seen).
};

} // namespace rtb
