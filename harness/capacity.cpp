#include "harness/capacity.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>
#include <stdexcept>

#include <fmt/format.h>

namespace rtb {

slo parse_slo(const std::string& spec) {
    auto bad = [&] {
        return std::invalid_argument("--slo takes pNN=LATENCY with NN 50, 90, 99 or 99.9 and LATENCY in us, ms or s "
                                     "(p99=50ms), not '" + spec + "'");
    };
    auto eq = spec.find('=');
    if (spec.size() < 2 || spec[0] != 'p' || eq == std::string::npos) throw bad();
    slo s;
    std::string pct = spec.substr(1, eq - 1);
    if (pct == "50") s.percentile = 50;
    else if (pct == "90") s.percentile = 90;
    else if (pct == "99") s.percentile = 99;
    else if (pct == "99.9" || pct == "999") s.percentile = 99.9;
    else throw bad();
    std::string v = spec.substr(eq + 1);
    double scale = 0;
    for (auto [suffix, ms] : {std::pair{"us", 1e-3}, std::pair{"ms", 1.0}, std::pair{"s", 1e3}}) {
        std::string_view sv(suffix);
        if (v.size() > sv.size() && v.compare(v.size() - sv.size(), sv.size(), sv) == 0) {
            v.resize(v.size() - sv.size());
            scale = ms;
            break;
        }
    }
    if (scale == 0) throw bad();
    try {
        std::size_t pos = 0;
        double x = std::stod(v, &pos);
        if (pos != v.size() || !(x > 0) || !std::isfinite(x)) throw bad();
        s.latency_ms = x * scale;
    } catch (const std::logic_error&) {
        throw bad();
    }
    return s;
}

std::string slo_text(const slo& s) {
    return fmt::format("p{:g} ≤ {:g} ms, loss ≤ {:g} %", s.percentile, s.latency_ms, s.max_loss * 100);
}

std::string slo_miss(const result_row& r, const slo& s, double design_wait_s) {
    if (!r.failure.empty()) return r.failure;
    if (r.expected == 0) return "no message was due in the window";
    if (r.delivered == 0) return fmt::format("none of {} messages delivered", r.expected);
    double lost = static_cast<double>(r.lost) / static_cast<double>(r.expected);
    if (lost > s.max_loss)
        return fmt::format("{} of {} messages lost or still in flight ({:.3g} % > {:g} %)", r.lost, r.expected,
                           lost * 100, s.max_loss * 100);
    if (r.duplicated || r.corrupt) return fmt::format("{} duplicated, {} corrupted", r.duplicated, r.corrupt);
    double due = static_cast<double>(r.expected);
    // Steady, what arrives in the window is what is due in it: messages due
    // before it arriving in it balance those due in it arriving after. The
    // count is whole messages (one per client either way), the latency's
    // jitter moves a little more (1 %), and a transport that holds messages
    // back (a poll interval) up to that long's worth per client.
    // In broadcast, one message per publisher per client either way.
    double per_client = static_cast<double>(std::max<std::size_t>(1, r.publishers));
    double slack = static_cast<double>(r.clients) * per_client * (1 + r.rate_hz * design_wait_s) + 0.01 * due;
    if (static_cast<double>(r.received_in_window) + slack < due)
        return fmt::format("fell behind: received {:.1f} messages/s of the {:.1f}/s due", delivered_per_s(r),
                           r.window_s > 0 ? due / r.window_s : 0.0);
    double lat = latency_ms(r, s.percentile);
    if (lat > s.latency_ms) return fmt::format("p{:g} {:.3g} ms > {:g} ms", s.percentile, lat, s.latency_ms);
    return {};
}

probe judge(const result_row& r, const slo& s, double design_wait_s) {
    if (r.client_bound) return {false, "the load generator was the limit (client_bound)", true};
    double relay_util = r.window_s > 0 ? static_cast<double>(r.relay_cpu_ns) / 1e9 / r.window_s : 0;
    if (r.relay_bound && relay_util > 0.9) return {false, "the impairment relay's CPU was the limit (relay_bound)", true};
    auto miss = slo_miss(r, s, design_wait_s);
    if (miss.empty()) return {true, "", false};
    if (r.relay_bound) {
        double lat = latency_ms(r, s.percentile);
        double late = static_cast<double>(r.relay_lateness_max_ns) / 1e6;
        bool latency_miss = miss.rfind("p", 0) == 0; // "pNN ... ms > ... ms"
        if (latency_miss && lat - late <= s.latency_ms)
            return {false, fmt::format("{}, within the impairment relay's own lateness ({:.3g} ms) of the objective "
                                       "(relay_bound)", miss, late), true};
    }
    return {false, miss, false};
}

search_result find_max(const search_settings& s, const std::function<probe(double)>& run) {
    search_result r;
    auto snap = [&](double x) { return s.integral ? std::round(x) : x; };
    double x = snap(std::clamp(s.start, s.min, s.max));
    double lo = 0, hi = 0; // best met, lowest missed (0: none yet)
    bool closed = false;
    while (static_cast<int>(r.probes.size()) < s.max_probes) {
        r.probes.push_back(x);
        probe p = run(x);
        if (p.bound) {
            r.bound = true;
            r.stop_why = p.why;
            closed = true;
            break;
        }
        if (p.met) lo = x;
        else hi = x, r.miss_why = p.why;
        double next;
        if (hi == 0) { // every probe met: double, up to max
            if (x >= s.max) {
                r.capped = true;
                r.stop_why = "met the objective at the highest load the search may try";
                closed = true;
                break;
            }
            next = std::min(x * 2, s.max);
        } else if (lo == 0) { // every probe missed: halve, down to min
            if (x <= s.min) {
                closed = true;
                break;
            }
            next = std::max(x / 2, s.min);
        } else {
            if (hi <= lo * (1 + s.precision)) {
                closed = true;
                break;
            }
            next = (lo + hi) / 2;
        }
        next = snap(next);
        if (next == lo || next == hi || next == x) { // whole numbers: nothing left between
            closed = true;
            break;
        }
        x = next;
    }
    if (!closed) {
        r.exhausted = true;
        r.stop_why = fmt::format("ran out of probes (--max-probes {})", s.max_probes);
    }
    r.best = lo;
    r.first_fail = hi;
    return r;
}

const result_row* capacity_line::best() const {
    if (res.best == 0) return nullptr;
    for (auto& r : probes)
        if ((searched == "rate" ? r.rate_hz : static_cast<double>(r.clients)) == res.best) return &r;
    return nullptr;
}

namespace {

std::string load_text(const std::string& searched, double x) {
    // "{}": the shortest text that reads back as x, as results.csv has it.
    return searched == "rate" ? fmt::format("{}/s", x) : fmt::format("{} clients", x);
}

// Why the search ended where it did, in a word or a sentence.
std::string stopped(const capacity_line& l) {
    if (!l.res.stop_why.empty()) return l.res.stop_why;
    if (l.res.best == 0) return "missed the objective at the lowest load";
    return "bracketed";
}

// What a search held fixed: one sentence per value of it, transports side
// by side (the payload's kind and the path included: a search with browser
// headers is not the same contestant as one with minimal ones).
std::string fixed_text(const capacity_line& l) {
    auto& r = l.first;
    std::string fixed = l.searched == "rate" ? fmt::format("{} clients", r.clients) : fmt::format("{:g}/s", r.rate_hz);
    std::string kind = r.payload_kind == "pattern" ? "" : " " + r.payload_kind;
    return fmt::format("{}, {} × {} B{} on {}", r.scenario, fixed, r.payload_bytes, kind, path_words(r));
}

} // namespace

void write_capacity_csv(std::ostream& os, const std::vector<capacity_line>& lines, const slo& s) {
    os << "transport,scenario,net,tls,via,payload_bytes,searched,clients,rate_hz,slo,max_load,delivered_per_s,"
          "rx_latency_ms,first_miss,why,stopped,probes\n";
    for (auto& l : lines) {
        auto& r = l.first;
        auto* b = l.best();
        os << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.transport, r.scenario, r.net, r.tls,
                          r.via, r.payload_bytes, l.searched, l.searched == "rate" ? std::to_string(r.clients) : "",
                          l.searched == "clients" ? fmt::format("{:.3f}", r.rate_hz) : "", text_cell(slo_text(s)),
                          b ? fmt::format("{}", l.res.best) : "", b ? fmt::format("{:.3f}", delivered_per_s(*b)) : "",
                          b ? fmt::format("{:.3f}", latency_ms(*b, s.percentile)) : "",
                          l.res.first_fail > 0 ? fmt::format("{}", l.res.first_fail) : "", text_cell(l.res.miss_why),
                          text_cell(stopped(l)),
                          l.res.probes.size());
    }
}

