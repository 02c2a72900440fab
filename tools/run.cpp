// rtbench run / rtbench compare: drive transports with one scenario and write a run folder.
#include "tools/run.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "harness/capacity.hpp"
#include "harness/procstat.hpp"
#include "harness/runner.hpp"
#include "harness/server_settings.hpp"
#include "harness/spread.hpp"
#include "harness/tls.hpp"
#include "harness/verdict.hpp"
#include "tools/cli_common.hpp"
#include "tools/target.hpp"

namespace rtb {
namespace fs = std::filesystem;

namespace {

struct run_args {
    std::string transports = "all", scenario = "push", clients = "10", rates = "100", payloads = "64";
    std::string payload_kinds; // empty: pattern, or json when an option that compresses is on
    std::string out, headers = "minimal", net = "none";
    double duration = 5, warmup = 1, drain = 0, ready_timeout = 60, client_work_us = 0;
    std::size_t client_threads = 1, server_threads = 1, connect_concurrency = 256, repeat = 1;
    std::size_t client_procs = 0; // 0: as many as the point's connections need
    std::size_t server_procs = 0; // 0: one, or as many as the connections need
    std::size_t source_addrs = 0; // 0: as many as the connections need
    double connect_rate = 0;
    bool allow_loss = false, no_plot = false;
    bool tls = false, tls_resume = false;
    std::string tls_versions = "1.3", tls_cert = "ecdsa-p256", tls_client_version = "any";
    std::string via = "none";
    // Capacity search (--find-max).
    std::string find_max, slo = "p99=50ms";
    double max_loss = 0, precision = 10;
    std::size_t max_probes = 12;
    option_flags flags; // server limits and the transports' own options
    // An external server (run --target) and broadcast's senders.
    std::string target, target_ca;
    int target_pid = 0;
    bool target_any_host = false;
    std::size_t publishers = 1;
};

std::string net_help() {
    return "The network between every client and the server, applied by an impairment relay in its own process "
           "(netem/README.md): none (direct, loopback), a preset, or KEY=VALUE[,...] with keys rtt (ms, us, s), "
           "jitter (ms), down and up (kbit, mbit, gbit), loss (%), reset (N/min, N/s, N/h: per connection), "
           "queue (ms at the line rate; default 100ms). 'A;B;C' runs each profile, and a list value sweeps it: "
           "rtt=0,50,100,200ms. A preset takes overrides: 4g,loss=1%. Each profile adds rows (column net).\n" +
           net_presets_table();
}

void add_run_options(CLI::App* cmd, run_args& a, bool matrix) {
    if (matrix) {
        cmd->add_option("--transport", a.transports, "Transports: NAME[,NAME...] or all")->capture_default_str();
        cmd->add_option("--scenario", a.scenario, "push (server fan-out), echo (round trip), broadcast (clients "
                                                  "publish to every client: --publishers) or connect (connection cost)")
            ->capture_default_str()->check(CLI::IsMember({"push", "echo", "broadcast", "connect"}));
        cmd->add_option("--publishers", a.publishers, "broadcast: how many of the clients send, each at --rate; every "
                                                      "client, the senders too, receives every message")
            ->capture_default_str()->check(CLI::Range(1, 1000));
        cmd->add_option("--target", a.target, "Run against a server rtbench did not start: ws://HOST[:PORT]/PATH or "
                                              "wss://... (WebSocket: echo, broadcast, connect), http://... or "
                                              "https://... (Server-Sent Events, messages POSTed to the same URL: "
                                              "broadcast, connect); the contract a server must meet is in README.md, "
                                              "'External targets'. Loopback only unless --target-any-host")
            ->group("External target");
        cmd->add_option("--target-pid", a.target_pid, "The target's process: its CPU and memory are measured (the "
                                                      "server_* columns are empty without it)")
            ->check(CLI::Range(1, 1 << 30))->group("External target");
        cmd->add_option("--target-ca", a.target_ca, "wss:// and https:// targets: PEM file of the certificates to trust (default: "
                                                    "the system's)")->check(CLI::ExistingFile)->group("External target");
        cmd->add_flag("--target-any-host", a.target_any_host, "Allow a target that is not on this machine's loopback "
                                                              "(the server must be yours to load)")
            ->group("External target");
        cmd->add_option("--clients", a.clients, "Concurrent clients; a comma list sweeps")->capture_default_str();
        cmd->add_option("--rate", a.rates, "Messages/s: push = server publish rate (to every client), echo = per client; "
                                           "a comma list sweeps")->capture_default_str();
        cmd->add_option("--payload", a.payloads, "Payload bytes per message; a comma list sweeps")->capture_default_str();
        cmd->add_option("--duration", a.duration, "Measured seconds per point (connect: idle hold)")->capture_default_str()->check(CLI::Range(0.1, 86400.0));
        cmd->add_option("--find-max", a.find_max, "Capacity search: per transport (and every other point), raise the "
                                                   "rate or the number of clients from the one --rate / --clients "
                                                   "value given, doubling until a probe misses the objective (--slo, "
                                                   "--max-loss, and receiving what was due in its window), then "
                                                   "bisect; every probe is a row (slo_met, slo_why), the result is "
                                                   "capacity.csv, capacity.png, the summary and the verdict")
            ->check(CLI::IsMember({"rate", "clients"}))->group("Capacity search");
        cmd->add_option("--slo", a.slo, "The objective of --find-max: pNN=LATENCY, NN 50, 90, 99 or 99.9 (p99=50ms, "
                                        "p50=5ms, p99.9=1s)")->capture_default_str()->group("Capacity search");
        cmd->add_option("--max-loss", a.max_loss, "Percent of the messages due that may be lost or late past the drain "
                                                  "within the objective")
            ->capture_default_str()->check(CLI::Range(0.0, 100.0))->group("Capacity search");
        cmd->add_option("--max-probes", a.max_probes, "Points one search may run")
            ->capture_default_str()->check(CLI::Range(2, 40))->group("Capacity search");
        cmd->add_option("--precision", a.precision, "A search stops when the first load that missed is within this "
                                                    "percent of the best that met")
            ->capture_default_str()->check(CLI::Range(1.0, 100.0))->group("Capacity search");
        cmd->add_option("--warmup", a.warmup, "Seconds of load before measuring (not counted)")->capture_default_str()->check(CLI::Range(0.0, 3600.0));
    }
    cmd->add_option("--repeat", a.repeat, "Run every point N times, interleaved (A B C A B C: a slow minute of the shared "
                                          "machine touches every transport alike); column repeat says which run a row "
                                          "is, spread.csv and the summary give each figure's median and range, and the "
                                          "verdict calls transports different only when their ranges do not overlap")
        ->capture_default_str()->check(CLI::Range(1, 100));
    cmd->add_option("--payload-kind", a.payload_kinds,
                    "What payloads look like: pattern (the base64url alphabet repeated: cheap to check, compresses "
                    "to almost nothing), random (random base64url: 6 bits of entropy a byte) or json (a chat or "
                    "ticker event with varied values); each message differs and every byte is checked. Default: "
                    "json when an option that compresses (--ws-deflate) is on, else pattern; a comma list sweeps (in "
                    "compare too)");
    cmd->add_option("--out", a.out, "Run folder (default results/<UTC time>-<scenario>)");
    cmd->add_option("--drain", a.drain, "Seconds to wait for in-flight messages after the window "
                                        "(0 = 2 s + 3 x the transport's longest wait by design, e.g. a poll interval)")->capture_default_str();
    cmd->add_option("--client-threads", a.client_threads, "Load-generator threads (each owns its clients)")->capture_default_str()->check(CLI::Range(1, 64));
    cmd->add_option("--client-procs", a.client_procs,
                    "Load processes, each with --client-threads threads and its share of the clients (dealt out by "
                    "index); their histograms merge bucket by bucket and their counts add up. 1: the clients run in "
                    "this process. Default (0): 1 up to 15,000 connections, past that one per 15,000 and at least one "
                    "per core (a process may hold 20,000 files here)")
        ->capture_default_str()->check(CLI::Range(0, 256));
    cmd->add_option("--server-procs", a.server_procs,
                    "Server processes (rtbench serve), each on its own port with its share of the clients (dealt "
                    "out by index): past one process's open files. connect, echo and push (each server publishes to "
                    "its own clients on one schedule: no broker); not broadcast (a client's message would reach only "
                    "its server's clients). Default (0): 1 up to 15,000 connections, past that one per 15,000")
        ->capture_default_str()->check(CLI::Range(0, 64));
    cmd->add_option("--source-addrs", a.source_addrs,
                    "Client i connects from 127.0.0.(2 + i mod N), so that more connections than one address's "
                    "ephemeral ports (28,232 here) reach one server port. Default (0): the kernel's choice up to "
                    "20,000 connections, past that one address per 20,000")
        ->capture_default_str()->check(CLI::Range(0, 254));
    cmd->add_option("--server-threads", a.server_threads,
                    "Event loops of the server (rtbench serve --threads): one by default, since the load generator "
                    "shares this machine's cores; a peer runs on one whatever this says")
        ->capture_default_str()->check(CLI::Range(1, 64));
    cmd->add_option("--connect-concurrency", a.connect_concurrency, "Connections opening at once")->capture_default_str()->check(CLI::Range(1, 20000));
    cmd->add_option("--connect-rate", a.connect_rate, "New connections per second (0 = as fast as --connect-concurrency allows)")
        ->capture_default_str()->check(CLI::Range(0.0, 1e6));
    cmd->add_option("--ready-timeout", a.ready_timeout, "Seconds to wait for all clients to be ready")->capture_default_str();
    cmd->add_option("--client-work-us", a.client_work_us,
                    "Microseconds each received message keeps a client's thread busy (a busy wait on the clock, "
                    "standing in for an application's work): the messages behind it wait, which the generator_delay "
                    "columns show and the headline latency, taken at the kernel's receive time, does not")
        ->capture_default_str()->check(CLI::Range(0.0, 1e6));
    cmd->add_option("--headers", a.headers, "HTTP request headers: minimal, or browser (what desktop Chrome sends); "
                                            "a comma list sweeps: minimal,browser")
        ->capture_default_str();
    cmd->add_option("--net", a.net, net_help())->capture_default_str();
    cmd->add_flag("--tls", a.tls, "Every transport over TLS (https://, wss://) with OpenSSL, on a throw-away self-signed "
                                  "certificate made for the run (kept in a private temporary directory, removed after)")
        ->group("TLS");
    cmd->add_option("--tls-version", a.tls_versions, "Implies --tls. TLS version the server accepts: 1.2, 1.3 or any; "
                                                     "a comma list sweeps, and 'off' adds plain rows beside: off,1.2,1.3")
        ->capture_default_str()->group("TLS");
    cmd->add_option("--tls-cert", a.tls_cert, "Key of the throw-away certificate: ecdsa-p256 or rsa2048")
        ->capture_default_str()->check(CLI::IsMember({"ecdsa-p256", "rsa2048"}))->group("TLS");
    cmd->add_flag("--tls-resume", a.tls_resume, "Reconnects offer the session ticket of the client's last connection "
                                                "(column tls_resumed counts the handshakes the server resumed)")->group("TLS");
    cmd->add_option("--tls-client-version", a.tls_client_version, "TLS versions the clients offer: any (1.2 and 1.3, as a "
                                                                  "browser), 1.2 or 1.3")
        ->capture_default_str()->check(CLI::IsMember({"any", "1.2", "1.3"}))->group("TLS");
    cmd->add_option("--via", a.via, "A real reverse proxy in front of the server, started by rtbench (Debian's nginx, "
                                    "unprivileged, 127.0.0.1 only, its files under the run folder; proxy/README.md): "
                                    "none, nginx:default (the plain proxy_pass of nginx's documentation), nginx:tuned "
                                    "(what an operator sets for streaming, SSE, WebSocket, long polling), or "
                                    "nginx:FILE (a config template of yours). A comma list sweeps: none,nginx:default,"
                                    "nginx:tuned. With --tls, TLS ends at nginx")->capture_default_str();
    cmd->add_flag("--allow-loss", a.allow_loss, "Exit 0 even when messages were lost, duplicated or corrupted (default: exit 3)");
    cmd->add_flag("--no-plot", a.no_plot, "Do not draw charts after the run");
    // Declared once by their owners (the server core, each transport) and
    // passed to the server process as given.
    a.flags.add(cmd, settings::core, "Server limits (passed to the server)", false);
    a.flags.add_transports(cmd, false);
    a.flags.add(cmd, settings::testing, "Testing", false);
}

std::vector<double> parse_doubles(const std::string& list, const char* flag, double lo) {
    std::vector<double> v;
    for (auto& s : split_list(list)) {
        try {
            std::size_t pos = 0;
            double d = std::stod(s, &pos);
            if (pos != s.size() || !(d >= lo)) throw std::invalid_argument(s);
            v.push_back(d);
        } catch (const std::exception&) {
            throw usage_error(fmt::format("{} takes numbers >= {} separated by commas, not '{}'", flag, lo, s));
        }
    }
    if (v.empty()) throw usage_error(fmt::format("{} needs at least one value", flag));
    return v;
}

// A comma list of a flag's values, each read by `one` (which throws a
// usage_error for a value it does not know): none twice, at least one.
template <class F>
auto parse_list(const std::string& list, const std::string& flag, F one) {
    std::vector<decltype(one(std::string()))> out;
    for (auto& s : split_list(list)) {
        auto v = one(s);
        if (std::find(out.begin(), out.end(), v) != out.end()) throw usage_error(flag + " lists '" + s + "' twice");
        out.push_back(v);
    }
    if (out.empty()) throw usage_error(flag + " needs at least one value");
    return out;
}

// --payload-kind; without it, json when an option that compresses is on
// (a repeated pattern would flatter the compressor), else pattern.
std::vector<payload_kind> parse_kinds(const run_args& a) {
    if (a.payload_kinds.empty()) {
        const option_values given = a.flags.values();
        for (auto* t : all_transports())
            for (auto& o : t->options)
                if (o.compresses && given.get(o)) return {payload_kind::json};
        return {payload_kind::pattern};
    }
    return parse_list(a.payload_kinds, "--payload-kind", [](const std::string& s) {
        auto k = parse_payload_kind(s);
        if (!k) throw usage_error("--payload-kind takes pattern, random or json, not '" + s + "'");
        return *k;
    });
}

std::vector<header_profile> parse_headers(const std::string& list) {
    return parse_list(list, "--headers", [](const std::string& s) {
        if (s != "minimal" && s != "browser") throw usage_error("--headers takes minimal or browser, not '" + s + "'");
        return s == "browser" ? header_profile::browser : header_profile::minimal;
    });
}

std::vector<net_profile> parse_nets(const std::string& spec) {
    try {
        return parse_net(spec);
    } catch (const std::invalid_argument& e) {
        throw usage_error(e.what());
    }
}

std::string utc_now(const char* fmt_str) {
    std::time_t t = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, fmt_str, std::gmtime(&t));
    return buf;
}

std::string self_exe() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? "rtbench" : p.string();
}

