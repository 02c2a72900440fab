#pragma once
// One small type per scenario. run_point (runner.cpp) walks the phases
// connect -> warm-up -> measure -> drain (h2load's names) and calls the
// scenario at each boundary; all a scenario decides is how load starts and
// stops, when the drain is done, which messages each client should have
// received, and any columns of its own.
#include <cstdint>
#include <memory>
#include <vector>

#include "harness/load.hpp"
#include "harness/report.hpp"
#include "harness/seq_tracker.hpp"

namespace rtb {

struct point;
struct run_settings;
class server_process;

// The byte and CPU counters taken at one edge of the measure window.
struct snapshot {
    std::int64_t t = 0, server_cpu = 0, client_cpu = 0, relay_cpu = 0, proxy_cpu = 0;
    std::uint64_t relay_rss = 0;
    wire_bytes wire;
    std::vector<std::int64_t> client_proc_cpu; // each process of the load generator (client_cpu: their sum)
    std::vector<std::int64_t> server_proc_cpu; // each server process (server_cpu: their sum)
};

// What a scenario may use while a point runs.
struct point_context {
    const point& p;
    const run_settings& s;
    server_process& srv; // the first server process
    load_worker& load; // every client, on this process's threads or on load processes
    std::size_t ready = 0; // clients connected after the connect phase
    std::vector<server_process*> servers = {}; // every server process (--server-procs), srv first
};

class scenario_driver {
public:
    virtual ~scenario_driver() = default;
    // Warm-up begins: returns t0, the time load starts (push: the server's
    // first due time).
    virtual std::int64_t begin_load(point_context& c) = 0;
    // Seconds from t0 to the measure window (connect: none, it idles).
    virtual double warmup_s(const run_settings& s) const;
    // Called once the window is known to every load thread.
    virtual void window_set(point_context&, std::int64_t /*t0*/) {}
    // Measure ends: stop offering load.
    virtual void end_load(point_context&, std::int64_t /*ms*/, std::int64_t /*me*/) {}
    // Drain: true once everything due in the window has arrived.
    virtual bool drained(point_context&) { return true; }
    // The load threads have stopped (joined): a last read of their state.
    virtual void stopped(point_context&) {}
    // What each client was due in the window (counted where the clients are).
    virtual due_window due() const { return {}; }
    // The scenario's own columns, from the two window snapshots.
    virtual void finish(point_context&, const snapshot& /*a*/, const snapshot& /*b*/, result_row&) {}
};

std::unique_ptr<scenario_driver> make_driver(scenario sc);

} // namespace rtb
