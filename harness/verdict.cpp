#include "harness/verdict.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "harness/spread.hpp"
#include "harness/transport.hpp"

namespace rtb {

namespace {

double rss_per_conn(const result_row& r) { return r.server_rss_bytes_per_conn; }
// Rows whose server process was measured (an external target's is not,
// without --target-pid): the only ones a server figure can rank.
std::vector<result_row> measured(const std::vector<result_row>& rows) {
    std::vector<result_row> out;
    std::copy_if(rows.begin(), rows.end(), std::back_inserter(out), [](auto& r) { return r.server_measured; });
    return out;
}

// Rows compare only at the same point on the same path.
using point_key = std::tuple<std::string, std::string, std::uint64_t, double, std::uint64_t, std::string>;
point_key key(const result_row& r) {
    return {path_words(r), r.scenario, r.clients, r.rate_hz, r.payload_bytes, r.payload_kind};
}
std::string point_name(const result_row& r) {
    std::string on = path_words(r) == "loopback" ? "" : " on " + path_words(r);
    if (r.scenario == "connect") return fmt::format("{} connections{}", r.clients, on);
    // A pattern payload is the default and goes unnamed, as before.
    std::string kind = r.payload_kind.empty() || r.payload_kind == "pattern" ? "" : " " + r.payload_kind;
    return fmt::format("{} {} clients × {:g}/s × {} B{}{}", r.scenario, r.clients, r.rate_hz, r.payload_bytes, kind, on);
}

// The rows of each path, in the order they ran.
std::vector<std::pair<std::string, std::vector<result_row>>> by_path(const std::vector<result_row>& rows) {
    std::vector<std::pair<std::string, std::vector<result_row>>> out;
    for (auto& r : rows) {
        auto it = std::find_if(out.begin(), out.end(), [&](auto& g) { return g.first == path_words(r); });
        if (it == out.end()) it = out.insert(out.end(), {path_words(r), {}});
        it->second.push_back(r);
    }
    return out;
}

// For one metric (lower is better): who leads at each point where at least
// two transports ran clean. With one run per point, the leaders are those
// within `noise` of the best median (value <= best x (1 + noise)): closer
// than that, one run does not separate them. With repeats (--repeat), the
// run measured its own noise: the leaders are those whose spread over the
// repeats overlaps the best's.
std::string lowest(const std::vector<result_row>& rows, const std::string& what, const std::string& unit,
                   const std::function<double(const result_row&)>& metric, int decimals, double noise) {
    std::map<point_key, std::map<std::string, std::vector<double>>> points;
    for (auto& r : rows)
        if (comparable(r)) points[key(r)][r.transport].push_back(metric(r));
    struct lead {
        int points = 0;
        double lo = 0, hi = 0; // of the medians
    };
    std::map<std::string, lead> leads;
    std::set<std::vector<std::string>> leader_sets;
    int compared = 0;
    std::size_t runs = SIZE_MAX; // the fewest repeats behind any compared figure
    for (auto& [k, by_transport] : points) {
        if (by_transport.size() < 2) continue;
        ++compared;
        std::vector<std::pair<std::string, spread>> v;
        for (auto& [t, xs] : by_transport) {
            v.emplace_back(t, spread_of(xs));
            runs = std::min(runs, xs.size());
        }
        std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second.median < b.second.median; });
        bool repeated = std::all_of(v.begin(), v.end(), [](auto& e) { return e.second.n > 1; });
        const spread& best = v.front().second;
        std::vector<std::string> leaders;
        for (auto& [t, sp] : v) {
            bool leads_too = repeated ? overlap(sp, best) : sp.median <= best.median * (1 + noise) + 1e-12;
            if (!leads_too) continue;
            leaders.push_back(t);
            auto& l = leads[t];
            if (l.points++ == 0) l.lo = l.hi = sp.median;
            l.lo = std::min(l.lo, sp.median), l.hi = std::max(l.hi, sp.median);
        }
        std::sort(leaders.begin(), leaders.end());
        leader_sets.insert(leaders);
    }
    if (compared == 0) return {};
    bool repeated = runs > 1;
    auto range = [&](const lead& l) {
        return l.lo == l.hi ? fmt::format("{:.{}f} {}", l.lo, decimals, unit)
                            : fmt::format("{:.{}f}–{:.{}f} {}", l.lo, decimals, l.hi, decimals, unit);
    };
    std::string s = what + (repeated ? fmt::format(" (median of {}+ runs)", runs) : "") + ": ";
    if (leader_sets.size() == 1) {
        auto names = *leader_sets.begin(); // best first
        std::stable_sort(names.begin(), names.end(), [&](auto& a, auto& b) { return leads[a].lo < leads[b].lo; });
        for (std::size_t i = 0; i < names.size(); ++i)
            s += fmt::format("{}{} ({})", i == 0 ? "" : i + 1 == names.size() ? " and " : ", ", names[i], range(leads[names[i]]));
        s += compared == 1 ? "" : " at every point";
        if (names.size() > 1)
            s += repeated ? fmt::format(", their spreads over {}+ runs overlap: no measurable difference", runs)
                          : fmt::format(", within {:.0f} % of each other: no measurable difference in one run", noise * 100);
        return s + ".";
    }
    std::vector<std::pair<std::string, lead>> order(leads.begin(), leads.end());
    std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.second.points > b.second.points; });
    for (std::size_t i = 0; i < order.size(); ++i)
        s += fmt::format("{}{} at {} of {} points ({})", i ? ", " : "", order[i].first, order[i].second.points, compared,
                         range(order[i].second));
    return s + (repeated ? std::string(" (transports whose spread over the runs overlaps the best's count as leading).")
                         : fmt::format(" (transports within {:.0f} % of the best count as leading).", noise * 100));
}

