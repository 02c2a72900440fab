#pragma once
// Runs one measured point: a server process, N clients over T load
// threads, explicit phases (connect -> warm-up -> measure -> drain), and
// the row of results. Only the measure phase counts.
#include <functional>
#include <string>
#include <vector>

#include "harness/load.hpp"
#include "harness/report.hpp"
#include "harness/server_process.hpp"
#include "netem/net_profile.hpp"
#include "proxy/proxy_process.hpp"

namespace rtb {

struct point {
    const transport_descriptor* transport = nullptr;
    scenario sc = scenario::push;
    std::size_t clients = 1;
    double rate_hz = 100;
    std::size_t payload = 64;
    payload_kind kind = payload_kind::pattern;
};

// TLS for a point: the server's flags and the clients' shared context.
struct tls_setup {
    std::string version = "none"; // "none" (plain), "1.2", "1.3": what the server accepts
    std::string cert;              // certificate kind, for the row
    bool resume = false;           // reconnects offer the last session
    std::vector<std::string> server_args; // --tls ... for `rtbench serve` (empty when a proxy ends TLS)
    std::string cert_file, key_file;      // for a proxy that ends TLS
    std::shared_ptr<const tls_client> client; // null: plain
};

// An external server (`run --target URL`): rtbench starts and controls
// nothing; every client connects to host:port and asks for request_target.
struct external_target {
    std::string url;            // as given, for the row's `target` column
    std::string scheme;         // ws, wss, http, https
    std::string host_name;      // the URL's host: a name or an address (TLS checks it)
    std::string authority;      // the URL's host[:port], sent as Host
    std::string host;           // the address connected to (numeric)
    std::vector<std::string> addresses; // all the host resolved to (host: the first that answered)
    std::uint16_t port = 0;
    std::string request_target; // path and query
    int pid = 0;                // --target-pid: its CPU and memory measured; 0: not
    bool active() const { return !url.empty(); }
};

struct run_settings {
    double duration_s = 5, warmup_s = 1, drain_s = 0; // drain 0: automatic
    std::size_t client_threads = 1;
    // Load processes (`rtbench load-worker`), each with client_threads
    // threads; 1: the clients run in this process, as they always did.
    std::size_t client_procs = 1;
    std::string load_log; // the load processes' stderr
    // Server processes (`rtbench serve`), each on its own port with its share
    // of the clients (dealt out by index): past one process's open files.
    // Connect and echo only: push and broadcast need one sequence of
    // messages across them.
    std::size_t server_procs = 1;
    // Client i binds 127.0.0.(2 + i % source_addrs) (client_config::source);
    // 0: the kernel's choice of source.
    std::size_t source_addrs = 0;
    // The server's event loops (`serve --threads`). One by default: on one
    // machine the load generator needs cores too, and a server given every
    // core would measure their contention, not the transport.
    std::size_t server_threads = 1;
    std::size_t connect_concurrency = 256;
    double connect_rate = 0; // new connections per second, all threads; 0 = no pacing
    double ready_timeout_s = 60;
    double client_work_us = 0; // how long each received message keeps a client busy (load_thread)
    client_config client;                 // poll interval, headers, ...
    std::vector<std::string> server_args; // passed to `rtbench serve`
    std::string rtbench_bin;              // this executable
    std::string root;                     // the checkout: a peer's script is found under it
    std::string server_log;               // server stdout/stderr go here
    net_profile net;                      // the path between clients and server ("none": direct)
    std::string relay_log;                // the relay's stderr
    tls_setup tls;
    proxy_spec via;        // the reverse proxy between clients (or relay) and server
    std::string proxy_dir; // its directory (config, logs), under the run folder
    external_target target;     // active: no server of rtbench's own
    std::size_t publishers = 1; // broadcast: the clients that send
    // Called about every 200 ms with a phase name and progress 0..1.
    std::function<void(const char* phase, double done)> progress;
};

scenario parse_scenario(const std::string& s); // throws std::invalid_argument
const char* scenario_name(scenario s);

result_row run_point(const point& p, const run_settings& s);

// This process's share of a point's clients, those with index i % procs ==
// proc, on s.client_threads load threads; client i connects to port
// ports[i % ports.size()] (the relay's, the proxy's or a server's). A load
// process builds its share the same way from load_worker_args().
std::unique_ptr<load_group> make_load_threads(const point& p, const run_settings& s,
                                              const std::vector<std::uint16_t>& ports, std::size_t proc = 0,
                                              std::size_t procs = 1);
// The `rtbench load-worker` arguments of load process `proc` of `procs`.
std::vector<std::string> load_worker_args(const point& p, const run_settings& s, const std::vector<std::uint16_t>& ports,
                                          std::size_t proc, std::size_t procs);
// Client i's source address with `n` of them: 127.0.0.(2 + i % n); "" when n is 0.
std::string source_address(std::size_t i, std::size_t n);

} // namespace rtb