std::string project_root() {
    if (const char* r = std::getenv("RTBENCH_ROOT")) return r;
    // build/<dir>/tools/rtbench -> the checkout
    return fs::path(self_exe()).parent_path().parent_path().parent_path().parent_path().string();
}

// What a shell command prints on stdout ("" when it cannot run).
std::string capture(const std::string& cmd) {
    std::string out;
    if (FILE* f = ::popen(cmd.c_str(), "r")) {
        char buf[256];
        while (std::fgets(buf, sizeof buf, f)) out += buf;
        ::pclose(f);
    }
    return out;
}

std::string git_commit(const std::string& root) {
    std::string out = capture("git -C '" + root + "' rev-parse HEAD 2>/dev/null");
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (out.empty()) return "unknown";
    bool dirty = !capture("git -C '" + root + "' status --porcelain --untracked-files=no 2>/dev/null").empty();
    return dirty ? out + "-dirty" : out;
}

struct matrix {
    std::vector<net_profile> nets;
    std::vector<std::string> tls = {"none"}; // TLS versions the server accepts; "none": plain
    std::vector<proxy_spec> via = {proxy_spec{}};
    std::vector<const transport_descriptor*> transports;
    scenario sc;
    std::vector<std::size_t> clients;
    std::vector<double> rates;
    std::vector<std::size_t> payloads;
    std::vector<payload_kind> kinds = {payload_kind::pattern};
    std::vector<header_profile> headers = {header_profile::minimal};
};

