#pragma once
// Capacity search (--find-max): the highest rate (or number of clients) a
// transport sustains within a service-level objective, found the way wrk2
// users do it by hand: double the load until the objective breaks, then
// bisect between the last load that held and the first that did not.
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "harness/report.hpp"

namespace rtb {

// What "sustained" means: latency at one percentile within a bound, and no
// more than a fraction of the messages lost (in flight at the end counts).
struct slo {
    double percentile = 99;     // 50, 90, 99 or 99.9
    double latency_ms = 50;
    double max_loss = 0;        // fraction of expected messages, 0..1
};
// "p99=50ms", "p50=2ms", "p99.9=1s", "p99=500us". Throws std::invalid_argument.
slo parse_slo(const std::string& spec);
std::string slo_text(const slo& s); // "p99 ≤ 50 ms, loss ≤ 0 %"

// Why a row missed the objective, in words; empty when it met it. Besides
// latency and loss, a row must have kept up: received in the window what
// was due in it, less one message per client, 1 % and what the transport
// holds back by design for `design_wait_s` (a poll interval): the shortfall
// is the backlog the window added. A system falling behind delivers
// everything late rather than losing it, and in a short window its latency
// may not have grown past the objective yet; its throughput already shows it.
std::string slo_miss(const result_row& r, const slo& s, double design_wait_s = 0);

// One probe's outcome: met the objective, missed it (why), or could not
// tell (bound, why): the load generator was the limit, or the relay's CPU,
// or the relay's own lateness is larger than the margin by which the row
// missed. A relay that was late on a row that met the objective anyway
// only made the latency worse: that row met it.
struct probe {
    bool met = false;
    std::string why; // of a miss, or of the bound
    bool bound = false;
};
probe judge(const result_row& r, const slo& s, double design_wait_s = 0);

struct search_settings {
    double start = 100;       // the first load probed
    double min = 0.1, max = 1e6;
    double precision = 0.10;  // stop when first failure / best ≤ 1 + precision
    int max_probes = 14;
    bool integral = false;    // clients: whole numbers
};

struct search_result {
    double best = 0;        // the highest load that met the objective; 0: none did
    double first_fail = 0;  // the lowest load that missed it; 0: none did (reached max, or bound)
    std::string miss_why;   // why first_fail missed
    std::string stop_why;   // why a search stopped before bracketing (bound: the probe's words)
    bool bound = false;     // stopped because the generator or relay was the limit
    bool capped = false;    // met the objective at max: the search could not go higher
    bool exhausted = false; // max_probes ran out before the bracket closed
    std::vector<double> probes;
    // Closed: a load that met and a first miss within the precision (or
    // nothing between them), or the lowest load missed. Otherwise best is
    // only a lower bound.
    bool bracketed() const { return !bound && !capped && !exhausted && first_fail > 0; }
};

// `run(x)` measures the system at load x. Doubling from `start` until a
// miss (halving down if `start` already misses), then bisection until the
// bracket is within `precision`. At most max_probes calls.
search_result find_max(const search_settings& s, const std::function<probe(double)>& run);

} // namespace rtb

namespace rtb {

// One search's outcome, for capacity.csv, the summary and the verdict.
struct capacity_line {
    std::string searched;           // "rate" or "clients"
    result_row first;               // the first probe: transport, path, the fixed dimensions
    std::vector<result_row> probes; // every row measured, in order
    search_result res;
    const result_row* best() const; // the row at res.best, or null
};

// capacity.csv: transport,scenario,net,tls,via,payload_bytes,searched,clients,rate_hz,slo,max_load,
// delivered_per_s,latency_ms,first_miss,why,stopped,probes. clients or
// rate_hz is the fixed dimension (the other is empty); max_load is the
// highest load that met the objective (empty: none did).
void write_capacity_csv(std::ostream& os, const std::vector<capacity_line>& lines, const slo& s);

// One sentence per point searched (the same scenario, path and fixed
// dimension), transports by sustained deliveries per second, best first.
std::vector<std::string> capacity_sentences(const std::vector<capacity_line>& lines, const slo& s);

} // namespace rtb