std::vector<std::string> capacity_sentences(const std::vector<capacity_line>& lines, const slo& s) {
    std::vector<std::string> out;
    std::vector<std::string> done;
    for (auto& l : lines) {
        std::string point = fixed_text(l);
        if (std::find(done.begin(), done.end(), point) != done.end()) continue;
        done.push_back(point);
        std::vector<const capacity_line*> group;
        for (auto& m : lines)
            if (fixed_text(m) == point) group.push_back(&m);
        std::stable_sort(group.begin(), group.end(), [](auto* a, auto* b) {
            double x = a->best() ? delivered_per_s(*a->best()) : -1, y = b->best() ? delivered_per_s(*b->best()) : -1;
            return x > y;
        });
        std::string line = fmt::format("Highest sustained {} with {} ({}): ", l.searched, slo_text(s), point);
        for (std::size_t i = 0; i < group.size(); ++i) {
            auto& g = *group[i];
            line += i ? "; " : "";
            if (!g.best()) {
                line += g.first.transport + " none";
                if (g.res.first_fail > 0)
                    line += fmt::format(" (missed at {}: {}{})", load_text(g.searched, g.res.first_fail), g.res.miss_why,
                                        g.res.bracketed() ? "" : "; stopped: " + stopped(g));
                else line += fmt::format(" (stopped: {})", stopped(g));
                continue;
            }
            // Without a first miss above it, the best load is a lower bound.
            bool lower_bound = !g.res.bracketed();
            line += fmt::format("{} {}{} = {:.0f} deliveries/s", g.first.transport, lower_bound ? "at least " : "",
                                load_text(g.searched, g.res.best), delivered_per_s(*g.best()));
            if (g.res.bracketed())
                line += fmt::format(" (at {}: {})", load_text(g.searched, g.res.first_fail), g.res.miss_why);
            else line += fmt::format(", where the search stopped: {}", stopped(g));
        }
        out.push_back(line + ".");
    }
    return out;
}

} // namespace rtb