int plot_folder(const std::string& root, const std::string& dir) {
    fs::path plot = fs::path(root) / "tools" / "plot";
    if (!fs::exists(plot)) {
        std::cerr << "rtbench: " << plot.string() << " not found (is RTBENCH_ROOT right?)\n";
        return 1;
    }
    std::string cmd = "'" + plot.string() + "' '" + dir + "'";
    int st = std::system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

// Prints the verdict and writes it to DIR/verdict.md, which the report leads with.
void write_verdict(const fs::path& dir, const std::vector<result_row>& rows, const std::vector<std::string>& first = {}) {
    auto v = first;
    auto more = verdict(rows);
    v.insert(v.end(), more.begin(), more.end());
    if (v.empty()) return;
    std::ofstream f(dir / "verdict.md");
    std::cout << "\nVerdict:\n";
    for (auto& line : v) {
        std::cout << "- " << line << "\n";
        f << "- " << line << "\n";
    }
}

// Each client holds one socket, two for HTTP transports in echo (POST /send).
// A peer's client may hold three (a Socket.IO upgrade: its GET, its POST and
// the WebSocket); rtbench's own hold a second one for echo's upstream.
std::size_t connections_per_client(const point& p) {
    if (!p.transport->peer_script.empty()) return 3;
    return p.sc == scenario::echo || p.sc == scenario::broadcast ? 2 : 1;
}

// --client-procs, or by default: the run process up to 15,000 connections
// (its 20,000 files with room to spare), past that one load process per
// 15,000 and at least one per core, so that a large run uses the machine.
constexpr std::size_t conns_per_proc = 15000;
std::size_t load_procs(const run_args& a, const point& p, const std::string& tls) {
    if (a.client_procs > 0) return a.client_procs;
    if (tls != "none") return 1; // TLS clients run in this process only (load_worker_args)
    std::size_t conns = p.clients * connections_per_client(p);
    if (conns <= conns_per_proc) return 1;
    return std::max<std::size_t>((conns + conns_per_proc - 1) / conns_per_proc,
                                 std::max(1u, std::thread::hardware_concurrency()));
}

// --server-procs, or by default one per 15,000 connections (only where
// several may serve: not broadcast, whose clients publish through their own
// server; rtbench's server).
std::size_t server_procs(const run_args& a, const point& p, bool one_front) {
    if (a.server_procs > 0) return a.server_procs;
    std::size_t conns = p.clients * connections_per_client(p);
    bool splits = p.sc != scenario::broadcast && p.transport->peer_script.empty() &&
                  a.target.empty() && !one_front;
    return splits ? std::max<std::size_t>(1, (conns + conns_per_proc - 1) / conns_per_proc) : 1;
}

// --source-addrs, or by default one address per 20,000 connections past
// the first 20,000 (28,232 ephemeral ports per address and server port here).
std::size_t source_addrs(const run_args& a, const point& p) {
    if (a.source_addrs > 0) return a.source_addrs;
    if (!a.target.empty()) return 0; // not ours to bind towards
    std::size_t conns = p.clients * connections_per_client(p);
    return conns <= 20000 ? 0 : (conns + 19999) / 20000;
}

struct planned {
    net_profile net;
    std::string tls;
    proxy_spec via;
    point p;
    std::size_t repeat = 1;
    header_profile headers = header_profile::minimal;
};

// Every point of every matrix, in run order: network, TLS, transport,
// clients, rate, payload; with repeats, the whole sequence again for each
// (interleaved, never one point N times in a row).
std::vector<planned> plan(const std::vector<matrix>& ms, std::size_t repeats = 1) {
    std::vector<planned> out;
    for (std::size_t n = 1; n <= repeats; ++n)
        for (auto& m : ms)
            for (auto& net : m.nets)
                for (auto& tls : m.tls)
                    for (auto& via : m.via)
                        for (auto h : m.headers)
                            for (auto* t : m.transports)
                                for (auto c : m.clients)
                                    for (auto rate : m.rates)
                                        for (auto pl : m.payloads)
                                            for (auto k : m.kinds)
                                                out.push_back({net, tls, via, point{t, m.sc, c, rate, pl, k}, n, h});
    return out;
}

// The TLS versions the rows run with: "none" for plain ("off" on the
// command line), else what the server accepts.
std::vector<std::string> parse_tls_list(const run_args& a, bool given) {
    if (!a.tls && !given) return {"none"};
    return parse_list(a.tls_versions, "--tls-version", [](const std::string& v) {
        return v == "off" || v == "none" ? std::string("none") : std::string(tls_version_name(parse_tls_version_arg(v)));
    });
}

std::vector<proxy_spec> parse_vias(const std::string& list) {
    std::vector<proxy_spec> out;
    for (auto& v : split_list(list)) {
        try {
            out.push_back(parse_proxy(v, project_root()));
        } catch (const std::invalid_argument& e) {
            throw usage_error(e.what());
        }
        if (out.back().active()) find_nginx(); // says how to install it, before any point runs
    }
    if (out.empty()) throw usage_error("--via needs at least one value");
    return out;
}

// A private directory for the run's throw-away key and certificate,
// removed (with them) when the run ends.
class tls_files {
public:
    explicit tls_files(const cert_pair& c) {
        std::string tmpl = (fs::temp_directory_path() / "rtbench-tls-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory for TLS files");
        dir_ = tmpl;
        write_cert_files(c, cert(), key());
    }
    ~tls_files() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    tls_files(const tls_files&) = delete;
    tls_files& operator=(const tls_files&) = delete;
    std::string cert() const { return dir_ + "/cert.pem"; }
    std::string key() const { return dir_ + "/key.pem"; }

private:
    std::string dir_;
};

// Runs every point of every matrix in `ms` into one run folder. The verdict
// is printed and written here unless `collect` is given: then the rows are
// handed to the caller, which writes one verdict over several runs (compare).
int execute(const run_args& a, const std::vector<matrix>& ms, const std::string& argline, const std::string& label,
            std::vector<result_row>* collect = nullptr) {
    raise_fd_limit();
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    for (auto& [net, tls, via, p, repeat, headers] : plan(ms)) {
        std::size_t c = p.clients, per = connections_per_client(p), procs = load_procs(a, p, tls);
        if (procs > 1 && tls != "none") // "external": a wss:// or https:// target
            throw usage_error(fmt::format("{} clients over TLS would need {} load processes, and TLS clients in load "
                                          "processes are not built yet: give --client-procs 1 and at most {} clients",
                                          c, procs, (rl.rlim_cur - 64) / per));
        std::size_t sprocs = server_procs(a, p, net.relay || via.active());
        if (sprocs > 1 && p.sc == scenario::broadcast)
            throw usage_error(fmt::format("broadcast over {} server processes: a client's message would reach only its "
                                          "own server's clients without a broker (not built yet); --server-threads puts "
                                          "one server on every core, and connect, echo and push split over server "
                                          "processes", sprocs));
        if (sprocs > 1 && !p.transport->peer_script.empty())
            throw usage_error(fmt::format("--server-procs: {} is a peer (one Node.js server)", p.transport->name));
        if (sprocs > 1 && (net.relay || via.active() || !a.target.empty()))
            throw usage_error("--server-procs: a relay (--net), a proxy (--via) or a --target stands for one server");
        if (a.target.empty() && (c * per + sprocs - 1) / sprocs + 64 > rl.rlim_max)
            throw usage_error(fmt::format("{} clients need about {} open files in {} server process{}; a process may "
                                          "have {} ({})", c, (c * per + sprocs - 1) / sprocs + 64,
                                          sprocs > 1 ? fmt::format("each of {}", sprocs) : "the", sprocs > 1 ? "es" : "",
                                          rl.rlim_max,
                                          p.sc != scenario::broadcast
                                              ? "raise --server-procs" : "connect, echo and push split over --server-procs"));
        if (source_addrs(a, p) && !a.target.empty())
            throw usage_error("--source-addrs binds 127.0.0.x: against a --target the kernel chooses");
        std::size_t share = (c + procs - 1) / procs;
        if (share * per + 64 > rl.rlim_cur)
            throw usage_error(fmt::format("{} clients need about {} open files{}; a process may have {} (raise "
                                          "--client-procs)", c, c * per + 64,
                                          procs > 1 ? fmt::format(", {} in each of {} load processes", share * per + 64, procs)
                                                    : std::string(), rl.rlim_cur));
        // The relay holds both ends of every client connection.
        if (net.relay && 2 * c * per + 64 > rl.rlim_max)
            throw usage_error(fmt::format("{} clients through the relay need about {} open files in it; a process may "
                                          "have {} here", c, 2 * c * per + 64, rl.rlim_max));
    }
    const bool search = !a.find_max.empty();
    slo objective;
    if (search) {
        if (a.repeat > 1) throw usage_error("--find-max runs each probe once; leave out --repeat");
        for (auto& m : ms) {
            if (m.sc == scenario::connect)
                throw usage_error("--find-max needs a message scenario (push, echo or broadcast), not connect");
            if ((a.find_max == "rate" ? m.rates.size() : m.clients.size()) > 1)
                throw usage_error(fmt::format("--find-max {0} searches from one --{0} value; give one, not a list",
                                              a.find_max));
        }
        try {
            objective = parse_slo(a.slo);
        } catch (const std::invalid_argument& e) {
            throw usage_error(e.what());
        }
        objective.max_loss = a.max_loss / 100;
    }
    const option_values given = a.flags.values();
    // What a transport holds a message back by design (a poll interval):
    // a search allows that much shortfall in what arrives in the window.
    auto design_wait_s = [&](const point& p) {
        if (!p.transport->max_delivery_wait) return 0.0;
        return static_cast<double>(p.transport->max_delivery_wait(given).count()) / 1000.0;
    };
    // The most clients a search may try: the open files of this process
    // (and of the relay), and the server's connection limit.
    auto client_cap = [&](const planned& pl) {
        std::size_t per = connections_per_client(pl.p);
        std::size_t cap = (rl.rlim_cur - 64) / per;
        if (pl.net.relay) cap = std::min<std::size_t>(cap, (rl.rlim_max - 64) / (2 * per));
        return std::min<std::size_t>(cap, given.get(settings::max_connections) / per);
    };
    if (search && a.find_max == "clients")
        for (auto& pl : plan(ms))
            if (pl.p.clients > client_cap(pl))
                throw usage_error(fmt::format("--find-max clients starts at {} clients; at most {} fit under the open-file "
                                              "and --max-connections limits", pl.p.clients, client_cap(pl)));
    const std::uint64_t max_message = given.get(settings::max_message);
    for (auto& [net, tls, via, p, repeat, headers] : plan(ms))
        if (p.payload > max_message) throw usage_error("--payload exceeds --max-message");

    // An external target: reachable, and one client able to connect to it,
    // before anything is written (each failure one line, exit 1).
    external_target target;
    std::shared_ptr<tls_client> target_tls;
    if (!a.target.empty()) {
        target = parse_target_url(a.target, a.target_any_host);
        target.pid = a.target_pid;
        if (target.pid && !fs::exists("/proc/" + std::to_string(target.pid)))
            throw usage_error(fmt::format("--target-pid {}: no such process", target.pid));
        check_reachable(target, 3.0);
        if (tls_scheme(target.scheme))
            target_tls = make_target_tls(target.host_name, a.target_ca, parse_tls_version_arg(a.tls_client_version),
                                         a.tls_resume);
        client_config cfg;
        cfg.headers = ms.front().headers.front();
        cfg.max_message = given.get(settings::max_message) + 256;
        cfg.transport = given;
        cfg.tls = target_tls;
        check_target_client(target, *target_transport(target.scheme), cfg, 5.0);
    }

    std::string root = project_root();
    fs::path out = a.out.empty() ? fs::path(root) / "results" / (utc_now("%Y%m%dT%H%M%SZ") + "-" + label) : fs::path(a.out);
    fs::create_directories(out / "spectra");

    manifest man;
    man.version = "0.1.0";
    man.git_commit = git_commit(root);
    man.host = host_name();
    man.kernel = kernel_release();
    man.cpu_model = cpu_model();
    man.cores = std::thread::hardware_concurrency();
    man.arguments = argline;
    man.start_time_utc = utc_now("%Y-%m-%dT%H:%M:%SZ");
    {
        std::ofstream mf(out / "manifest.json");
        write_manifest(mf, man);
    }

    run_settings s;
    s.duration_s = a.duration;
    s.warmup_s = a.warmup;
    s.drain_s = a.drain;
    s.client_threads = a.client_threads;
    s.server_threads = a.server_threads;
    s.connect_concurrency = a.connect_concurrency;
    s.connect_rate = a.connect_rate;
    s.ready_timeout_s = a.ready_timeout;
    s.client_work_us = a.client_work_us;
    s.client.max_message = max_message + 256;
    s.client.transport = given;
    s.rtbench_bin = self_exe();
    s.root = project_root();
    s.server_log = (out / "server.log").string();
    s.relay_log = (out / "relay.log").string();
    s.load_log = (out / "load.log").string();
    s.server_args = a.flags.server_args();
    s.publishers = a.publishers;
    s.target = target;

    // TLS: one throw-away certificate for the run, its files in a private
    // temporary directory for the server processes, one client context.
    std::unique_ptr<tls_files> tls_dir;
    std::shared_ptr<tls_client> tls_clients;
    bool any_tls = false;
    for (auto& m : ms)
        for (auto& v : m.tls) any_tls = any_tls || (v != "none" && v != "external");
    if (any_tls) {
        auto cert = make_self_signed(a.tls_cert);
        tls_dir = std::make_unique<tls_files>(cert);
        tls_clients = make_client_tls(cert, parse_tls_version_arg(a.tls_client_version), a.tls_resume);
    }

    std::ofstream csv(out / "results.csv");
    write_csv_header(csv);
    csv.flush();
    std::ofstream procs_csv(out / "processes.csv");
    write_processes_header(procs_csv);
    bool tty = ::isatty(STDOUT_FILENO);
    auto points = plan(ms, a.repeat);
    std::vector<result_row> rows;
    bool failed = false;
    std::size_t measured = 0; // points run so far (each with its own nginx folder)
    // Runs one point and writes its row; nullopt (and `failed`) when it
    // could not run at all.
    auto measure = [&](const planned& pl, const std::string& step) -> std::optional<result_row> {
        auto& [net, tls, via, p, repeat, headers] = pl;
        s.net = net;
        s.via = via;
        s.client.headers = headers;
        s.client_procs = load_procs(a, p, tls);
        s.server_procs = server_procs(a, p, net.relay || via.active());
        s.source_addrs = source_addrs(a, p);
        s.proxy_dir = (out / "nginx" / std::to_string(++measured)).string();
        s.tls = {};
        if (target_tls) {
            // The target's TLS, whatever versions it accepts ("external").
            s.tls = {tls, "", a.tls_resume, {}, "", "", target_tls};
        } else if (tls != "none") {
            // TLS ends at the proxy when there is one; the server is plain.
            std::vector<std::string> args;
            if (!via.active())
                args = {"--tls", "--tls-version", tls, "--tls-cert-file", tls_dir->cert(), "--tls-key-file", tls_dir->key()};
            s.tls = {tls, a.tls_cert, a.tls_resume, args, tls_dir->cert(), tls_dir->key(), tls_clients};
        }
        std::string what = fmt::format("{} {} clients={} rate={} payload={}{}{}{}{}", p.transport->name, scenario_name(p.sc),
                                       p.clients, p.rate_hz, p.payload,
                                       p.kind == payload_kind::pattern ? "" : std::string(" ") + payload_kind_name(p.kind),
                                       net.relay ? " net=" + net.name : "",
                                       tls != "none" ? " tls=" + tls : "", via.active() ? " via=" + via.name : "");
        if (headers == header_profile::browser) what += " headers=browser";
        if (a.repeat > 1) what += fmt::format(" repeat={}/{}", repeat, a.repeat);
        if (tty)
            s.progress = [&](const char* phase, double done) {
                std::cout << fmt::format("\r[{}] {}: {} {:3.0f}%   ", step, what, phase, done * 100) << std::flush;
            };
        std::optional<result_row> r;
        try {
            r = run_point(p, s);
            r->repeat = repeat;
            if (search) {
                auto j = judge(*r, objective, design_wait_s(p));
                r->slo_met = j.bound ? "" : j.met ? "true" : "false";
                r->slo_why = j.why;
            }
            write_csv_row(csv, *r);
            csv.flush();
            write_processes_rows(procs_csv, *r, rows.size() + 1);
            procs_csv.flush();
            std::ofstream sp(out / spectrum_file_name(*r));
            r->rx_latency.write_spectrum(sp, 1000.0); // microseconds, the headline latency
            rows.push_back(*r);
        } catch (const std::exception& e) {
            failed = true;
            std::cerr << fmt::format("\nrtbench: {}: {}\n", what, e.what());
        }
        if (tty) std::cout << "\r" << std::string(120, ' ') << "\r" << std::flush;
        return r;
    };
    std::vector<capacity_line> capacity;
    for (std::size_t n = 0; n < points.size(); ++n) {
        std::string step = fmt::format("{}/{}", n + 1, points.size());
        if (!search) {
            measure(points[n], step);
            continue;
        }
        // The point's searched dimension is where the search starts.
        capacity_line line;
        line.searched = a.find_max;
        bool by_rate = a.find_max == "rate";
        search_settings ss;
        ss.start = by_rate ? points[n].p.rate_hz : static_cast<double>(points[n].p.clients);
        ss.min = by_rate ? 0.1 : 1;
        ss.max = by_rate ? max_publish_rate_hz : static_cast<double>(client_cap(points[n]));
        ss.integral = !by_rate;
        ss.max_probes = static_cast<int>(a.max_probes);
        ss.precision = a.precision / 100;
        line.res = find_max(ss, [&](double x) {
            planned q = points[n];
            if (by_rate) q.p.rate_hz = x;
            else q.p.clients = static_cast<std::size_t>(x);
            auto r = measure(q, fmt::format("{} probe {}", step, line.probes.size() + 1));
            if (!r) return probe{false, "the point could not run (see above)", true};
            line.probes.push_back(*r);
            if (line.probes.size() == 1) line.first = *r;
            // measure() judged it: the row's slo_met is empty when it could not tell.
            return probe{r->slo_met == "true", r->slo_why, r->slo_met.empty()};
        });
        if (!line.probes.empty()) capacity.push_back(std::move(line));
    }
    std::cout << "\n";
    write_summary(std::cout, rows);
    write_spread_summary(std::cout, rows);
    {
        std::ofstream sm(out / "summary.txt");
        write_summary(sm, rows);
        write_spread_summary(sm, rows);
        std::ofstream sp(out / "spread.csv");
        write_spread_csv(sp, rows);
    }
    std::vector<std::string> capacity_lines;
    if (search) {
        std::ofstream cf(out / "capacity.csv");
        write_capacity_csv(cf, capacity, objective);
        capacity_lines = capacity_sentences(capacity, objective);
        std::cout << "\nCapacity:\n";
        for (auto& l : capacity_lines) std::cout << "- " << l << "\n";
    }
    if (collect) collect->insert(collect->end(), rows.begin(), rows.end());
    else write_verdict(out, rows, capacity_lines);
    std::cout << fmt::format("\nResults: {}\n", out.string());
    if (!a.no_plot && !rows.empty() && plot_folder(root, out.string()) != 0)
        std::cerr << "rtbench: plotting failed (the CSV is complete)\n";
    if (failed) return 1;
    std::uint64_t lost = 0, dup = 0, corrupt = 0;
    for (auto& r : rows) lost += r.lost, dup += r.duplicated, corrupt += r.corrupt;
    // A search misses the objective on purpose: its probes' losses are findings.
    if ((lost || dup || corrupt) && !a.allow_loss && !search) {
        std::cerr << fmt::format("rtbench: {} messages lost, {} duplicated, {} corrupted (exit 3; --allow-loss to accept)\n",
                                 lost, dup, corrupt);
        return exit_loss;
    }
    return 0;
}


} // namespace

