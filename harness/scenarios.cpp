#include "harness/scenarios.hpp"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "harness/clock.hpp"
#include "harness/control_client.hpp"
#include "harness/runner.hpp"
#include "harness/schedule.hpp"

namespace rtb {

double scenario_driver::warmup_s(const run_settings& s) const { return s.warmup_s; }

namespace {

// push: the server publishes at the point's rate to every client; each
// client must receive every message due in the window. Several server
// processes (--server-procs) share no broker: each publishes to its own
// clients on the first one's schedule (one t0, one rate) from the same
// first number, so every client is due the same numbers whichever server
// it reached, and "delivered" means what it means with one.
class push_driver final : public scenario_driver {
public:
    std::int64_t begin_load(point_context& c) override {
        auto st = c.srv.call("POST", publish_call(c, 0));
        schedule_ = {json_int(st, "pub_t0_ns").value_or(now_ns()), c.p.rate_hz};
        first_seq_ = static_cast<std::uint64_t>(json_int(st, "pub_first_seq").value_or(1));
        for (std::size_t k = 1; k < c.servers.size(); ++k) {
            auto o = c.servers[k]->call("POST", publish_call(c, schedule_.t0_ns));
            auto t0 = json_int(o, "pub_t0_ns"), first = json_int(o, "pub_first_seq");
            if (t0 != schedule_.t0_ns || !first || static_cast<std::uint64_t>(*first) != first_seq_)
                throw std::runtime_error(fmt::format(
                    "server process {} of {} publishes from number {} at {} ns, the first from {} at {} ns: their "
                    "clients would not be due the same messages", k + 1, c.servers.size(), first.value_or(0),
                    t0.value_or(0), first_seq_, schedule_.t0_ns));
        }
        return schedule_.t0_ns;
    }
    void end_load(point_context& c, std::int64_t ms, std::int64_t me) override {
        // The window ends with the first server to stop: a message not
        // published by every server was not due to every client. A server
        // behind its clients answers after its backlog (100,000 WebSocket
        // subscribers on 2 cores took over 5 s): the point waits for it,
        // up to 30 s, since without its count the window has no end.
        auto published = std::numeric_limits<std::uint64_t>::max();
        for (auto* one : c.servers)
            published = std::min(published, static_cast<std::uint64_t>(
                                                 json_int(one->call("POST", "/control/stop", 30'000), "pub_count").value_or(0)));
        win_ = schedule_.window(ms, me);
        win_.second = std::min(win_.second, published);
        win_.first = std::min(win_.first, win_.second);
    }
    bool drained(point_context& c) override {
        if (win_.second == win_.first) return true;
        return c.load.min_highest() >= first_seq_ + win_.second - 1;
    }
    due_window due() const override {
        if (win_.second == win_.first) return {};
        return {first_seq_ + win_.first, first_seq_ + win_.second - 1, {}};
    }

private:
    static std::string publish_call(const point_context& c, std::int64_t t0) {
        return fmt::format("/control/publish?rate={}&payload={}&kind={}{}", c.p.rate_hz, c.p.payload,
                           payload_kind_name(c.p.kind), t0 ? fmt::format("&t0={}", t0) : std::string());
    }

    rate_schedule schedule_;
    std::uint64_t first_seq_ = 0;
    std::pair<std::uint64_t, std::uint64_t> win_{0, 0}; // publisher indices [first, last + 1)
};

// The sending clients' (echo: all, broadcast: the publishers) first sends
// spread evenly over one period, half a slot after t0: the window opens a
// whole number of periods after t0 with the default warm-up, and a send due
// at its very edge races the mark (its record on one side, its answer on
// the other).
void start_sends(point_context& c, std::int64_t t0, std::size_t senders) {
    auto spread = static_cast<std::int64_t>(1e9 / c.p.rate_hz / static_cast<double>(senders));
    c.load.start_echo(c.p.rate_hz, t0 + spread / 2, spread);
}

// echo: each client sends to itself through the server at the point's rate
// and gets every one of its sends due in the window back.
class echo_driver final : public scenario_driver {
public:
    std::int64_t begin_load(point_context&) override { return now_ns() + 50'000'000; }
    void window_set(point_context& c, std::int64_t t0) override { start_sends(c, t0, c.p.clients); }
    bool drained(point_context& c) override { return c.load.echo_drained(); }
    // Each client's own sends in the window: the load threads know them.
};

// broadcast: the first --publishers clients each send at the point's rate
// to every client (rtbench's server: an upstream record to "all"; an
// external one: whatever a broadcast server does with a message); every
// client, the publishers too, must receive every send due in the window.
class broadcast_driver final : public scenario_driver {
public:
    std::int64_t begin_load(point_context&) override { return now_ns() + 50'000'000; }
    void window_set(point_context& c, std::int64_t t0) override { start_sends(c, t0, publishers(c)); }
    // A send due in the window goes out when its timer fires, which on a busy
    // load thread may be after the window closed: each publisher's window is
    // read again at every look at the drain, and once more when the threads
    // have stopped, before anything is counted.
    void end_load(point_context& c, std::int64_t, std::int64_t) override { read_windows(c); }
    void stopped(point_context& c) override { read_windows(c); }
    bool drained(point_context& c) override {
        read_windows(c);
        return c.load.broadcast_drained(wins_);
    }
    due_window due() const override { return {1, 0, wins_}; }

private:
    static std::size_t publishers(const point_context& c) { return std::min(c.s.publishers, c.p.clients); }
    void read_windows(point_context& c) {
        wins_.assign(publishers(c), {});
        for (std::size_t i = 0; i < wins_.size(); ++i) wins_[i].index = i; // empty until its publisher says
        for (auto& w : c.load.publisher_windows())
            if (w.index < wins_.size()) wins_[w.index] = w;
    }
    std::vector<publisher_window> wins_;
};

// connect: the connections just opened sit idle through the window; what
// they cost in bytes (polls, heartbeats) is the scenario's column.
class connect_driver final : public scenario_driver {
public:
    std::int64_t begin_load(point_context&) override { return now_ns(); }
    double warmup_s(const run_settings&) const override { return 0; }
    void finish(point_context& c, const snapshot& a, const snapshot& b, result_row& r) override {
        double minutes = static_cast<double>(b.t - a.t) / 60e9;
        auto idle = b.wire - a.wire;
        r.idle_bytes_per_conn_per_min =
            static_cast<double>(idle.down + idle.up) / static_cast<double>(std::max<std::size_t>(1, c.ready)) / minutes;
    }
};

} // namespace

std::unique_ptr<scenario_driver> make_driver(scenario sc) {
    switch (sc) {
    case scenario::push: return std::make_unique<push_driver>();
    case scenario::echo: return std::make_unique<echo_driver>();
    case scenario::connect: return std::make_unique<connect_driver>();
    case scenario::broadcast: return std::make_unique<broadcast_driver>();
    }
    return nullptr;
}

} // namespace rtb