std::vector<std::string> breaks(const std::vector<result_row>& rows) {
    std::vector<std::string> out;
    std::set<std::string> broke;
    for (auto& r : rows) {
        if (r.scenario == "connect") continue;
        std::string why;
        if (r.lost > r.in_flight_at_end) why = fmt::format("{} of {} messages dropped", r.lost - r.in_flight_at_end, r.expected);
        else if (r.in_flight_at_end) why = fmt::format("{} of {} messages still in flight when the drain ended (could not keep up)",
                                                       r.in_flight_at_end, r.expected);
        else if (r.slow_consumers) why = fmt::format("{} connections dropped as slow consumers", r.slow_consumers);
        if (why.empty() || !broke.insert(r.transport).second) continue; // the first point where it broke
        out.push_back(fmt::format("{} broke at {}: {}.", row_label(r.transport), point_name(r), why));
    }
    if (out.empty() && std::any_of(rows.begin(), rows.end(), [](auto& r) { return r.scenario != "connect"; }))
        out.push_back("No transport lost a message or fell behind at any point: this run did not reach a breaking point "
                      "(raise --rate or --clients to find one).");
    return out;
}

// The same transport at the same point without what this row added: for a
// row behind the proxy, the direct row with the same TLS (TLS ends at the
// proxy), else the plain direct one; for a TLS row, the plain one.
const result_row* baseline(const std::vector<result_row>& rows, const result_row& r) {
    auto twin = [&](const std::string& tls, const std::string& via, const std::string& headers) -> const result_row* {
        for (auto& b : rows)
            if (b.transport == r.transport && b.scenario == r.scenario && b.clients == r.clients &&
                b.rate_hz == r.rate_hz && b.payload_bytes == r.payload_bytes && b.payload_kind == r.payload_kind &&
                b.net == r.net && b.tls == tls && b.via == via && b.headers == headers && b.repeat == r.repeat)
                return &b;
        return nullptr;
    };
    // A browser's headers against the minimal ones, everything else equal.
    if (r.headers != "minimal") {
        if (auto* b = twin(r.tls, r.via, "minimal")) return b;
    }
    if (r.via != "none") {
        if (auto* b = twin(r.tls, "none", r.headers)) return b;
    }
    return r.tls != "none" || r.via != "none" ? twin("none", "none", r.headers) : nullptr;
}

// ", run 1 of N" when r's point ran N > 1 times (--repeat), else "": the
// lines comparing one row with another compare first runs.
std::string first_run_words(const std::vector<result_row>& rows, const result_row& r) {
    std::uint64_t runs = 1;
    for (auto& x : rows)
        if (same_point(x, r)) runs = std::max(runs, x.repeat);
    return runs > 1 ? fmt::format(", run 1 of {}", runs) : "";
}

// "0.41 → 341 ms": a figure without, then with.
std::string change(double before, double after, const char* unit, int decimals) {
    return fmt::format("{:.{}f} → {:.{}f} {}", before, decimals, after, decimals, unit);
}

