#include "harness/spread.hpp"

#include <algorithm>
#include <ostream>
#include <string_view>

#include <fmt/format.h>

namespace rtb {

spread spread_of(std::vector<double> v) {
    spread s;
    s.n = v.size();
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.lo = v.front();
    s.hi = v.back();
    std::size_t m = v.size() / 2;
    s.median = v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
    return s;
}

bool same_point(const result_row& a, const result_row& b) {
    return a.transport == b.transport && a.scenario == b.scenario && a.clients == b.clients && a.rate_hz == b.rate_hz &&
           a.payload_bytes == b.payload_bytes && a.payload_kind == b.payload_kind && a.net == b.net && a.tls == b.tls &&
           a.via == b.via && a.headers == b.headers;
}

const std::vector<headline>& headlines(bool connect) {
    static const std::vector<headline> msg = {
        {"rx_latency_p50_ms", p50_ms},
        {"rx_latency_p99_ms", p99_ms},
        {"delivered_per_s", delivered_per_s},
        {"server_cpu_us_per_msg", server_cpu_us_per_msg},
        {"framing_bytes_per_msg", framing_per_msg},
    };
    static const std::vector<headline> conn = {
        {"connect_p50_ms", [](const result_row& r) { return static_cast<double>(r.connect.percentile(50)) / 1e6; }},
        {"server_rss_bytes_per_conn", [](const result_row& r) { return r.server_rss_bytes_per_conn; }},
        {"handshake_bytes", [](const result_row& r) { return r.handshake_bytes; }},
        {"idle_bytes_per_conn_per_min", [](const result_row& r) { return r.idle_bytes_per_conn_per_min; }},
    };
    return connect ? conn : msg;
}

namespace {

// The repeats of each point, in the order the points first ran.
std::vector<std::vector<const result_row*>> groups(const std::vector<result_row>& rows) {
    std::vector<std::vector<const result_row*>> out;
    for (auto& r : rows) {
        auto it = std::find_if(out.begin(), out.end(), [&](auto& g) { return same_point(*g.front(), r); });
        if (it == out.end()) out.push_back({&r});
        else it->push_back(&r);
    }
    return out;
}

// Over the runs that can be compared only: a run that failed, lost
// messages or was limited by the generator has figures of another kind
// (0 when nothing arrived), which would drag the median and the minimum.
spread over(const std::vector<const result_row*>& g, const headline& h) {
    std::vector<double> v;
    // A server figure of a server that was not measured (an external
    // target's) is no figure at all, not 0.
    bool server_figure = std::string_view(h.name).starts_with("server_");
    for (auto* r : g)
        if (comparable(*r) && (r->server_measured || !server_figure)) v.push_back(h.value(*r));
    return spread_of(std::move(v));
}

} // namespace

void write_spread_csv(std::ostream& os, const std::vector<result_row>& rows) {
    os << "transport,scenario,clients,rate_hz,payload_bytes,payload_kind,net,tls,via,figure,n,median,min,max\n";
    for (auto& g : groups(rows)) {
        auto& r = *g.front();
        for (auto& h : headlines(r.scenario == "connect")) {
            auto s = over(g, h);
            std::string cells = s.n ? fmt::format("{:.3f},{:.3f},{:.3f}", s.median, s.lo, s.hi) : ",,";
            os << fmt::format("{},{},{},{:.3f},{},{},{},{},{},{},{},{}\n", r.transport, r.scenario, r.clients, r.rate_hz,
                              r.payload_bytes, r.payload_kind, r.net, r.tls, r.via, h.name, s.n, cells);
        }
    }
}

void write_spread_summary(std::ostream& os, const std::vector<result_row>& rows) {
    auto gs = groups(rows);
    if (std::none_of(gs.begin(), gs.end(), [](auto& g) { return g.size() > 1; })) return;
    os << "\nMedian [min–max] over repeats:\n";
    bool connect_header = false, msg_header = false;
    for (auto& g : gs) {
        auto& r = *g.front();
        bool connect = r.scenario == "connect";
        bool& said = connect ? connect_header : msg_header;
        if (!said) {
            std::string heads;
            for (auto& h : headlines(connect)) heads += fmt::format(" {:>24}", h.name);
            os << fmt::format("{:<13} {:<9} {:>7} {:>8} {:>7} {:>5}{}  path\n", "transport", "scenario", "clients",
                              "rate/s", "payload", "n", heads);
            said = true;
        }
        std::string cells;
        std::size_t n = 0;
        for (auto& h : headlines(connect)) {
            auto s = over(g, h);
            n = s.n;
            cells += fmt::format(" {:>24}", s.n ? fmt::format("{:.4g} [{:.4g}–{:.4g}]", s.median, s.lo, s.hi) : "–");
        }
        // n: the runs that could be compared, of all the point's runs.
        os << fmt::format("{:<13} {:<9} {:>7} {:>8.4g} {:>7} {:>5}{}  {}\n", r.transport, r.scenario, r.clients,
                          r.rate_hz, r.payload_bytes, fmt::format("{}/{}", n, g.size()), cells, path_label(r));
    }
}

} // namespace rtb
