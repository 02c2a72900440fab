#include "harness/load_worker.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "harness/message.hpp"
#include "harness/split.hpp"

namespace rtb {

// ---- load_results ------------------------------------------------------------

void load_results::merge(const load_results& o) {
    latency.merge(o.latency);
    latency_uncorrected.merge(o.latency_uncorrected);
    connect.merge(o.connect);
    rx_latency.merge(o.rx_latency);
    generator_delay.merge(o.generator_delay);
    rx_unstamped += o.rx_unstamped;
    tcp_connect.merge(o.tcp_connect);
    tls_handshake.merge(o.tls_handshake);
    tls_handshakes += o.tls_handshakes;
    tls_resumed += o.tls_resumed;
    tls_versions.insert(o.tls_versions.begin(), o.tls_versions.end());
    handshake_down_sum += o.handshake_down_sum;
    handshake_up_sum += o.handshake_up_sum;
    received_in_window += o.received_in_window;
    payload_in_window += o.payload_in_window;
    gaps += o.gaps;
    corrupt += o.corrupt;
    app_bytes_in_window += o.app_bytes_in_window;
    envelope_in_window += o.envelope_in_window;
    reconnects += o.reconnects;
    max_send_lag_ns = std::max(max_send_lag_ns, o.max_send_lag_ns);
    counts += o.counts;
    if (first_drop.empty()) first_drop = o.first_drop;
}

namespace {

// Every field once, by name: encode and decode walk the same table, so a
// field added to one cannot be missed by the other.
template <class R>
void each_field(R& r, const std::function<void(std::string_view, histogram*, std::uint64_t*, std::int64_t*)>& f) {
    f("latency", &r.latency, nullptr, nullptr);
    f("latency_uncorrected", &r.latency_uncorrected, nullptr, nullptr);
    f("connect", &r.connect, nullptr, nullptr);
    f("rx_latency", &r.rx_latency, nullptr, nullptr);
    f("generator_delay", &r.generator_delay, nullptr, nullptr);
    f("tcp_connect", &r.tcp_connect, nullptr, nullptr);
    f("tls_handshake", &r.tls_handshake, nullptr, nullptr);
    for (auto [name, v] : {std::pair<std::string_view, std::uint64_t*>{"rx_unstamped", &r.rx_unstamped},
                           {"tls_handshakes", &r.tls_handshakes},
                           {"tls_resumed", &r.tls_resumed},
                           {"handshake_down_sum", &r.handshake_down_sum},
                           {"handshake_up_sum", &r.handshake_up_sum},
                           {"received_in_window", &r.received_in_window},
                           {"payload_in_window", &r.payload_in_window},
                           {"gaps", &r.gaps},
                           {"corrupt", &r.corrupt},
                           {"app_bytes_in_window", &r.app_bytes_in_window},
                           {"envelope_in_window", &r.envelope_in_window},
                           {"reconnects", &r.reconnects},
                           {"delivered", &r.counts.delivered},
                           {"lost", &r.counts.lost},
                           {"duplicated", &r.counts.duplicated},
                           {"reordered", &r.counts.reordered},
                           {"in_flight", &r.counts.in_flight}})
        f(name, nullptr, v, nullptr);
    f("max_send_lag_ns", nullptr, nullptr, &r.max_send_lag_ns);
}

// Free text in one field: no tab or line break can end it early.
std::string one_line(std::string s) {
    std::replace_if(s.begin(), s.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
    return s;
}

} // namespace

// Tab-separated name=value fields; the TLS versions comma-separated.
std::string load_results::encode() const {
    std::string out;
    each_field(const_cast<load_results&>(*this), [&](std::string_view name, histogram* h, std::uint64_t* u, std::int64_t* i) {
        out += fmt::format("{}={}\t", name, h ? h->encode() : u ? std::to_string(*u) : std::to_string(*i));
    });
    std::string versions;
    for (auto& v : tls_versions) versions += (versions.empty() ? "" : ",") + v;
    out += "tls_versions=" + one_line(versions) + "\tfirst_drop=" + one_line(first_drop);
    return out;
}

load_results load_results::decode(std::string_view line) {
    std::map<std::string, std::string, std::less<>> kv;
    for (auto field : split_on(line, '\t')) {
        auto eq = field.find('=');
        if (eq == std::string_view::npos) throw std::invalid_argument("load results: a field without '=': " + std::string(field));
        kv.emplace(std::string(field.substr(0, eq)), std::string(field.substr(eq + 1)));
    }
    load_results r;
    auto take = [&](std::string_view name) -> const std::string& {
        auto it = kv.find(name);
        if (it == kv.end()) throw std::invalid_argument("load results: no field " + std::string(name));
        return it->second;
    };
    each_field(r, [&](std::string_view name, histogram* h, std::uint64_t* u, std::int64_t* i) {
        const auto& v = take(name);
        bool ok = h ? (*h = histogram::decode(v), true) : u ? parse_u64(v, *u) : parse_i64(v, *i);
        if (!ok) throw std::invalid_argument(fmt::format("load results: {}='{}' is not a number", name, v));
    });
    for (auto v : split_on(take("tls_versions"), ','))
        r.tls_versions.insert(std::string(v));
    r.first_drop = take("first_drop");
    return r;
}

// ---- load_group --------------------------------------------------------------

void load_group::start(std::size_t concurrency, double rate_hz) {
    auto n = members_.size();
    for (auto& m : members_)
        m->start(std::max<std::size_t>(1, concurrency / n), rate_hz / static_cast<double>(n));
}

load_worker::progress load_group::connect_progress() {
    progress p;
    for (auto& m : members_) {
        auto q = m->connect_progress();
        p.ready += q.ready;
        p.stuck += q.stuck;
        if (p.failure.empty()) p.failure = q.failure;
    }
    return p;
}

void load_group::set_window(std::int64_t ms, std::int64_t me) {
    for (auto& m : members_) m->set_window(ms, me);
}

void load_group::start_echo(double rate_hz, std::int64_t t0, std::int64_t spread_ns) {
    for (auto& m : members_) m->start_echo(rate_hz, t0, spread_ns);
}

std::vector<publisher_window> load_group::publisher_windows() {
    std::vector<publisher_window> out;
    for (auto& m : members_)
        for (auto& w : m->publisher_windows()) out.push_back(w);
    return out;
}

wire_bytes load_group::mark_window(bool open) {
    wire_bytes w;
    for (auto& m : members_) w += m->mark_window(open);
    return w;
}

std::uint64_t load_group::min_highest() {
    std::uint64_t v = UINT64_MAX;
    for (auto& m : members_) v = std::min(v, m->min_highest());
    return v;
}

bool load_group::echo_drained() {
    for (auto& m : members_)
        if (!m->echo_drained()) return false;
    return true;
}

bool load_group::broadcast_drained(const std::vector<publisher_window>& wins) {
    for (auto& m : members_)
        if (!m->broadcast_drained(wins)) return false;
    return true;
}

void load_group::close_all() {
    for (auto& m : members_) m->close_all();
}

void load_group::stop() {
    for (auto& m : members_) m->stop();
}

load_results load_group::results(const due_window& due) {
    load_results r;
    for (auto& m : members_) r.merge(m->results(due));
    return r;
}

std::vector<int> load_group::pids() const {
    std::vector<int> out;
    for (auto& m : members_)
        for (int p : m->pids())
            if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    return out;
}

} // namespace rtb