// A proxy that buffers passes a connection's bytes on only when B of them
// have gathered: at the stream's rate of R bytes per second per connection a
// message waits between 0 and B / R, so the median wait is B / 2R and
// B ≈ 2 × p50 × R. R is the direct row's: what the server sent each client.
double held_bytes(const result_row& direct, const result_row& proxied) {
    if (direct.window_s <= 0 || direct.clients == 0) return 0;
    double rate = static_cast<double>(direct.wire_down_bytes) / direct.window_s / static_cast<double>(direct.clients);
    return 2 * p50_ms(proxied) / 1000 * rate;
}

// What TLS, the proxy or a browser's headers did to each transport, against the same transport at
// the same point without it: the first point per transport and path, in
// words. A row that could not deliver says why, with what the direct row did.
std::vector<std::string> path_effects(const std::vector<result_row>& rows) {
    std::vector<std::string> out;
    std::set<std::string> said;
    for (auto& r : rows) {
        const result_row* b = baseline(rows, r);
        if (!b || !said.insert(r.transport + "|" + path_words(r)).second) continue;
        std::string added;
        if (r.tls != "none" && b->tls == "none") added = "TLS " + r.tls;
        if (r.via != b->via) added += (added.empty() ? "" : " and ") + r.via;
        if (r.headers != b->headers) added += (added.empty() ? "" : " and ") + r.headers + " headers";
        std::string against = r.headers != b->headers ? b->headers + " headers"
                              : b->via != r.via       ? (b->tls != "none" ? "direct with TLS" : "direct")
                                                      : "plain";
        // With --repeat, the first run of each against the first run of the other.
        std::string which = first_run_words(rows, r);
        std::string s =
            fmt::format("{} with {} (against {}, {}{}): ", r.transport, added, against, point_name(*b), which);
        if (r.scenario == "connect") {
            s += fmt::format("connect-to-ready p50 {}, handshake {}",
                             change(static_cast<double>(b->connect.percentile(50)) / 1e6,
                                    static_cast<double>(r.connect.percentile(50)) / 1e6, "ms", 2),
                             change(b->handshake_bytes, r.handshake_bytes, "B", 0));
            // What an idle connection costs: polls (and their headers) and heartbeats.
            if (b->idle_bytes_per_conn_per_min > 0 || r.idle_bytes_per_conn_per_min > 0)
                s += ", idle " + change(b->idle_bytes_per_conn_per_min, r.idle_bytes_per_conn_per_min, "B/conn/min", 0);
        } else if (r.delivered == 0) {
            s += fmt::format("0 of {} messages delivered (direct: {})", r.expected, b->delivered);
        } else {
            s += fmt::format("p50 {}, p99 {}", change(p50_ms(*b), p50_ms(r), "ms", 2), change(p99_ms(*b), p99_ms(r), "ms", 2));
            if (r.via != b->via && p50_ms(r) >= 10 * p50_ms(*b))
                s += fmt::format(" — as if the proxy held ≈ {:.1f} KB per connection before passing it on",
                                 held_bytes(*b, r) / 1000);
            if (r.in_flight_at_end > b->in_flight_at_end)
                s += fmt::format("; {} of {} messages still in the path when the drain ended", r.in_flight_at_end, r.expected);
            if (r.lost - r.in_flight_at_end > b->lost - b->in_flight_at_end)
                s += fmt::format("; {} of {} messages dropped", r.lost - r.in_flight_at_end, r.expected);
            if (r.headers != b->headers)
                s += "; framing " + change(framing_per_msg(*b), framing_per_msg(r), "B per message", 1);
            if (r.tls != b->tls)
                s += fmt::format("; server CPU per message {}, TLS adds {:.1f} B per message",
                                 change(server_cpu_us_per_msg(*b), server_cpu_us_per_msg(r), "µs", 2), tls_per_msg(r));
        }
        if (r.reconnects > b->reconnects)
            s += fmt::format("; {} reconnects (without: {}){}", r.reconnects, b->reconnects,
                             r.reconnect_cause.empty() ? "" : ", first because of " + r.reconnect_cause);
        if (!r.failure.empty()) s += "; " + r.failure;
        out.push_back(s + ".");
    }
    return out;
}

// "1.67× (61.75 vs 36.90 µs)": a peer's figure as a ratio to its counterpart's.
std::string ratio(double peer, double ref, const char* unit, int decimals) {
    if (ref <= 0) return fmt::format("{:.{}f} {} (the reference: {:.{}f})", peer, decimals, unit, ref, decimals);
    return fmt::format("{:.2f}× ({:.{}f} vs {:.{}f} {})", peer / ref, peer, decimals, ref, decimals, unit);
}

