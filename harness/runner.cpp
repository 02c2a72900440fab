#include "harness/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "harness/clock.hpp"
#include "harness/control_client.hpp"
#include "harness/load_process.hpp"
#include "harness/procstat.hpp"
#include "harness/scenarios.hpp"
#include "harness/sockmem.hpp"
#include "netem/relay_process.hpp"

namespace rtb {

scenario parse_scenario(const std::string& s) {
    if (s == "push") return scenario::push;
    if (s == "echo") return scenario::echo;
    if (s == "connect") return scenario::connect;
    if (s == "broadcast") return scenario::broadcast;
    throw std::invalid_argument("unknown scenario '" + s + "' (push, echo, broadcast or connect)");
}

const char* scenario_name(scenario s) {
    switch (s) {
    case scenario::push: return "push";
    case scenario::echo: return "echo";
    case scenario::connect: return "connect";
    case scenario::broadcast: return "broadcast";
    }
    return "?";
}

// ---- run_point: the phases -------------------------------------------------------

namespace {

std::int64_t secs(double s) { return static_cast<std::int64_t>(s * 1e9); }

// The servers of a point: one, or with --server-procs one per process, each
// on its own port.
using server_set = std::vector<std::unique_ptr<server_process>>;

server_set start_servers(const point& p, const run_settings& s) {
    server_set out;
    if (s.target.active()) {
        out.push_back(std::make_unique<server_process>(s.target));
        return out;
    }
    for (std::size_t k = 0; k < s.server_procs; ++k)
        out.push_back(std::make_unique<server_process>(s, *p.transport, (p.clients + s.server_procs - 1) / s.server_procs));
    return out;
}

// Every server process's memory, summed (-1 pids, a target's unknown, read as zero).
memory_usage server_memory(const server_set& srv) {
    memory_usage m;
    for (auto& one : srv) {
        auto x = process_memory(one->pid());
        m.rss_bytes += x.rss_bytes;
        m.peak_bytes += x.peak_bytes;
    }
    return m;
}

// The load generator's processes: this one and its load processes.
std::vector<int> client_pids(load_worker& load) {
    auto pids = load.pids();
    if (std::find(pids.begin(), pids.end(), ::getpid()) == pids.end()) pids.insert(pids.begin(), ::getpid());
    return pids;
}

// `open`: the measure window starts (true) or ends (false) here: each load
// thread reads its bytes and flips its message counting in one task.
snapshot take(server_set& srv, relay_process* relay, proxy_process* proxy, load_worker& load, bool open) {
    snapshot s;
    if (proxy) s.proxy_cpu = process_cpu_ns(proxy->pid());
    s.wire = load.mark_window(open);
    for (auto& one : srv) {
        s.server_proc_cpu.push_back(process_cpu_ns(one->pid()));
        s.server_cpu += s.server_proc_cpu.back();
    }
    for (int pid : client_pids(load)) {
        s.client_proc_cpu.push_back(process_cpu_ns(pid));
        s.client_cpu += s.client_proc_cpu.back();
    }
    if (relay) {
        s.relay_cpu = process_cpu_ns(relay->pid());
        s.relay_rss = process_memory(relay->pid()).rss_bytes;
        if (open) relay->command("open", false); // its lateness counts from here
    }
    s.t = now_ns();
    return s;
}

// The relay's figures for the row, and whether it kept up: more than 90 %
// of its one core, or bytes leaving later than the model said by more than
// 1 ms or 5 % of the one-way delay (whichever is more) at p99, means the
// relay, not the transport or the profile, set part of the latency. The
// 5 % keeps a timer waking a millisecond late on a 100 ms path (seen on
// this VM with the relay idle) from voiding a row it barely touches.
// Read right after the drain, before the clients close (their FINs and
// final answers are not the load being measured).
void relay_figures(relay_process& relay, const snapshot& a, const snapshot& b, result_row& r) {
    auto st = relay.command("stats", true);
    r.relay = true;
    r.relay_cpu_ns = b.relay_cpu - a.relay_cpu;
    r.relay_rss_bytes = b.relay_rss;
    r.relay_lateness_p99_ns = static_cast<std::uint64_t>(json_int(st, "late_p99_ns").value_or(0));
    r.relay_lateness_max_ns = static_cast<std::uint64_t>(json_int(st, "late_max_ns").value_or(0));
    double util = r.window_s > 0 ? static_cast<double>(r.relay_cpu_ns) / 1e9 / r.window_s : 0;
    if (util > 0.9) {
        r.relay_bound = true;
        r.warnings.push_back(fmt::format("the impairment relay used {:.0f}% of its core: latency includes its own queueing; "
                                         "lower the load or use fewer clients per run", util * 100));
    } else if (double limit = std::max(1e6, 0.05 * r.net_rtt_ms / 2 * 1e6); static_cast<double>(r.relay_lateness_p99_ns) > limit) {
        r.relay_bound = true;
        r.warnings.push_back(fmt::format("the impairment relay made 1% of its releases {:.1f} ms or more after the network "
                                         "model's time (the limit: {:.1f} ms, 1 ms or 5 % of the one-way delay): latency "
                                         "includes the relay's own delay",
                                         static_cast<double>(r.relay_lateness_p99_ns) / 1e6, limit / 1e6));
    }
}

void set_net(const net_profile& n, result_row& r) {
    r.net = n.name;
    r.net_rtt_ms = n.rtt_ms;
    r.net_jitter_ms = n.jitter_ms;
    r.net_down_bps = n.down_bps;
    r.net_up_bps = n.up_bps;
    r.net_loss = n.loss;
    r.net_resets_per_min = n.resets_per_min;
}

void sleep_until(std::int64_t t, const run_settings& s, const char* phase, std::int64_t from) {
    while (true) {
        std::int64_t now = now_ns();
        if (now >= t) return;
        if (s.progress) s.progress(phase, t > from ? static_cast<double>(now - from) / static_cast<double>(t - from) : 1.0);
        std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(t - now, 200'000'000)));
    }
}

