#include "harness/runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "harness/clock.hpp"
#include "harness/control_client.hpp"
#include "harness/procstat.hpp"

extern char** environ;

namespace rtb {

scenario parse_scenario(const std::string& s) {
    if (s == "push") return scenario::push;
    if (s == "echo") return scenario::echo;
    if (s == "connect") return scenario::connect;
    throw std::invalid_argument("unknown scenario '" + s + "' (push, echo or connect)");
}

const char* scenario_name(scenario s) {
    switch (s) {
    case scenario::push: return "push";
    case scenario::echo: return "echo";
    case scenario::connect: return "connect";
    }
    return "?";
}

// ---- server_process -------------------------------------------------------------

server_process::server_process(const run_settings& s, const std::string& transport,
                               std::size_t clients) {
    char tmpl[] = "/tmp/rtbench-port-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd < 0) throw std::runtime_error("cannot create a temporary file");
    ::close(fd);
    ::unlink(tmpl);
    port_file_ = tmpl;
    std::vector<std::string> args = {s.rtbench_bin, "serve", "--transport", transport, "--port", "0",
                                     "--port-file", port_file_,
                                     // two connections per client at most (HTTP upstream) + slack
                                     "--max-connections", std::to_string(std::max<std::size_t>(19000, clients * 2 + 16))};
    args.insert(args.end(), s.server_args.begin(), s.server_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    std::string log = s.server_log.empty() ? "/dev/null" : s.server_log;
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, s.rtbench_bin.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start the server process " + s.rtbench_bin);
    pid_ = pid;
    // The server writes its port to the file (atomically) once listening.
    for (int i = 0; i < 1000; ++i) {
        std::ifstream f(port_file_);
        unsigned p = 0;
        if (f >> p && p > 0) {
            port_ = static_cast<std::uint16_t>(p);
            return;
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("the server process exited at start (see " + log + ")");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    throw std::runtime_error("the server process did not start listening within 10 s");
}

server_process::~server_process() { stop(); }

std::string server_process::call(const std::string& method, const std::string& target) {
    auto a = http_call("127.0.0.1", port_, method, target);
    if (a.status != 200) throw std::runtime_error(fmt::format("server answered {} to {}", a.status, target));
    return a.body;
}

void server_process::stop() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 500; ++i) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }
    if (!port_file_.empty()) ::unlink(port_file_.c_str());
}

// ---- run_point -----------------------------------------------------------------

namespace {

struct snapshot {
    std::int64_t t = 0, server_cpu = 0, client_cpu = 0;
    wire_bytes wire;
};

// `open`: the measure window starts (true) or ends (false) here: each load
// thread reads its bytes and flips its message counting in one task.
snapshot take(server_process& srv, std::vector<std::unique_ptr<load_thread>>& threads, bool open) {
    snapshot s;
    for (auto& t : threads) s.wire += t->mark_window(open);
    s.server_cpu = process_cpu_ns(srv.pid());
    s.client_cpu = process_cpu_ns(::getpid());
    s.t = now_ns();
    return s;
}

void sleep_until(std::int64_t t, const run_settings& s, const char* phase, std::int64_t from) {
    while (true) {
        std::int64_t now = now_ns();
        if (now >= t) return;
        if (s.progress) s.progress(phase, t > from ? static_cast<double>(now - from) / static_cast<double>(t - from) : 1.0);
        std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(t - now, 200'000'000)));
    }
}

std::int64_t secs(double s) { return static_cast<std::int64_t>(s * 1e9); }

// Publisher message i is due at t0 + round(i * 1e9 / rate) (as the server
// computes it). The window holds the i with due in [ms, me).
std::pair<std::uint64_t, std::uint64_t> publisher_window(std::int64_t t0, double rate, std::uint64_t count,
                                                         std::int64_t ms, std::int64_t me) {
    auto due = [&](std::uint64_t i) { return t0 + std::llround(static_cast<double>(i) * 1e9 / rate); };
    std::uint64_t a = 0;
    if (ms > t0) a = static_cast<std::uint64_t>(std::floor(static_cast<double>(ms - t0) * rate / 1e9));
    while (a > 0 && due(a - 1) >= ms) --a;
    while (due(a) < ms) ++a;
    std::uint64_t b = a; // one past the last
    if (me > t0) b = static_cast<std::uint64_t>(std::ceil(static_cast<double>(me - t0) * rate / 1e9));
    while (b > a && due(b - 1) >= me) --b;
    while (due(b) < me) ++b;
    b = std::min(b, count);
    return {a, b}; // [a, b)
}

} // namespace