int run_plot(const std::string& dir) { return plot_folder(project_root(), dir); }

namespace {

// "echo, broadcast or connect" from "echo broadcast connect".
std::string spoken(std::string_view list) {
    auto w = words(list);
    std::string out;
    for (std::size_t i = 0; i < w.size(); ++i)
        out += std::string(i == 0 ? "" : i + 1 == w.size() ? " or " : ", ") + std::string(w[i]);
    return out;
}

} // namespace

// `run --target`: what an external server allows. Its URL picks the
// client; rtbench can neither start its publisher (push) nor put a proxy
// or its own TLS in front of it; the relay (--net) forwards to 127.0.0.1.
void check_target_args(CLI::App& cmd, const run_args& a, matrix& m) {
    auto t = parse_target_url(a.target, a.target_any_host);
    auto* client = target_transport(t.scheme);
    if (cmd.get_option("--transport")->count() > 0 && a.transports != client->name)
        throw usage_error(fmt::format("--target {}:// is spoken by {}, not --transport {}", t.scheme, client->name,
                                      a.transports));
    m.transports = {client};
    if (m.sc == scenario::push)
        throw usage_error(fmt::format("--target: push needs rtbench's control endpoint to start a server's publisher; "
                                      "against a server of your own run --scenario {}", spoken(client->target_scenarios)));
    // The scheme's contract says what a server can do unaided: an HTTP
    // server has no standard way to answer a POST on its sender's own
    // event stream, so http:// has broadcast (one client, one publisher: an
    // echo) but no echo (README.md, "External targets").
    if (!lists(client->target_scenarios, scenario_name(m.sc)))
        throw usage_error(fmt::format("--target {}://: {}'s client runs {} against a server of your own, not {}{}", t.scheme,
                                      client->name, spoken(client->target_scenarios), scenario_name(m.sc),
                                      m.sc == scenario::echo ? " (broadcast with --publishers 1 sends each message "
                                                               "back to its sender too)" : ""));
    if (cmd.get_option("--via")->count() > 0) throw usage_error("--target: --via puts a proxy before rtbench's server only");
    for (const char* o : {"--tls", "--tls-version", "--tls-cert"})
        if (cmd.get_option(o)->count() > 0)
            throw usage_error(fmt::format("--target: {} is for rtbench's server; the URL says TLS (wss://, https://)", o));
    if (auto o = a.flags.first_server_only(); !o.empty())
        throw usage_error(fmt::format("--target: {} sets rtbench's own server, not one it did not start", o));
    if (!tls_scheme(t.scheme))
        for (const char* o : {"--target-ca", "--tls-resume", "--tls-client-version"})
            if (cmd.get_option(o)->count() > 0)
                throw usage_error(fmt::format("--target: {} goes with a wss:// or https:// URL", o));
    for (auto& n : m.nets)
        if (n.relay && t.host != "127.0.0.1")
            throw usage_error("--target: --net's relay forwards to 127.0.0.1 only, not " + t.host);
    m.tls = {tls_scheme(t.scheme) ? "external" : "none"};
}