result_row empty_row(const point& p, const run_settings& s) {
    result_row r;
    r.transport = std::string(p.transport->name);
    r.scenario = scenario_name(p.sc);
    r.clients = p.clients;
    r.rate_hz = p.sc == scenario::connect ? 0 : p.rate_hz;
    r.payload_bytes = p.sc == scenario::connect ? 0 : p.payload;
    r.payload_kind = p.sc == scenario::connect ? "" : payload_kind_name(p.kind);
    r.duration_s = s.duration_s;
    r.client_threads = s.client_threads;
    r.client_procs = s.client_procs;
    // A peer is one Node.js event loop whatever --server-threads says.
    if (!s.target.active()) r.server_threads = p.transport->peer_script.empty() ? s.server_threads : 1;
    r.client_work_us = s.client_work_us;
    set_net(s.net, r);
    r.tls = s.tls.version;
    r.via = s.via.name;
    r.headers = s.client.headers == header_profile::browser ? "browser" : "minimal";
    r.proxy = s.via.active();
    r.target = s.target.url;
    if (p.sc == scenario::broadcast) r.publishers = std::min(s.publishers, p.clients);
    r.server_measured = !s.target.active() || s.target.pid > 0;
    if (s.tls.client) {
        r.tls_cert = s.tls.cert;
        r.tls_resume = s.tls.resume;
    }
    return r;
}

} // namespace

std::string source_address(std::size_t i, std::size_t n) {
    return n ? fmt::format("127.0.0.{}", 2 + i % n) : std::string();
}

std::unique_ptr<load_group> make_load_threads(const point& p, const run_settings& s,
                                              const std::vector<std::uint16_t>& ports, std::size_t proc, std::size_t procs) {
    std::vector<std::unique_ptr<load_thread>> threads;
    for (std::size_t i = 0; i < s.client_threads; ++i)
        threads.push_back(std::make_unique<load_thread>(*p.transport, p.sc, p.payload, p.kind,
                                                       static_cast<std::int64_t>(s.client_work_us * 1000)));
    for (std::size_t i = proc, n = 0; i < p.clients; i += procs, ++n) {
        client_config cfg = s.client;
        cfg.port = ports[i % ports.size()];
        cfg.source = source_address(i, s.source_addrs);
        // An external server, straight or through the relay (on 127.0.0.1).
        if (s.target.active()) {
            if (!s.net.relay) cfg.host = s.target.host;
            cfg.target = s.target.request_target;
            cfg.authority = s.target.authority;
        }
        cfg.id = "c" + std::to_string(i);
        cfg.tls = s.tls.client;
        threads[n % threads.size()]->add_session(i, cfg);
    }
    std::vector<std::unique_ptr<load_worker>> members;
    for (auto& t : threads) {
        t->set_upstream(s.target.active(), std::min(s.publishers, p.clients));
        members.push_back(std::move(t));
    }
    return std::make_unique<load_group>(std::move(members));
}