result_row run_point(const point& p, const run_settings& s) {
    result_row r;
    r.transport = std::string(p.transport->name);
    r.scenario = scenario_name(p.sc);
    r.clients = p.clients;
    r.rate_hz = p.sc == scenario::connect ? 0 : p.rate_hz;
    r.payload_bytes = p.sc == scenario::connect ? 0 : p.payload;
    r.duration_s = s.duration_s;
    r.client_threads = s.client_threads;

    server_process srv(s, r.transport, p.clients);
    auto base_mem = process_memory(srv.pid());

    // Connect phase.
    std::vector<std::unique_ptr<load_thread>> threads;
    for (std::size_t i = 0; i < s.client_threads; ++i)
        threads.push_back(std::make_unique<load_thread>(*p.transport, p.sc, p.payload));
    for (std::size_t i = 0; i < p.clients; ++i) {
        client_config cfg = s.client;
        cfg.port = srv.port();
        cfg.id = "c" + std::to_string(i);
        threads[i % threads.size()]->add_session(i, cfg);
    }
    std::int64_t connect_start = now_ns();
    for (auto& t : threads)
        t->start(std::max<std::size_t>(1, s.connect_concurrency / threads.size()),
                 s.connect_rate / static_cast<double>(threads.size()));
    std::size_t ready = 0;
    while (true) {
        ready = 0;
        for (auto& t : threads) ready += t->ready_count();
        if (ready == p.clients) break;
        if (now_ns() - connect_start > secs(s.ready_timeout_s)) break;
        if (s.progress) s.progress("connect", static_cast<double>(ready) / static_cast<double>(p.clients));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (ready < p.clients)
        r.warnings.push_back(fmt::format("only {} of {} clients connected within {} s", ready, p.clients, s.ready_timeout_s));

    // Server RSS growth over the idle server, per connected client.
    auto rss_per_conn = [&] {
        auto mem = process_memory(srv.pid());
        return mem.rss_bytes > base_mem.rss_bytes
                   ? static_cast<double>(mem.rss_bytes - base_mem.rss_bytes) / static_cast<double>(std::max<std::size_t>(1, ready))
                   : 0.0;
    };
    std::int64_t ms = 0, me = 0;
    std::uint64_t first_seq = 0;
    std::pair<std::uint64_t, std::uint64_t> win{0, 0};
    snapshot a, b;
    if (p.sc == scenario::connect) {
        r.server_rss_bytes_per_conn = rss_per_conn();
        ms = now_ns();
        me = ms + secs(s.duration_s);
        for (auto& t : threads) t->set_window(ms, me);
        a = take(srv, threads, true);
        sleep_until(me, s, "idle", a.t);
        b = take(srv, threads, false);
        double minutes = static_cast<double>(b.t - a.t) / 60e9;
        auto idle = b.wire - a.wire;
        r.idle_bytes_per_conn_per_min = static_cast<double>(idle.down + idle.up) / std::max<std::size_t>(1, ready) / minutes;
    } else {
        std::int64_t t0 = 0;
        if (p.sc == scenario::push) {
            auto st = srv.call("POST", fmt::format("/control/publish?rate={}&payload={}", p.rate_hz, p.payload));
            t0 = json_int(st, "pub_t0_ns").value_or(now_ns());
            first_seq = static_cast<std::uint64_t>(json_int(st, "pub_first_seq").value_or(1));
        } else {
            t0 = now_ns() + 50'000'000;
        }
        ms = t0 + secs(s.warmup_s);
        me = ms + secs(s.duration_s);
        for (auto& t : threads) t->set_window(ms, me);
        if (p.sc == scenario::echo) {
            // Spread the clients' first sends evenly over one period.
            auto spread = static_cast<std::int64_t>(1e9 / p.rate_hz / static_cast<double>(p.clients));
            for (auto& t : threads) t->start_echo(p.rate_hz, t0, spread);
        }
        sleep_until(ms, s, "warm-up", now_ns());
        a = take(srv, threads, true);
        r.server_rss_bytes_per_conn = rss_per_conn();
        sleep_until(me, s, "measure", a.t);
        b = take(srv, threads, false);
        if (p.sc == scenario::push) {
            auto st = srv.call("POST", "/control/stop");
            auto count = static_cast<std::uint64_t>(json_int(st, "pub_count").value_or(0));
            win = publisher_window(t0, p.rate_hz, count, ms, me);
        }
        // Drain: wait for messages scheduled in the window still in flight.
        double drain = s.drain_s > 0 ? s.drain_s
                                     : 2.0 + 3.0 * static_cast<double>(s.client.poll_interval.count()) / 1000.0;
        std::int64_t drain_end = now_ns() + secs(drain), drain_start = now_ns();
        std::uint64_t last_seq = first_seq + win.second - 1;
        while (now_ns() < drain_end) {
            bool done = true;
            if (p.sc == scenario::push && win.second > win.first) {
                for (auto& t : threads) done = done && t->min_highest() >= last_seq;
            } else if (p.sc == scenario::echo) {
                for (auto& t : threads) done = done && t->echo_drained();
            }
            if (done) break;
            if (s.progress) s.progress("drain", static_cast<double>(now_ns() - drain_start) / static_cast<double>(drain_end - drain_start));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    auto final_stats = srv.call("GET", "/stats");
    auto peak = process_memory(srv.pid());
    r.server_rss_bytes = peak.rss_bytes;
    r.server_rss_peak_bytes = peak.peak_bytes;
    auto self_mem = process_memory(::getpid());
    r.client_rss_bytes = self_mem.rss_bytes;
    r.client_rss_peak_bytes = self_mem.peak_bytes;
    r.slow_consumers = static_cast<std::uint64_t>(json_int(final_stats, "slow_consumers").value_or(0));
    r.bad_requests = static_cast<std::uint64_t>(json_int(final_stats, "bad_requests").value_or(0));
    for (auto& t : threads) t->close_all();
    for (auto& t : threads) t->stop();
    srv.stop();

    // Merge what each thread owns.
    auto d = b.wire - a.wire;
    r.wire_down_bytes = d.down;
    r.wire_up_bytes = d.up;
    r.tcp_segments = d.segs_in + d.segs_out;
    r.window_s = static_cast<double>(b.t - a.t) / 1e9;
    r.server_cpu_ns = b.server_cpu - a.server_cpu;
    r.client_cpu_ns = b.client_cpu - a.client_cpu;
    double hs = 0;
    for (auto& t : threads) {
        r.latency.merge(t->latency);
        r.latency_uncorrected.merge(t->latency_uncorrected);
        r.connect.merge(t->connect);
        r.received_in_window += t->received_in_window;
        r.payload_in_window += t->payload_in_window;
        r.gaps_reported += t->gaps;
        r.corrupt += t->corrupt;
        r.reconnects += t->reconnects;
        hs += t->handshake_bytes_sum;
        r.max_send_lag_us = std::max(r.max_send_lag_us, static_cast<double>(t->max_send_lag_ns) / 1000.0);
        for (auto& st : t->sessions) {
            seq_tracker::window_counts c;
            if (p.sc == scenario::push && win.second > win.first)
                c = st.tracker.counts(first_seq + win.first, first_seq + win.second - 1);
            else if (p.sc == scenario::echo)
                c = st.tracker.counts(st.window_first, st.window_last);
            r.delivered += c.delivered;
            r.lost += c.lost;
            r.duplicated += c.duplicated;
            r.reordered += c.reordered;
            r.in_flight_at_end += c.in_flight;
        }
    }
    r.expected = r.delivered + r.lost;
    r.handshake_bytes = ready ? hs / static_cast<double>(ready) : 0;

    // Honesty: say when the load generator, not the server, was the limit.
    double client_util = r.window_s > 0 ? static_cast<double>(r.client_cpu_ns) / 1e9 / r.window_s : 0;
    if (client_util > 0.9 * static_cast<double>(s.client_threads)) {
        r.client_bound = true;
        r.warnings.push_back(fmt::format("the load generator used {:.0f}% of its {} thread(s): latency includes its own queueing; "
                                         "add --client-threads or lower the load", client_util * 100, s.client_threads));
    }
    if (p.sc == scenario::echo && r.max_send_lag_us > 10'000) {
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
    if (r.duplicated) r.warnings.push_back(fmt::format("{} duplicated messages", r.duplicated));
    if (r.corrupt) r.warnings.push_back(fmt::format("{} malformed or corrupted records", r.corrupt));
    if (r.gaps_reported) r.warnings.push_back(fmt::format("{} gap reports (history too short for a reconnect)", r.gaps_reported));
    if (r.slow_consumers) r.warnings.push_back(fmt::format("{} connections dropped as slow consumers", r.slow_consumers));
    return r;
}

} // namespace rtb