// A peer beside rtbench's own server doing the same job, at the same point
// and on the same path: what the library costs, as ratios to the reference
// (the question "what does Socket.IO cost me over plain WebSocket?"). The
// first run of each point.
std::vector<std::string> peer_ratios(const std::vector<result_row>& rows) {
    std::vector<std::string> out;
    for (auto& r : rows) {
        auto* t = find_transport(r.transport);
        if (!t || t->counterpart.empty() || r.repeat != 1) continue;
        const result_row* ref = nullptr;
        for (auto& b : rows) {
            result_row as_peer = b;
            as_peer.transport = r.transport;
            if (b.transport == t->counterpart && b.repeat == 1 && same_point(as_peer, r)) ref = &b;
        }
        if (!ref) continue;
        std::string s = fmt::format("{} against rtbench's {} ({}{}): ", row_label(r.transport), ref->transport, point_name(r),
                                    first_run_words(rows, r));
        if (r.scenario == "connect") {
            s += fmt::format("server memory per connection {}, handshake {}, connect-to-ready p50 {}",
                             ratio(r.server_rss_bytes_per_conn, ref->server_rss_bytes_per_conn, "B", 0),
                             ratio(r.handshake_bytes, ref->handshake_bytes, "B", 0),
                             ratio(static_cast<double>(r.connect.percentile(50)) / 1e6,
                                   static_cast<double>(ref->connect.percentile(50)) / 1e6, "ms", 2));
            if (r.idle_bytes_per_conn_per_min > 0 || ref->idle_bytes_per_conn_per_min > 0)
                s += ", idle " + ratio(r.idle_bytes_per_conn_per_min, ref->idle_bytes_per_conn_per_min, "B/conn/min", 0);
        } else {
            s += fmt::format("server CPU per delivered message {}, framing {}, p50 {}",
                             ratio(server_cpu_us_per_msg(r), server_cpu_us_per_msg(*ref), "µs", 2),
                             ratio(framing_per_msg(r), framing_per_msg(*ref), "B per message", 1),
                             ratio(p50_ms(r), p50_ms(*ref), "ms", 3));
            if (r.lost > ref->lost) s += fmt::format("; {} of {} messages lost (the reference: {})", r.lost, r.expected, ref->lost);
        }
        if (!r.failure.empty()) s += "; " + r.failure;
        out.push_back(s + ".");
    }
    return out;
}

std::vector<std::string> limits(const std::vector<result_row>& rows) {
    std::vector<std::string> out;
    std::size_t bound = std::count_if(rows.begin(), rows.end(), [](auto& r) { return r.client_bound; });
    if (bound)
        out.push_back(fmt::format("{} of {} runs were limited by the load generator (client_bound): they are left out "
                                  "above, and their latency includes its own queueing.", bound, rows.size()));
    // A Node peer's publisher wakes on 1 ms timers (peers/README.md): said
    // once, where the rows with such a peer are read.
    std::set<std::string> node_peers;
    for (auto& r : rows)
        if (auto* t = find_transport(r.transport); t && t->peer_script.ends_with(".js") && r.scenario == "push")
            node_peers.insert(r.transport);
    // A server rtbench did not start: what it could not see.
    std::set<std::string> unmeasured;
    for (auto& r : rows)
        if (!r.target.empty() && !r.server_measured) unmeasured.insert(r.target);
    for (auto& t : unmeasured)
        out.push_back(fmt::format("The server was {}, not started by rtbench: its CPU and memory were not measured "
                                  "(--target-pid names its process).", t));
    if (!node_peers.empty()) {
        std::string names;
        for (auto& n : node_peers) names += (names.empty() ? "" : ", ") + n;
        out.push_back(fmt::format("The latency of {} includes up to 1 ms of the peer's publisher waking on Node's "
                                  "millisecond timers (rtbench's own servers wake within microseconds).", names));
    }
    // What the headline latency leaves out, and how large it was.
    const result_row* slowest = nullptr;
    for (auto& r : rows)
        if (r.generator_delay.count() &&
            (!slowest || r.generator_delay.percentile(99) > slowest->generator_delay.percentile(99)))
            slowest = &r;
    if (slowest)
        out.push_back(fmt::format("Latency is to the kernel's receive time at the clients: the load generator's own delay "
                                  "after it (generator_delay) is left out; its p99 was at most {:.3f} ms ({}, {} clients, "
                                  "{:g}/s).", static_cast<double>(slowest->generator_delay.percentile(99)) / 1e6,
                                  slowest->transport, slowest->clients, slowest->rate_hz));
    std::size_t relay_bound = std::count_if(rows.begin(), rows.end(), [](auto& r) { return r.relay_bound; });
    if (relay_bound)
        out.push_back(fmt::format("{} of {} runs were limited by the impairment relay (relay_bound): they are left out "
                                  "above, and their latency includes the relay's own delay.", relay_bound, rows.size()));
    std::vector<std::string> waits;
    std::set<std::string> seen;
    for (auto& r : rows) {
        auto* t = find_transport(r.transport);
        if (t && t->max_delivery_wait && seen.insert(r.transport).second) waits.push_back(r.transport);
    }
    if (!waits.empty()) {
        std::string names;
        for (auto& w : waits) names += (names.empty() ? "" : ", ") + w;
        out.push_back(fmt::format("Latency of {} is set by its poll interval by design, not by the server or the network.",
                                  names));
    }
    bool any_relay = std::any_of(rows.begin(), rows.end(), [](auto& r) { return r.relay; });
    if (!any_relay)
        out.push_back("All traffic was on loopback: latency is the software path only, with no network round trip, "
                      "bandwidth limit or loss — where the transports differ most on real paths (--net).");
    else
        out.push_back("Rows with a network profile (column net) went through rtbench's impairment relay: round trip, "
                      "rate limit, loss and resets as modelled in netem/README.md; byte counts are still the kernel's at "
                      "the clients' sockets. Rows on loopback (net none) are the software path only.");
    return out;
}

} // namespace