std::vector<std::string> load_worker_args(const point& p, const run_settings& s, const std::vector<std::uint16_t>& ports,
                                          std::size_t proc, std::size_t procs) {
    std::string port_list;
    for (auto port : ports) port_list += (port_list.empty() ? "" : ",") + std::to_string(port);
    if (s.tls.client) throw std::runtime_error("TLS clients in load processes are not built: use --client-procs 1");
    std::vector<std::string> a = {"--transport", std::string(p.transport->name), "--scenario", scenario_name(p.sc),
                                  "--clients", std::to_string(p.clients), "--payload", std::to_string(p.payload),
                                  "--payload-kind", payload_kind_name(p.kind), "--client-threads",
                                  std::to_string(s.client_threads), "--client-work-us", fmt::format("{}", s.client_work_us),
                                  "--headers", s.client.headers == header_profile::browser ? "browser" : "minimal",
                                  "--max-message", std::to_string(s.client.max_message), "--publishers",
                                  std::to_string(s.publishers), "--ports", port_list, "--source-addrs",
                                  std::to_string(s.source_addrs), "--proc",
                                  std::to_string(proc), "--procs", std::to_string(procs)};
    if (s.target.active()) {
        a.insert(a.end(), {"--host", s.net.relay ? std::string("127.0.0.1") : s.target.host, "--target-path",
                           s.target.request_target, "--authority", s.target.authority});
    }
    for (auto& [name, value] : s.client.transport.all()) a.insert(a.end(), {"--option", fmt::format("{}={}", name, value)});
    return a;
}

