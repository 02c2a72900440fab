#include "harness/runner.hpp"

#include <unistd.h>

#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "harness/clock.hpp"
#include "harness/control_client.hpp"
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

// `open`: the measure window starts (true) or ends (false) here: each load
// thread reads its bytes and flips its message counting in one task.
snapshot take(server_process& srv, relay_process* relay, proxy_process* proxy,
              std::vector<std::unique_ptr<load_thread>>& threads, bool open) {
    snapshot s;
    if (proxy) s.proxy_cpu = process_cpu_ns(proxy->pid());
    for (auto& t : threads) s.wire += t->mark_window(open);
    s.server_cpu = process_cpu_ns(srv.pid());
    s.client_cpu = process_cpu_ns(::getpid());
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

std::vector<std::unique_ptr<load_thread>> make_threads(const point& p, const run_settings& s, std::uint16_t port) {
    std::vector<std::unique_ptr<load_thread>> threads;
    for (std::size_t i = 0; i < s.client_threads; ++i)
        threads.push_back(std::make_unique<load_thread>(*p.transport, p.sc, p.payload, p.kind,
                                                       static_cast<std::int64_t>(s.client_work_us * 1000)));
    for (std::size_t i = 0; i < p.clients; ++i) {
        client_config cfg = s.client;
        cfg.port = port;
        // An external server, straight or through the relay (on 127.0.0.1).
        if (s.target.active()) {
            if (!s.net.relay) cfg.host = s.target.host;
            cfg.target = s.target.request_target;
            cfg.authority = s.target.authority;
        }
        cfg.id = "c" + std::to_string(i);
        cfg.tls = s.tls.client;
        threads[i % threads.size()]->add_session(i, cfg);
    }
    for (auto& t : threads) t->set_upstream(s.target.active(), std::min(s.publishers, p.clients));
    return threads;
}

// Connect phase: every client connects and subscribes (or the ready
// timeout passes). Returns how many are ready.
std::size_t connect_phase(point_context& c, result_row& r) {
    auto& threads = c.threads;
    std::int64_t start = now_ns();
    for (auto& t : threads)
        t->start(std::max<std::size_t>(1, c.s.connect_concurrency / threads.size()),
                 c.s.connect_rate / static_cast<double>(threads.size()));
    std::size_t ready = 0, stuck = 0;
    for (;;) {
        ready = stuck = 0;
        for (auto& t : threads) ready += t->ready_count(), stuck += t->stuck_count();
        // Every client is ready, or the rest have each failed a few times
        // in a row (a refused upgrade, a failed handshake): waiting for the
        // ready timeout would only delay the row that says so.
        if (ready == c.p.clients || ready + stuck >= c.p.clients || now_ns() - start > secs(c.s.ready_timeout_s)) break;
        if (c.s.progress) c.s.progress("connect", static_cast<double>(ready) / static_cast<double>(c.p.clients));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (ready < c.p.clients) {
        std::string why;
        for (auto& t : threads)
            if (why.empty()) why = t->first_failure();
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

// What each load thread owns, merged into the row.
void merge_threads(point_context& c, scenario_driver& d, result_row& r) {
    double hs = 0;
    for (auto& t : c.threads) {
        r.latency.merge(t->latency);
        r.latency_uncorrected.merge(t->latency_uncorrected);
        r.rx_latency.merge(t->rx_latency);
        r.generator_delay.merge(t->generator_delay);
        r.rx_unstamped += t->rx_unstamped;
        r.connect.merge(t->connect);
        r.tcp_connect.merge(t->tcp_connect);
        r.tls_handshake.merge(t->tls_handshake);
        r.tls_handshakes += t->tls_handshakes;
        r.tls_resumed += t->tls_resumed;
        r.tls_negotiated.insert(t->tls_versions.begin(), t->tls_versions.end());
        r.handshake_down_bytes += t->handshake_down_sum;
        r.handshake_up_bytes += t->handshake_up_sum;
        r.received_in_window += t->received_in_window;
        r.payload_in_window += t->payload_in_window;
        r.app_bytes_in_window += t->app_bytes_in_window;
        r.envelope_in_window += t->envelope_in_window;
        r.gaps_reported += t->gaps;
        r.corrupt += t->corrupt;
        r.reconnects += t->reconnects;
        if (r.reconnect_cause.empty()) r.reconnect_cause = t->first_drop();
        hs += t->handshake_bytes_sum;
        r.max_send_lag_us = std::max(r.max_send_lag_us, static_cast<double>(t->max_send_lag_ns) / 1000.0);
        for (auto& st : t->sessions) {
            auto n = d.count(st);
            r.delivered += n.delivered;
            r.lost += n.lost;
            r.duplicated += n.duplicated;
            r.reordered += n.reordered;
            r.in_flight_at_end += n.in_flight;
        }
    }
    r.expected = r.delivered + r.lost;
    r.handshake_bytes = c.ready ? hs / static_cast<double>(c.ready) : 0;
    r.handshake_down_bytes = c.ready ? r.handshake_down_bytes / static_cast<double>(c.ready) : 0;
    r.handshake_up_bytes = c.ready ? r.handshake_up_bytes / static_cast<double>(c.ready) : 0;
}

// Honesty: say when the load generator, not the server, was the limit, and
// every way the delivery went wrong, in words.
void add_warnings(const point& p, const run_settings& s, result_row& r) {
    double client_util = r.window_s > 0 ? static_cast<double>(r.client_cpu_ns) / 1e9 / r.window_s : 0;
    if (client_util > 0.9 * static_cast<double>(s.client_threads)) {
        r.client_bound = true;
        r.warnings.push_back(fmt::format("the load generator used {:.0f}% of its {} thread(s): its own delay "
                                         "(generator_delay) is outside the headline latency only until its sockets fill, "
                                         "then the server waits for it too; add --client-threads or lower the load",
                                         client_util * 100, s.client_threads));
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
    auto srv_owned = s.target.active() ? std::make_unique<server_process>(s.target)
                                       : std::make_unique<server_process>(s, *p.transport, p.clients);
    server_process& srv = *srv_owned;
    auto base_mem = process_memory(srv.pid());
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
    auto threads = make_threads(p, s, relay ? relay->port() : front);
    point_context c{p, s, srv, threads};
    c.ready = connect_phase(c, r);

    // Warm-up: load starts at t0; the window opens warmup_s later.
    auto driver = make_driver(p.sc);
    std::int64_t t0 = driver->begin_load(c);
    std::int64_t ms = t0 + secs(driver->warmup_s(s)), me = ms + secs(s.duration_s);
    for (auto& t : threads) t->set_window(ms, me);
    driver->window_set(c, t0);
    sleep_until(ms, s, p.sc == scenario::connect ? "idle" : "warm-up", now_ns());

    // Measure.
    snapshot a = take(srv, relay.get(), proxy.get(), threads, true);
    // Server memory per connected client: both columns divide the same way.
    auto per_client = [&](std::uint64_t bytes) {
        return static_cast<double>(bytes) / static_cast<double>(std::max<std::size_t>(1, c.ready));
    };
    // RSS growth over the idle server.
    auto mem = process_memory(srv.pid());
    r.server_rss_window_start_bytes = mem.rss_bytes;
    if (mem.rss_bytes > base_mem.rss_bytes) r.server_rss_bytes_per_conn = per_client(mem.rss_bytes - base_mem.rss_bytes);
    // The kernel's side of the same connections: socket buffers, not in RSS.
    if (auto k = tcp_socket_memory(srv.port()); k && k->sockets) r.server_kernel_bytes_per_conn = per_client(k->bytes);
    sleep_until(me, s, p.sc == scenario::connect ? "idle" : "measure", a.t);
    snapshot b = take(srv, relay.get(), proxy.get(), threads, false);
    driver->end_load(c, ms, me);

    drain_phase(c, *driver);

    // Tear down, then merge.
    auto final_stats = srv.external() ? std::string() : srv.call("GET", "/stats");
    auto peak = process_memory(srv.pid());
    r.server_rss_bytes = peak.rss_bytes;
    r.server_rss_peak_bytes = peak.peak_bytes;
    auto self_mem = process_memory(::getpid());
    r.client_rss_bytes = self_mem.rss_bytes;
    r.client_rss_peak_bytes = self_mem.peak_bytes;
    r.slow_consumers = static_cast<std::uint64_t>(json_int(final_stats, "slow_consumers").value_or(0));
    r.bad_requests = static_cast<std::uint64_t>(json_int(final_stats, "bad_requests").value_or(0));
    if (auto w = json_int(final_stats, "writes"); w && *w > 0)
        r.server_msgs_per_write = static_cast<double>(json_int(final_stats, "frames_sent").value_or(0)) / static_cast<double>(*w);
    r.window_s = static_cast<double>(b.t - a.t) / 1e9;
    if (relay) relay_figures(*relay, a, b, r);
    if (proxy) {
        r.proxy_cpu_ns = b.proxy_cpu - a.proxy_cpu;
        r.proxy_rss_bytes = process_memory(proxy->pid()).rss_bytes;
    }
    for (auto& t : threads) t->close_all();
    for (auto& t : threads) t->stop();
    if (relay) {
        // Resets after the clients have stopped, so that every reset it
        // counts has been seen (and counted as a reconnect) or never will be.
        r.relay_resets = static_cast<std::uint64_t>(json_int(relay->command("stats", true), "resets").value_or(0));
        relay->stop();
    }
    if (proxy) proxy->stop();
    srv.stop();

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
    merge_threads(c, *driver, r);
    driver->finish(c, a, b, r);
    add_warnings(p, s, r);
    return r;
}

} // namespace rtb
