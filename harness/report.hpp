#pragma once
// One result row per transport x parameter point, and the files of a run
// folder: results.csv (frozen columns, units in names), manifest.json, the
// latency spectra, and the terminal summary.
#include <cstdint>
#include <iosfwd>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "harness/histogram.hpp"

namespace rtb {

struct result_row {
    std::string transport, scenario;
    std::uint64_t clients = 0;
    double rate_hz = 0; // push: server publish rate; echo: per-client send rate; connect: 0
    std::uint64_t payload_bytes = 0;
    double duration_s = 0;
    std::uint64_t expected = 0, delivered = 0, lost = 0, duplicated = 0, reordered = 0;
    std::uint64_t in_flight_at_end = 0; // of lost: never arrived, after the last received
    std::uint64_t gaps_reported = 0, corrupt = 0, reconnects = 0;
    histogram latency;             // from the scheduled time (corrected)
    histogram latency_uncorrected; // from the actual send/publish time
    // Format 7: from the scheduled time to the kernel's receive time (the
    // headline: the server's and the network's latency without the load
    // generator's), and the generator's own delay, kernel receive ->
    // processed. latency = rx_latency + generator_delay, message by message.
    histogram rx_latency, generator_delay;
    std::uint64_t rx_unstamped = 0; // messages the kernel gave no receive time (rx_latency: at processed time)
    double client_work_us = 0;      // --client-work-us: how long each received message kept a client busy
    histogram connect;             // TCP connect start -> ready
    std::uint64_t wire_down_bytes = 0, wire_up_bytes = 0, tcp_segments = 0;
    std::uint64_t received_in_window = 0, payload_in_window = 0;
    // What the application handed the transport in the window, in each
    // direction as its wire bytes are counted: bodies received (envelope +
    // payload), and in echo the upstream records sent.
    std::uint64_t app_bytes_in_window = 0;
    std::uint64_t envelope_in_window = 0; // rtbench's fields of each message received (echo: both crossings)
    double handshake_bytes = 0;               // mean per connection, both directions
    double idle_bytes_per_conn_per_min = 0;   // connect scenario
    std::int64_t server_cpu_ns = 0, client_cpu_ns = 0;
    double window_s = 0;                      // the measured wall time
    std::uint64_t server_rss_bytes = 0, server_rss_peak_bytes = 0;
    // The load generator: every process of it summed (format 11; before,
    // the one process it always was). `processes` keeps each apart: the run
    // process (the coordinator) first, then the load processes, then the
    // server processes.
    std::uint64_t client_rss_bytes = 0, client_rss_peak_bytes = 0;
    double server_rss_bytes_per_conn = 0;
    std::uint64_t client_threads = 1; // per load process
    std::uint64_t client_procs = 1;   // load processes; 1: the clients ran in the run process
    std::uint64_t server_procs = 0;   // server processes (0: none of rtbench's, a target)
    struct process_figures {
        std::string role;        // "run", "load" or "server"
        int pid = 0;
        std::int64_t cpu_ns = 0; // in the window
        std::uint64_t rss_bytes = 0, peak_bytes = 0;
    };
    std::vector<process_figures> processes;
    std::uint64_t slow_consumers = 0, bad_requests = 0;
    double max_send_lag_us = 0; // echo: how late the load generator sent
    bool client_bound = false;
    // The network path (format 3): the profile's label and numbers, and the
    // impairment relay's own figures. relay = false: clients connected
    // straight to the server and the relay columns are empty.
    std::string net = "none";
    double net_rtt_ms = 0, net_jitter_ms = 0, net_down_bps = 0, net_up_bps = 0, net_loss = 0, net_resets_per_min = 0;
    bool relay = false;
    std::int64_t relay_cpu_ns = 0;
    std::uint64_t relay_rss_bytes = 0, relay_resets = 0;
    std::uint64_t relay_lateness_p99_ns = 0, relay_lateness_max_ns = 0;
    bool relay_bound = false;
    std::uint64_t server_rss_window_start_bytes = 0; // server RSS as the window opened (soak: flat?)
    // Format 4: TLS and the reverse proxy.
    std::string tls = "none";  // "none", or the version the server accepted ("1.2", "1.3")
    std::string tls_cert;      // "ecdsa-p256", "rsa2048" (empty without TLS)
    bool tls_resume = false;   // reconnects offered their last session
    histogram tcp_connect, tls_handshake; // every connection the clients opened during the point
    std::uint64_t tls_handshakes = 0, tls_resumed = 0;
    double handshake_down_bytes = 0, handshake_up_bytes = 0; // of handshake_bytes, each way
    std::uint64_t tls_bytes_in_window = 0; // what TLS added on the wire in the window, both ways
    std::string via = "none";  // the reverse proxy in the path: "none", "nginx:default", ...
    bool proxy = false;
    std::int64_t proxy_cpu_ns = 0;
    std::uint64_t proxy_rss_bytes = 0;
    // Why nothing (or not everything) could be measured, in words: a client
    // that never connected, an upgrade a proxy refused. Empty when all went well.
    // Format 8: an external server (`run --target`): its URL; empty for
    // rtbench's server or a peer. Its process is measured only when the
    // user names it (--target-pid): server_measured = false leaves the
    // server_* columns empty, not zero; slow_consumers and bad_requests
    // (the server's own counts) are empty for every target.
    std::string target;
    bool server_measured = true;
    std::size_t publishers = 0; // broadcast: the clients that sent (0: another scenario)
    // Format 9. The kernel's memory for the server's connections as the
    // window opened (harness/sockmem.hpp), per connected client; unset when
    // it could not be read (then the column is empty).
    std::optional<double> server_kernel_bytes_per_conn;
    // Messages per push write over the run (the server's /stats
    // frames_sent / writes); unset for a server that does not count them
    // (the peers, a target) or that made no push write (polling).
    std::optional<double> server_msgs_per_write;
    // Format 10. The event loops (threads) of the server process (`run
    // --server-threads`, `serve --threads`); 0 (empty) for a server rtbench
    // did not start.
    std::uint64_t server_threads = 0;
    std::string failure;
    // Format 5: why a connected client first lost its subscription during the
    // point (a proxy's "status 504", a reset), the cause behind reconnects.
    std::string reconnect_cause;
    // The TLS versions the handshakes of the point negotiated (the tls
    // column is what the server was told to accept, which may be "any").
    std::set<std::string> tls_negotiated;
    // Format 6: which run of its point this row is (1..N with --repeat N).
    std::uint64_t repeat = 1;
    // Format 6, with --find-max: whether this probe met the objective
    // ("true", "false"; empty outside a search, or when the load generator
    // or relay was the limit and it cannot tell), and why not.
    std::string slo_met, slo_why;
    // Format 6: what the payload looked like (harness/payload.hpp): pattern,
    // random or json; empty for connect rows, which send none.
    std::string payload_kind = "pattern";
    // Format 6: the HTTP request headers the clients sent: "minimal" or
    // "browser" (what desktop Chrome sends).
    std::string headers = "minimal";
    std::vector<std::string> warnings; // in words, for the summary and report
};

// Per-segment TCP/IP header estimate: IPv4 (20) + TCP (20) + the timestamp
// option Linux sends by default (12). Ethernet framing is not counted.
inline constexpr double tcpip_bytes_per_segment = 52.0;

// Per-message figures, one definition each (the CSV, the summary and the
// verdict all call these). 0 when no message was received.
double framing_per_msg(const result_row& r);
double server_cpu_us_per_msg(const result_row& r);
double tls_per_msg(const result_row& r);
// A row whose figures can be compared with others: everything delivered,
// every client connected, neither the load generator nor the relay the
// limit. The verdict ranks these only, and repeats' spreads are over these.
bool comparable(const result_row& r);
// The headline latency in milliseconds: from the scheduled time to the
// kernel's receive time (rx_latency), at a percentile.
double latency_ms(const result_row& r, double percentile);
double p50_ms(const result_row& r);
double p99_ms(const result_row& r);
// Messages received in the measure window per second of it, all clients
// together: the throughput the point delivered.
double delivered_per_s(const result_row& r);

// A CSV cell of free text: commas become ';', quotes and line breaks spaces.
std::string text_cell(std::string s);

// Header and rows come from one column table, so they cannot drift apart.
void write_csv_header(std::ostream& os);
void write_csv_row(std::ostream& os, const result_row& r);
std::vector<std::string> csv_columns();
// processes.csv: one line per process of the load generator and of the
// server for each row (`row`: its line in results.csv, from 1): role (run:
// the run process; load: a load process; server), pid, CPU in the window,
// its share of it, RSS.
void write_processes_header(std::ostream& os);
void write_processes_rows(std::ostream& os, const result_row& r, std::size_t row);

// The results format: 1 = up to client_rss_peak_bytes; 2 adds
// app_bytes_in_window, framing_bytes_per_msg, envelope_bytes_per_msg and
// framing_ratio; 3 adds the network profile (net, net_*) and the relay's
// columns (relay_*), and server_rss_window_start_bytes (results/README.md). No column ever changes meaning.
// 4 adds TLS (tls, tls_*, tcp_connect_*, handshake_{down,up}_bytes), the
// reverse proxy (via, proxy_*) and failure; framing_bytes_per_msg leaves
// out what TLS added (tls_bytes_per_msg), as it always meant the transport's
// own framing. 5 adds reconnect_cause and tls_negotiated. 6 adds repeat,
// delivered_per_s, slo_met, slo_why, payload_kind and headers. 7 adds
// rx_latency_* (the headline: latency at the kernel's receive time),
// generator_delay_*, rx_unstamped and client_work_us; spectra, the summary,
// the verdict, spread.csv (figures renamed rx_latency_*) and the capacity
// search (its objective, so slo_met/slo_why, and capacity.csv
// rx_latency_ms) use rx_latency from then on.
// 8 adds `target` (an external server's URL), empty server_* columns for
// a server rtbench did not start, and the broadcast scenario.
// 9 adds server_kernel_bytes_per_conn and server_msgs_per_write; 10 adds
// server_threads; 11 adds client_procs and server_procs: client_* and
// server_* CPU and memory sum every process of each side (processes.csv
// keeps each).
inline constexpr int results_format = 11;

struct manifest {
    std::string version, git_commit, host, kernel, cpu_model, arguments, start_time_utc;
    unsigned cores = 0;
};
void write_manifest(std::ostream& os, const manifest& m);
std::string json_escape(const std::string& s);

// A readable table for the terminal.
void write_summary(std::ostream& os, const std::vector<result_row>& rows);

// The path a row ran on, for file names and charts: the network profile's
// label, then " tls=V", " via=P" and " headers=browser" when set ("none"
// alone: loopback, plain, direct, minimal headers).
// plots/rtbench_plots.py path_label is the same.
std::string path_label(const result_row& r);

// The same path in words, for sentences: "loopback" (direct, plain, no
// network profile, minimal headers), else the profile, then " with TLS V",
// " via P", " with browser headers". A transport on another path is not the
// same contestant (the verdict and the capacity search both group by it).
std::string path_words(const result_row& r);

// File name of a row's latency spectrum inside the run folder.
std::string spectrum_file_name(const result_row& r);

} // namespace rtb