namespace {

// The clients of a point: on this process's threads, or with
// --client-procs on load processes of their own (clients dealt out by index).
std::unique_ptr<load_group> make_load(const point& p, const run_settings& s, const std::vector<std::uint16_t>& port) {
    if (s.client_procs <= 1) return make_load_threads(p, s, port);
    std::vector<std::unique_ptr<load_worker>> procs;
    for (std::size_t k = 0; k < s.client_procs; ++k)
        procs.push_back(std::make_unique<load_process>(s.rtbench_bin, load_worker_args(p, s, port, k, s.client_procs),
                                                       s.load_log,
                                                       fmt::format("load process {} of {}", k + 1, s.client_procs)));
    return std::make_unique<load_group>(std::move(procs));
}

// Connect phase: every client connects and subscribes (or the ready
// timeout passes). Returns how many are ready.
std::size_t connect_phase(point_context& c, result_row& r) {
    std::int64_t start = now_ns();
    c.load.start(c.s.connect_concurrency, c.s.connect_rate);
    std::size_t ready = 0, stuck = 0;
    std::string why;
    for (;;) {
        auto pr = c.load.connect_progress();
        ready = pr.ready, stuck = pr.stuck, why = pr.failure;
        // Every client is ready, or the rest have each failed a few times
        // in a row (a refused upgrade, a failed handshake): waiting for the
        // ready timeout would only delay the row that says so.
        if (ready == c.p.clients || ready + stuck >= c.p.clients || now_ns() - start > secs(c.s.ready_timeout_s)) break;
        if (c.s.progress) c.s.progress("connect", static_cast<double>(ready) / static_cast<double>(c.p.clients));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (ready < c.p.clients) {
        r.failure = why.empty() ? fmt::format("{} of {} clients not ready within the {} s ready timeout (a proxy "
                                              "holding the response header, or a server too slow to accept)",
                                              c.p.clients - ready, c.p.clients, c.s.ready_timeout_s)
                                : fmt::format("{} of {} clients never connected: {}", c.p.clients - ready, c.p.clients, why);
        r.warnings.push_back(stuck ? r.failure
                                   : fmt::format("only {} of {} clients connected within {} s{}", ready, c.p.clients,
                                                 c.s.ready_timeout_s, why.empty() ? "" : " (" + why + ")"));
    }
    return ready;
}

// Drain phase: wait for messages due in the window that are still in
// flight: 2 s plus three times the longest a transport makes a message
// wait by design (a poll interval), unless --drain says otherwise.
void drain_phase(point_context& c, scenario_driver& d) {
    double wait_s = 0;
    if (c.p.transport->max_delivery_wait)
        wait_s = static_cast<double>(c.p.transport->max_delivery_wait(c.s.client.transport).count()) / 1000.0;
    double drain = c.s.drain_s > 0 ? c.s.drain_s : 2.0 + 3.0 * wait_s;
    std::int64_t start = now_ns(), end = start + secs(drain);
    while (now_ns() < end && !d.drained(c)) {
        if (c.s.progress) c.s.progress("drain", static_cast<double>(now_ns() - start) / static_cast<double>(end - start));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// What the load generator measured (merged over its threads and
// processes), into the row.
void merge_results(point_context& c, const load_results& t, result_row& r) {
    r.latency = t.latency;
    r.latency_uncorrected = t.latency_uncorrected;
    r.rx_latency = t.rx_latency;
    r.generator_delay = t.generator_delay;
    r.rx_unstamped = t.rx_unstamped;
    r.connect = t.connect;
    r.tcp_connect = t.tcp_connect;
    r.tls_handshake = t.tls_handshake;
    r.tls_handshakes = t.tls_handshakes;
    r.tls_resumed = t.tls_resumed;
    r.tls_negotiated = t.tls_versions;
    r.received_in_window = t.received_in_window;
    r.payload_in_window = t.payload_in_window;
    r.app_bytes_in_window = t.app_bytes_in_window;
    r.envelope_in_window = t.envelope_in_window;
    r.gaps_reported = t.gaps;
    r.corrupt = t.corrupt;
    r.reconnects = t.reconnects;
    r.reconnect_cause = t.first_drop;
    r.max_send_lag_us = static_cast<double>(t.max_send_lag_ns) / 1000.0;
    r.delivered = t.counts.delivered;
    r.lost = t.counts.lost;
    r.duplicated = t.counts.duplicated;
    r.reordered = t.counts.reordered;
    r.in_flight_at_end = t.counts.in_flight;
    r.expected = r.delivered + r.lost;
    auto per_ready = [&](std::uint64_t sum) { return c.ready ? static_cast<double>(sum) / static_cast<double>(c.ready) : 0; };
    r.handshake_bytes = per_ready(t.handshake_down_sum + t.handshake_up_sum);
    r.handshake_down_bytes = per_ready(t.handshake_down_sum);
    r.handshake_up_bytes = per_ready(t.handshake_up_sum);
}

// Honesty: say when the load generator, not the server, was the limit, and
// every way the delivery went wrong, in words.
void add_warnings(const point& p, const run_settings& s, result_row& r) {
    // Any load process over 90 % of its threads: the one that fell behind
    // delays its clients whatever the others did.
    std::size_t clients_side = 0;
    for (auto& pr : r.processes) clients_side += pr.role != "server";
    for (std::size_t k = 0; k < clients_side; ++k) {
        auto& pr = r.processes[k];
        double util = r.window_s > 0 ? static_cast<double>(pr.cpu_ns) / 1e9 / r.window_s : 0;
        bool here = clients_side == 1; // the clients run in the run process
        bool coordinator = pr.role == "run";
        std::size_t threads = coordinator && !here ? 1 : s.client_threads;
        if (util <= 0.9 * static_cast<double>(threads)) continue;
        r.client_bound = true;
        std::string who = here          ? "the load generator"
                          : coordinator ? "the run process (coordinating the load processes)"
                                        : fmt::format("load process {} of {}", k, clients_side - 1);
        r.warnings.push_back(fmt::format("{} used {:.0f}% of its {} thread(s): its own delay (generator_delay) is "
                                         "outside the headline latency only until its sockets fill, then the server "
                                         "waits for it too; add --client-threads{} or lower the load",
                                         who, util * 100, threads,
                                         s.client_procs > 1 || p.clients > 15000 ? " or --client-procs" : ""));
        break;
    }
    if (!p.transport->peer_script.empty() && s.server_threads > 1 && !s.target.active())
        r.warnings.push_back(fmt::format("--server-threads {} does not apply to {}: its server runs on one Node.js "
                                         "event loop", s.server_threads, p.transport->name));
    if (p.sc == scenario::broadcast && s.publishers > p.clients)
        r.warnings.push_back(fmt::format("--publishers {} is more than the {} clients: every client published",
                                         s.publishers, p.clients));
    // The clients' own send loop (echo, broadcast) late: the offered load was not the schedule's.
    if ((p.sc == scenario::echo || p.sc == scenario::broadcast) && r.max_send_lag_us > 10'000) {
        r.client_bound = true;
        r.warnings.push_back(fmt::format("the load generator sent up to {:.1f} ms late (its schedule is corrected for, "
                                         "but the offered load was not steady)", r.max_send_lag_us / 1000));
    }
    if (r.lost > r.in_flight_at_end)
        r.warnings.push_back(fmt::format("{} of {} messages lost: skipped in the sequence (dropped)",
                                         r.lost - r.in_flight_at_end, r.expected));
    if (r.in_flight_at_end)
        r.warnings.push_back(fmt::format(
            "{} of {} messages had not arrived when the drain ended (after the last one each client got): "
            "the system could not keep up; latency percentiles exclude them and are optimistic",
            r.in_flight_at_end, r.expected));
    if (r.rx_unstamped)
        r.warnings.push_back(fmt::format("{} of {} messages carried no kernel receive time: their latency is taken when "
                                         "rtbench processed them (an upper bound)", r.rx_unstamped, r.rx_latency.count()));
    if (r.duplicated) r.warnings.push_back(fmt::format("{} duplicated messages", r.duplicated));
    if (r.corrupt) r.warnings.push_back(fmt::format("{} malformed or corrupted records", r.corrupt));
    if (r.gaps_reported) r.warnings.push_back(fmt::format("{} gap reports (history too short for a reconnect)", r.gaps_reported));
    if (r.slow_consumers) r.warnings.push_back(fmt::format("{} connections dropped as slow consumers", r.slow_consumers));
}

} // namespace

result_row run_point(const point& p, const run_settings& s) {
    result_row r = empty_row(p, s);
    auto servers = start_servers(p, s);
    server_process& srv = *servers.front(); // the one the harness controls, with the others on its schedule (push)
    r.server_procs = s.target.active() ? 0 : servers.size();
    auto base_mem = server_memory(servers);
    // With a network profile, every client connection goes through the
    // relay; the harness's control calls go straight to the server.
    // With a proxy, it stands in front of the server (TLS ends there when
    // the run uses TLS), and the relay, if any, in front of it.
    std::unique_ptr<proxy_process> proxy;
    if (s.via.active())
        proxy = std::make_unique<proxy_process>(s.via, s.proxy_dir, srv.port(), p.clients,
                                                s.tls.client ? s.tls.cert_file : "", s.tls.client ? s.tls.key_file : "",
                                                s.tls.version);
    std::uint16_t front = proxy ? proxy->port() : srv.port();
    std::unique_ptr<relay_process> relay;
    if (s.net.relay)
        relay = std::make_unique<relay_process>(s.rtbench_bin, s.net, front, s.relay_log, static_cast<std::uint64_t>(now_ns()));
    std::vector<std::uint16_t> ports;
    if (relay || proxy) ports = {relay ? relay->port() : front};
    else for (auto& one : servers) ports.push_back(one->port());
    auto load = make_load(p, s, ports);
    std::vector<server_process*> all;
    for (auto& one : servers) all.push_back(one.get());
    point_context c{p, s, srv, *load, 0, std::move(all)};
    c.ready = connect_phase(c, r);

    // Warm-up: load starts at t0; the window opens warmup_s later.
    auto driver = make_driver(p.sc);
    std::int64_t t0 = driver->begin_load(c);
    std::int64_t ms = t0 + secs(driver->warmup_s(s)), me = ms + secs(s.duration_s);
    load->set_window(ms, me);
    driver->window_set(c, t0);
    sleep_until(ms, s, p.sc == scenario::connect ? "idle" : "warm-up", now_ns());

    // Measure.
    snapshot a = take(servers, relay.get(), proxy.get(), *load, true);
    // Server memory per connected client: both columns divide the same way.
    auto per_client = [&](std::uint64_t bytes) {
        return static_cast<double>(bytes) / static_cast<double>(std::max<std::size_t>(1, c.ready));
    };
    // RSS growth over the idle server.
    auto mem = server_memory(servers);
    r.server_rss_window_start_bytes = mem.rss_bytes;
    if (mem.rss_bytes > base_mem.rss_bytes) r.server_rss_bytes_per_conn = per_client(mem.rss_bytes - base_mem.rss_bytes);
    // The kernel's side of the same connections: socket buffers, not in RSS.
    socket_memory kernel;
    for (auto& one : servers)
        if (auto k = tcp_socket_memory(one->port())) kernel.sockets += k->sockets, kernel.bytes += k->bytes;
    if (kernel.sockets) r.server_kernel_bytes_per_conn = per_client(kernel.bytes);
    sleep_until(me, s, p.sc == scenario::connect ? "idle" : "measure", a.t);
    snapshot b = take(servers, relay.get(), proxy.get(), *load, false);
    driver->end_load(c, ms, me);

    drain_phase(c, *driver);

    // Tear down, then merge.
    // Each side's memory: every process of it, each kept apart too.
    // The snapshots list the processes in this order: client_pids, then servers.
    auto window_cpu = [](const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b, std::size_t k) {
        return k < a.size() && k < b.size() ? b[k] - a[k] : 0;
    };
    auto pids = client_pids(*load);
    for (std::size_t k = 0; k < pids.size(); ++k) {
        auto m = process_memory(pids[k]);
        r.client_rss_bytes += m.rss_bytes;
        r.client_rss_peak_bytes += m.peak_bytes;
        r.processes.push_back({pids[k] == ::getpid() ? "run" : "load", pids[k],
                               window_cpu(a.client_proc_cpu, b.client_proc_cpu, k), m.rss_bytes, m.peak_bytes});
    }
    std::uint64_t writes = 0, frames = 0;
    std::size_t silent = 0; // servers that did not answer /stats
    std::string silent_why;
    for (std::size_t k = 0; k < servers.size(); ++k) {
        auto& one = servers[k];
        auto m = process_memory(one->pid());
        r.server_rss_bytes += m.rss_bytes;
        r.server_rss_peak_bytes += m.peak_bytes;
        if (one->pid() > 0)
            r.processes.push_back({"server", one->pid(), window_cpu(a.server_proc_cpu, b.server_proc_cpu, k), m.rss_bytes,
                                   m.peak_bytes});
        if (one->external()) continue;
        std::string st;
        try {
            st = one->call("GET", "/stats");
        } catch (const std::exception& e) {
            // An overloaded server may not answer its control call in time:
            // the row keeps what was measured and says which figures are missing.
            if (!silent++) silent_why = e.what();
            continue;
        }
        r.slow_consumers += static_cast<std::uint64_t>(json_int(st, "slow_consumers").value_or(0));
        r.bad_requests += static_cast<std::uint64_t>(json_int(st, "bad_requests").value_or(0));
        writes += static_cast<std::uint64_t>(json_int(st, "writes").value_or(0));
        frames += static_cast<std::uint64_t>(json_int(st, "frames_sent").value_or(0));
    }
    if (writes) r.server_msgs_per_write = static_cast<double>(frames) / static_cast<double>(writes);
    if (silent)
        r.warnings.push_back(fmt::format("{} of {} server processes did not report their counters ({}): slow_consumers, "
                                         "bad_requests and server_msgs_per_write leave them out",
                                         silent, servers.size(), silent_why));
    r.window_s = static_cast<double>(b.t - a.t) / 1e9;
    if (relay) relay_figures(*relay, a, b, r);
    if (proxy) {
        r.proxy_cpu_ns = b.proxy_cpu - a.proxy_cpu;
        r.proxy_rss_bytes = process_memory(proxy->pid()).rss_bytes;
    }
    load->close_all();
    load->stop();
    if (relay) {
        // Resets after the clients have stopped, so that every reset it
        // counts has been seen (and counted as a reconnect) or never will be.
        r.relay_resets = static_cast<std::uint64_t>(json_int(relay->command("stats", true), "resets").value_or(0));
        relay->stop();
    }
    if (proxy) proxy->stop();
    for (auto& one : servers) one->stop();

    auto d = b.wire - a.wire;
    r.wire_down_bytes = d.down;
    r.wire_up_bytes = d.up;
    r.tcp_segments = d.segs_in + d.segs_out;
    // TLS bytes can dip for a moment (ciphertext read before its plaintext
    // is): a window edge inside a record never makes the count negative.
    std::uint64_t tls_a = a.wire.tls_down + a.wire.tls_up, tls_b = b.wire.tls_down + b.wire.tls_up;
    r.tls_bytes_in_window = tls_b > tls_a ? tls_b - tls_a : 0;
    r.window_s = static_cast<double>(b.t - a.t) / 1e9;
    r.server_cpu_ns = b.server_cpu - a.server_cpu;
    r.client_cpu_ns = b.client_cpu - a.client_cpu;
    driver->stopped(c);
    merge_results(c, load->results(driver->due()), r);
    driver->finish(c, a, b, r);
    add_warnings(p, s, r);
    return r;
}

} // namespace rtb
