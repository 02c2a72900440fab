#pragma once
// Repeats (--repeat N): each point runs N times, interleaved with the other
// points (A B C A B C, so a slow minute of the shared machine touches every
// transport alike). The spread of a figure over its repeats is the run's own
// measure of noise: the verdict calls two transports different only when
// their spreads do not overlap.
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "harness/report.hpp"

namespace rtb {

struct spread {
    double median = 0, lo = 0, hi = 0;
    std::size_t n = 0;
};
// Median (of an even count: the mean of the middle two), minimum, maximum.
// Empty input: all zero, n = 0.
spread spread_of(std::vector<double> values);

// Two spreads overlap when neither lies wholly below the other: no
// measurable difference between them.
inline bool overlap(const spread& a, const spread& b) { return a.lo <= b.hi && b.lo <= a.hi; }

// The same point on the same path with a different repeat number: the
// transport, scenario, clients, rate, payload size and kind, network, TLS
// and proxy.
bool same_point(const result_row& a, const result_row& b);

// The figures a reader compares transports by, each with its one formula
// (harness/report.hpp): message scenarios and connect have their own.
struct headline {
    const char* name; // the figure column of spread.csv
    std::function<double(const result_row&)> value;
};
const std::vector<headline>& headlines(bool connect);

// spread.csv: one line per point and headline figure, over its repeats:
// transport,scenario,clients,rate_hz,payload_bytes,payload_kind,net,tls,via,figure,n,median,min,max.
// n counts the runs that can be compared (report.hpp comparable()); the
// figures are over those only, empty when there is none. Points with one
// run are included (n = 1, min = max = median).
void write_spread_csv(std::ostream& os, const std::vector<result_row>& rows);

// The terminal's table of medians and ranges, one line per point; nothing
// when no point ran more than once.
void write_spread_summary(std::ostream& os, const std::vector<result_row>& rows);

} // namespace rtb