std::string g_argline; // the full command line, for the manifest (set by main)

std::function<int()> add_run(CLI::App& app) {
    auto* cmd = app.add_subcommand("run", "Measure transports under one scenario; one CSV row per transport x point");
    auto a = std::make_shared<run_args>();
    add_run_options(cmd, *a, true);
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        if (a->find_max.empty())
            for (const char* o : {"--slo", "--max-loss", "--max-probes", "--precision"})
                if (cmd->get_option(o)->count() > 0) throw usage_error(std::string(o) + " goes with --find-max");
        matrix m;
        m.nets = parse_nets(a->net);
        m.tls = parse_tls_list(*a, cmd->get_option("--tls-version")->count() > 0);
        m.via = parse_vias(a->via);
        m.transports = select_transports(a->transports);
        m.sc = parse_scenario(a->scenario);
        if (cmd->get_option("--publishers")->count() > 0 && m.sc != scenario::broadcast)
            throw usage_error("--publishers goes with --scenario broadcast");
        if (a->target.empty()) {
            for (const char* o : {"--target-pid", "--target-ca", "--target-any-host"})
                if (cmd->get_option(o)->count() > 0) throw usage_error(std::string(o) + " goes with --target");
        } else {
            check_target_args(*cmd, *a, m);
        }
        for (double c : parse_doubles(a->clients, "--clients", 1)) m.clients.push_back(static_cast<std::size_t>(c));
        m.rates = m.sc == scenario::connect ? std::vector<double>{0} : parse_doubles(a->rates, "--rate", 0.001);
        if (m.sc == scenario::connect) m.payloads = {0};
        else for (double p : parse_doubles(a->payloads, "--payload", 0)) m.payloads.push_back(static_cast<std::size_t>(p));
        if (m.sc != scenario::connect) m.kinds = parse_kinds(*a);
        m.headers = parse_headers(a->headers);
        return execute(*a, {m}, g_argline, a->scenario);
    };
}