std::vector<std::string> verdict(const std::vector<result_row>& rows) {
    std::vector<std::string> v;
    auto add = [&](std::string s) {
        if (!s.empty()) v.push_back(std::move(s));
    };
    std::vector<result_row> msg, conn;
    for (auto& r : rows) (r.scenario == "connect" ? conn : msg).push_back(r);
    // The noise of each figure: the 90th percentile of its spread (max - min
    // over median) across three runs of the default `rtbench compare` on the
    // 2-core development machine, 2026-11-21. Single-run p99 tails spread by
    // up to 2x, so one run ranks them only when they differ 3x. With
    // --repeat, each point's own spread over its runs replaces these.
    add(lowest(msg, "Fewest bytes of framing per message", "B", framing_per_msg, 1, 0.05));
    // Latency ranks per path (network, TLS, proxy): how the ranking changes
    // from one to the next is the point of running several.
    auto nets = by_path(msg);
    for (auto& [net, group] : nets) {
        std::string on = nets.size() == 1 && net == "loopback" ? "" : " on " + net;
        // A ranking that left a transport out says so where it is read.
        std::string out;
        std::set<std::string> named;
        for (auto& r : group)
            if (r.relay_bound && named.insert(r.transport).second) out += (out.empty() ? "" : ", ") + r.transport;
        auto with_left_out = [&](std::string line) {
            if (line.empty() || out.empty()) return line;
            line.pop_back(); // the final '.'
            return line + " (left out, limited by the relay: " + out + ").";
        };
        add(with_left_out(lowest(group, "Lowest median latency" + on, "ms", p50_ms, 3, 0.20)));
        add(with_left_out(lowest(group, "Lowest p99 latency" + on, "ms", p99_ms, 3, 2.0)));
        // TLS roughly doubles the server's CPU per message: per path too.
        add(lowest(measured(group), "Least server CPU per delivered message" + on, "µs", server_cpu_us_per_msg, 2, 0.28));
    }
    // Connection costs rank per path too: TLS multiplies memory and
    // handshake bytes for every transport alike.
    auto conn_paths = by_path(conn);
    for (auto& [p, group] : conn_paths) {
        std::string on = conn_paths.size() == 1 && p == "loopback" ? "" : " on " + p;
        add(lowest(measured(group), "Least server memory per connection" + on, "B", rss_per_conn, 0, 0.44));
        add(lowest(group, "Fewest handshake bytes" + on, "B", [](auto& r) { return r.handshake_bytes; }, 1, 0.01));
        add(lowest(group, "Fewest idle bytes per connection per minute" + on, "B",
                   [](auto& r) { return r.idle_bytes_per_conn_per_min; }, 1, 0.01));
    }
    for (auto& s : breaks(rows)) add(s);
    for (auto& s : path_effects(rows)) add(s);
    for (auto& s : peer_ratios(rows)) add(s);
    for (auto& s : limits(rows)) add(s);
    return v;
}

} // namespace rtb