std::function<int()> add_compare(CLI::App& app) {
    auto* cmd = app.add_subcommand("compare", "The default side-by-side comparison of every transport, on loopback and "
                                              "on a WAN profile (about 3 minutes)");
    auto a = std::make_shared<run_args>();
    a->net = "4g"; // compare's --net: the WAN profile(s) run beside loopback
    add_run_options(cmd, *a, false);
    auto peers = std::make_shared<bool>(false);
    cmd->add_flag("--peers", *peers, "Add the peers (servers people run: Node ws, Socket.IO, SockJS; `rtbench list`) "
                                     "beside rtbench's own transports; the verdict states their costs as ratios to "
                                     "rtbench's server doing the same job");
    return [cmd, a, peers]() -> int {
        if (!cmd->parsed()) return -1;
        // Push fan-out at 20 msg/s to 10 and 200 clients with a small and a
        // 1 KiB payload on loopback, then the 200 x 64 B point again on the
        // WAN profile (where the transports part ways: a round trip per
        // long-poll answer, a poll interval, a stalled stream), then the
        // cost of 1,000 idle connections.
        run_args push = *a;
        push.duration = 3;
        push.warmup = 1;
        auto all_transports = select_transports("all");
        if (*peers)
            for (auto* t : select_transports("peers")) all_transports.push_back(t);
        std::vector<net_profile> wan;
        for (auto& n : parse_nets(a->net))
            if (n.relay) wan.push_back(n);
        auto tls = parse_tls_list(*a, cmd->get_option("--tls-version")->count() > 0);
        auto via = parse_vias(a->via);
        auto kinds = parse_kinds(*a);
        // --headers browser puts what a browser pays beside the minimal
        // figures, not instead of them.
        auto headers = parse_headers(a->headers);
        if (headers.front() != header_profile::minimal) headers.insert(headers.begin(), header_profile::minimal);
        std::vector<matrix> ms = {{parse_nets("none"), tls, via, all_transports, scenario::push, {10, 200}, {20},
                                   {64, 1024}, kinds, headers}};
        if (!wan.empty()) ms.push_back({wan, tls, via, all_transports, scenario::push, {200}, {20}, {64}, kinds, headers});
        std::string base = a->out.empty() ? (fs::path(project_root()) / "results" / (utc_now("%Y%m%dT%H%M%SZ") + "-compare")).string() : a->out;
        push.out = base;
        push.no_plot = true;
        std::vector<result_row> all;
        int rc = execute(push, ms, g_argline, "compare", &all);
        run_args conn = *a;
        conn.duration = 3;
        conn.out = (fs::path(base) / "connect").string();
        conn.no_plot = true;
        matrix mc{parse_nets("none"), tls, via, all_transports, scenario::connect, {1000}, {0}, {0}, {payload_kind::pattern},
                  headers};
        int rc2 = execute(conn, {mc}, g_argline, "compare-connect", &all);
        write_verdict(base, all);
        if (!a->no_plot && plot_folder(project_root(), base) != 0)
            std::cerr << "rtbench: plotting failed (the CSV is complete)\n";
        return rc != 0 ? rc : rc2;
    };
}

} // namespace rtb
