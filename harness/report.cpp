#include "harness/report.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <ostream>

#include <fmt/format.h>

namespace rtb {
namespace {

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }
double per(double num, double den) { return den > 0 ? num / den : 0.0; }

std::uint64_t delivered_messages(const result_row& r) { return r.received_in_window; }
double wire_total(const result_row& r) {
    return static_cast<double>(r.wire_down_bytes + r.wire_up_bytes);
}
// Bytes on the wire (both directions) beyond the payload, per message
// received in the window: headers, framing, polls that came back empty, the
// message's own seq/timestamp/tag fields — all of it.
double overhead_per_msg(const result_row& r) {
    return per(wire_total(r) - static_cast<double>(r.payload_in_window), static_cast<double>(delivered_messages(r)));
}
double overhead_ratio(const result_row& r) { return per(wire_total(r), static_cast<double>(r.payload_in_window)); }
// The split of overhead_per_msg. Framing: wire bytes beyond the message as
// the application handed it over (headers, chunk sizes, frame headers, SSE
// field names, empty polls): what RFC 6455, RFC 9112 and the SSE spec
// predict, the transport's own cost. Envelope: rtbench's instrumentation in
// each message (sequence number, timestamps, tag), the same in every
// transport. framing + envelope + tls_bytes_per_msg = overhead_bytes_per_msg
// (echo: plus the upstream copy of the payload; there the two sides of the
// sum are counted differently at the window's edges — per direction and
// per message — and agree to within one record per client per edge).
double envelope_per_msg(const result_row& r) {
    return per(static_cast<double>(r.envelope_in_window), static_cast<double>(delivered_messages(r)));
}
double framing_ratio(const result_row& r) { return per(wire_total(r), static_cast<double>(r.app_bytes_in_window)); }

struct column {
    const char* name;
    std::function<std::string(const result_row&)> value;
};

std::string f3(double v) { return fmt::format("{:.3f}", v); }
std::string u(std::uint64_t v) { return std::to_string(v); }
// Empty, not zero, when no relay was in the path: nothing was measured.
std::string relay_col(const result_row& r, std::string v) { return r.relay ? v : std::string(); }
std::string tls_col(const result_row& r, std::string v) { return r.tls != "none" ? v : std::string(); }
std::string proxy_col(const result_row& r, std::string v) { return r.proxy ? v : std::string(); }
// An external target's process is measured only with --target-pid; its own
// counts (slow consumers, bad requests) are never known.
std::string server_col(const result_row& r, std::string v) { return r.server_measured ? v : std::string(); }
std::string stats_col(const result_row& r, std::string v) { return r.target.empty() ? v : std::string(); }

// The frozen column list. Append only; never reorder or rename.
const std::vector<column>& columns() {
    static const std::vector<column> cols = {
        {"transport", [](auto& r) { return r.transport; }},
        {"scenario", [](auto& r) { return r.scenario; }},
        {"clients", [](auto& r) { return u(r.clients); }},
        {"rate_hz", [](auto& r) { return f3(r.rate_hz); }},
        {"payload_bytes", [](auto& r) { return u(r.payload_bytes); }},
        {"duration_s", [](auto& r) { return f3(r.duration_s); }},
        {"expected", [](auto& r) { return u(r.expected); }},
        {"delivered", [](auto& r) { return u(r.delivered); }},
        {"lost", [](auto& r) { return u(r.lost); }},
        {"duplicated", [](auto& r) { return u(r.duplicated); }},
        {"reordered", [](auto& r) { return u(r.reordered); }},
        {"latency_p50_us", [](auto& r) { return f3(us(r.latency.percentile(50))); }},
        {"latency_p90_us", [](auto& r) { return f3(us(r.latency.percentile(90))); }},
        {"latency_p99_us", [](auto& r) { return f3(us(r.latency.percentile(99))); }},
        {"latency_p999_us", [](auto& r) { return f3(us(r.latency.percentile(99.9))); }},
        {"latency_p9999_us", [](auto& r) { return f3(us(r.latency.percentile(99.99))); }},
        {"latency_max_us", [](auto& r) { return f3(us(r.latency.max())); }},
        {"latency_mean_us", [](auto& r) { return f3(r.latency.mean() / 1000.0); }},
        {"latency_uncorrected_p50_us", [](auto& r) { return f3(us(r.latency_uncorrected.percentile(50))); }},
        {"latency_uncorrected_p99_us", [](auto& r) { return f3(us(r.latency_uncorrected.percentile(99))); }},
        {"latency_uncorrected_max_us", [](auto& r) { return f3(us(r.latency_uncorrected.max())); }},
        {"wire_down_bytes", [](auto& r) { return u(r.wire_down_bytes); }},
        {"wire_up_bytes", [](auto& r) { return u(r.wire_up_bytes); }},
        {"messages_in_window", [](auto& r) { return u(r.received_in_window); }},
        {"payload_bytes_in_window", [](auto& r) { return u(r.payload_in_window); }},
        {"overhead_bytes_per_msg", [](auto& r) { return f3(overhead_per_msg(r)); }},
        {"overhead_ratio", [](auto& r) { return f3(overhead_ratio(r)); }},
        {"tcp_segments", [](auto& r) { return u(r.tcp_segments); }},
        {"tcpip_bytes_per_msg", [](auto& r) {
             return f3(per(static_cast<double>(r.tcp_segments) * tcpip_bytes_per_segment,
                           static_cast<double>(delivered_messages(r))));
         }},
        {"connect_p50_us", [](auto& r) { return f3(us(r.connect.percentile(50))); }},
        {"connect_p99_us", [](auto& r) { return f3(us(r.connect.percentile(99))); }},
        {"connect_max_us", [](auto& r) { return f3(us(r.connect.max())); }},
        {"handshake_bytes", [](auto& r) { return f3(r.handshake_bytes); }},
        {"idle_bytes_per_conn_per_min", [](auto& r) { return f3(r.idle_bytes_per_conn_per_min); }},
        {"server_cpu_us_per_msg", [](auto& r) { return server_col(r, f3(server_cpu_us_per_msg(r))); }},
        {"server_cpu_util", [](auto& r) { return server_col(r, f3(per(static_cast<double>(r.server_cpu_ns) / 1e9, r.window_s))); }},
        {"server_rss_bytes", [](auto& r) { return server_col(r, u(r.server_rss_bytes)); }},
        {"server_rss_peak_bytes", [](auto& r) { return server_col(r, u(r.server_rss_peak_bytes)); }},
        {"server_rss_bytes_per_conn", [](auto& r) { return server_col(r, f3(r.server_rss_bytes_per_conn)); }},
        {"client_cpu_us_per_msg", [](auto& r) {
             return f3(per(static_cast<double>(r.client_cpu_ns) / 1000.0, static_cast<double>(delivered_messages(r))));
         }},
        {"client_cpu_util", [](auto& r) { return f3(per(static_cast<double>(r.client_cpu_ns) / 1e9, r.window_s)); }},
        {"client_threads", [](auto& r) { return u(r.client_threads); }},
        {"reconnects", [](auto& r) { return u(r.reconnects); }},
        {"gaps_reported", [](auto& r) { return u(r.gaps_reported); }},
        {"slow_consumers", [](auto& r) { return stats_col(r, u(r.slow_consumers)); }},
        {"bad_requests", [](auto& r) { return stats_col(r, u(r.bad_requests)); }},
        {"max_send_lag_us", [](auto& r) { return f3(r.max_send_lag_us); }},
        {"client_bound", [](auto& r) { return std::string(r.client_bound ? "true" : "false"); }},
        {"lost_in_flight_at_end", [](auto& r) { return u(r.in_flight_at_end); }},
        {"corrupt", [](auto& r) { return u(r.corrupt); }},
        {"client_rss_bytes", [](auto& r) { return u(r.client_rss_bytes); }},
        {"client_rss_peak_bytes", [](auto& r) { return u(r.client_rss_peak_bytes); }},
        // Format 2 (manifest "format": 2).
        {"app_bytes_in_window", [](auto& r) { return u(r.app_bytes_in_window); }},
        {"framing_bytes_per_msg", [](auto& r) { return f3(framing_per_msg(r)); }},
        {"envelope_bytes_per_msg", [](auto& r) { return f3(envelope_per_msg(r)); }},
        {"framing_ratio", [](auto& r) { return f3(framing_ratio(r)); }},
        // Format 3: the network path. Relay columns are empty without a relay.
        {"net", [](auto& r) { return r.net; }},
        {"net_rtt_ms", [](auto& r) { return f3(r.net_rtt_ms); }},
        {"net_jitter_ms", [](auto& r) { return f3(r.net_jitter_ms); }},
        {"net_down_bps", [](auto& r) { return f3(r.net_down_bps); }},
        {"net_up_bps", [](auto& r) { return f3(r.net_up_bps); }},
        {"net_loss_pct", [](auto& r) { return f3(r.net_loss * 100); }},
        {"net_resets_per_min", [](auto& r) { return f3(r.net_resets_per_min); }},
        {"relay_cpu_util", [](auto& r) { return relay_col(r, f3(per(static_cast<double>(r.relay_cpu_ns) / 1e9, r.window_s))); }},
        {"relay_cpu_us_per_msg", [](auto& r) {
             return relay_col(r, f3(per(static_cast<double>(r.relay_cpu_ns) / 1000.0, static_cast<double>(delivered_messages(r)))));
         }},
        {"relay_rss_bytes", [](auto& r) { return relay_col(r, u(r.relay_rss_bytes)); }},
        {"relay_lateness_p99_us", [](auto& r) { return relay_col(r, f3(us(r.relay_lateness_p99_ns))); }},
        {"relay_lateness_max_us", [](auto& r) { return relay_col(r, f3(us(r.relay_lateness_max_ns))); }},
        {"relay_resets", [](auto& r) { return relay_col(r, u(r.relay_resets)); }},
        {"relay_bound", [](auto& r) { return relay_col(r, r.relay_bound ? "true" : "false"); }},
        {"server_rss_window_start_bytes", [](auto& r) { return server_col(r, u(r.server_rss_window_start_bytes)); }},
        // Format 4: TLS (tls_* empty without it), the reverse proxy (proxy_*
        // empty without one), and why a row could not measure everything.
        {"tls", [](auto& r) { return r.tls; }},
        {"tls_cert", [](auto& r) { return r.tls_cert; }},
        {"tls_resume", [](auto& r) { return tls_col(r, r.tls_resume ? "true" : "false"); }},
        {"tcp_connect_p50_us", [](auto& r) { return f3(us(r.tcp_connect.percentile(50))); }},
        {"tcp_connect_p99_us", [](auto& r) { return f3(us(r.tcp_connect.percentile(99))); }},
        {"tls_handshake_p50_us", [](auto& r) { return tls_col(r, f3(us(r.tls_handshake.percentile(50)))); }},
        {"tls_handshake_p99_us", [](auto& r) { return tls_col(r, f3(us(r.tls_handshake.percentile(99)))); }},
        {"tls_handshakes", [](auto& r) { return tls_col(r, u(r.tls_handshakes)); }},
        {"tls_resumed", [](auto& r) { return tls_col(r, u(r.tls_resumed)); }},
        {"handshake_down_bytes", [](auto& r) { return f3(r.handshake_down_bytes); }},
        {"handshake_up_bytes", [](auto& r) { return f3(r.handshake_up_bytes); }},
        {"tls_bytes_per_msg", [](auto& r) { return tls_col(r, f3(tls_per_msg(r))); }},
        {"via", [](auto& r) { return r.via; }},
        {"proxy_cpu_util", [](auto& r) { return proxy_col(r, f3(per(static_cast<double>(r.proxy_cpu_ns) / 1e9, r.window_s))); }},
        {"proxy_cpu_us_per_msg", [](auto& r) {
             return proxy_col(r, f3(per(static_cast<double>(r.proxy_cpu_ns) / 1000.0, static_cast<double>(delivered_messages(r)))));
         }},
        {"proxy_rss_bytes", [](auto& r) { return proxy_col(r, u(r.proxy_rss_bytes)); }},
        {"failure", [](auto& r) { return text_cell(r.failure); }},
        {"reconnect_cause", [](auto& r) { return text_cell(r.reconnect_cause); }},
        {"tls_negotiated", [](auto& r) {
             std::string v;
             for (auto& s : r.tls_negotiated) v += (v.empty() ? "" : "+") + s;
             return tls_col(r, v);
         }},
        {"repeat", [](auto& r) { return u(r.repeat); }},
        {"delivered_per_s", [](auto& r) { return f3(delivered_per_s(r)); }},
        {"slo_met", [](auto& r) { return r.slo_met; }},
        {"slo_why", [](auto& r) { return text_cell(r.slo_why); }},
        {"payload_kind", [](auto& r) { return r.payload_kind; }},
        {"headers", [](auto& r) { return r.headers; }},
        {"rx_latency_p50_us", [](auto& r) { return f3(us(r.rx_latency.percentile(50))); }},
        {"rx_latency_p90_us", [](auto& r) { return f3(us(r.rx_latency.percentile(90))); }},
        {"rx_latency_p99_us", [](auto& r) { return f3(us(r.rx_latency.percentile(99))); }},
        {"rx_latency_p999_us", [](auto& r) { return f3(us(r.rx_latency.percentile(99.9))); }},
        {"rx_latency_p9999_us", [](auto& r) { return f3(us(r.rx_latency.percentile(99.99))); }},
        {"rx_latency_max_us", [](auto& r) { return f3(us(r.rx_latency.max())); }},
        {"rx_latency_mean_us", [](auto& r) { return f3(r.rx_latency.mean() / 1000.0); }},
        {"generator_delay_p50_us", [](auto& r) { return f3(us(r.generator_delay.percentile(50))); }},
        {"generator_delay_p99_us", [](auto& r) { return f3(us(r.generator_delay.percentile(99))); }},
        {"generator_delay_max_us", [](auto& r) { return f3(us(r.generator_delay.max())); }},
        {"rx_unstamped", [](auto& r) { return u(r.rx_unstamped); }},
        {"client_work_us", [](auto& r) { return f3(r.client_work_us); }},
        // Format 8.
        {"target", [](auto& r) { return text_cell(r.target); }},
        {"publishers", [](auto& r) { return r.publishers ? u(r.publishers) : std::string(); }},
        // Format 9.
        {"server_kernel_bytes_per_conn", [](auto& r) {
             return server_col(r, r.server_kernel_bytes_per_conn ? f3(*r.server_kernel_bytes_per_conn) : std::string());
         }},
        {"server_msgs_per_write", [](auto& r) {
             return r.server_msgs_per_write ? f3(*r.server_msgs_per_write) : std::string();
         }},
        // Format 10.
        {"server_threads", [](auto& r) { return r.server_threads ? u(r.server_threads) : std::string(); }},
        // Format 11.
        {"client_procs", [](auto& r) { return u(r.client_procs); }},
        {"server_procs", [](auto& r) { return r.server_procs ? u(r.server_procs) : std::string(); }},
    };
    return cols;
}

} // namespace

// TLS's bytes are not the transport's framing: they are split out below.
double framing_per_msg(const result_row& r) {
    return per(wire_total(r) - static_cast<double>(r.tls_bytes_in_window) - static_cast<double>(r.app_bytes_in_window),
               static_cast<double>(delivered_messages(r)));
}

// What TLS added on the wire per message: record headers and AEAD tags,
// plus anything else TLS sent in the window (tickets, alerts, handshakes of
// connections opened in it).
double tls_per_msg(const result_row& r) {
    return per(static_cast<double>(r.tls_bytes_in_window), static_cast<double>(delivered_messages(r)));
}
// In echo each message crosses twice (up as an upstream record, down as a
// body): both envelopes count, the payload in neither.
double server_cpu_us_per_msg(const result_row& r) {
    return per(static_cast<double>(r.server_cpu_ns) / 1000.0, static_cast<double>(delivered_messages(r)));
}

std::string text_cell(std::string s) {
    for (auto& c : s)
        if (c == ',' || c == '"' || c == '\n' || c == '\r') c = c == ',' ? ';' : ' ';
    return s;
}

bool comparable(const result_row& r) {
    return r.lost == 0 && r.duplicated == 0 && r.corrupt == 0 && !r.client_bound && !r.relay_bound &&
           r.slow_consumers == 0 && r.failure.empty();
}

double latency_ms(const result_row& r, double percentile) {
    return static_cast<double>(r.rx_latency.percentile(percentile)) / 1e6;
}
double p50_ms(const result_row& r) { return latency_ms(r, 50); }
double p99_ms(const result_row& r) { return latency_ms(r, 99); }
double delivered_per_s(const result_row& r) { return per(static_cast<double>(delivered_messages(r)), r.window_s); }

std::vector<std::string> csv_columns() {
    std::vector<std::string> v;
    for (auto& c : columns()) v.emplace_back(c.name);
    return v;
}

void write_csv_header(std::ostream& os) {
    bool first = true;
    for (auto& c : columns()) {
        os << (first ? "" : ",") << c.name;
        first = false;
    }
    os << "\n";
}

void write_csv_row(std::ostream& os, const result_row& r) {
    bool first = true;
    for (auto& c : columns()) {
        os << (first ? "" : ",") << c.value(r); // no value contains a comma or quote
        first = false;
    }
    os << "\n";
}

void write_processes_header(std::ostream& os) {
    os << "row,transport,scenario,clients,role,pid,cpu_ms,cpu_util,rss_bytes,rss_peak_bytes\n";
}

void write_processes_rows(std::ostream& os, const result_row& r, std::size_t row) {
    for (auto& p : r.processes)
        os << fmt::format("{},{},{},{},{},{},{:.3f},{:.3f},{},{}\n", row, r.transport, r.scenario, r.clients, p.role, p.pid, static_cast<double>(p.cpu_ns) / 1e6,
                          r.window_s > 0 ? static_cast<double>(p.cpu_ns) / 1e9 / r.window_s : 0.0, p.rss_bytes,
                          p.peak_bytes);
}

std::string json_escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
        case '"': o += "\\\""; break;
        case '\\': o += "\\\\"; break;
        case '\n': o += "\\n"; break;
        case '\t': o += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) o += fmt::format("\\u{:04x}", c);
            else o += c;
        }
    }
    return o;
}

void write_manifest(std::ostream& os, const manifest& m) {
    os << "{\n"
       << "  \"tool\": \"rtbench\",\n"
       << "  \"version\": \"" << json_escape(m.version) << "\",\n"
       << "  \"format\": " << results_format << ",\n"
       << "  \"git_commit\": \"" << json_escape(m.git_commit) << "\",\n"
       << "  \"host\": \"" << json_escape(m.host) << "\",\n"
       << "  \"kernel\": \"" << json_escape(m.kernel) << "\",\n"
       << "  \"cpu_model\": \"" << json_escape(m.cpu_model) << "\",\n"
       << "  \"cores\": " << m.cores << ",\n"
       << "  \"arguments\": \"" << json_escape(m.arguments) << "\",\n"
       << "  \"start_time_utc\": \"" << json_escape(m.start_time_utc) << "\"\n"
       << "}\n";
}

namespace {
std::string ms_of(std::uint64_t ns) { return fmt::format("{:.3f}", static_cast<double>(ns) / 1e6); }

void summary_messages(std::ostream& os, const result_row& r, bool header, std::size_t w) {
    if (header)
        os << fmt::format("{:<{}} {:<9} {:>7} {:>8} {:>7} {:>9} {:>5} {:>9} {:>9} {:>9} {:>10} {:>11} {:>9} {:>10} {:>5}\n",
                          "transport", w, "scenario", "clients", "rate/s", "payload", "delivered", "lost", "p50 ms",
                          "p99 ms", "max ms", "gen p99 ms", "frame B/msg", "env B/msg", "srv us/msg", "bound");
    os << fmt::format("{:<{}} {:<9} {:>7} {:>8.4g} {:>7} {:>9} {:>5} {:>9} {:>9} {:>9} {:>10} {:>11.1f} {:>9.1f} {:>10} {:>5}\n",
                      r.transport, w, r.scenario, r.clients, r.rate_hz, r.payload_bytes, r.delivered, r.lost,
                      ms_of(r.rx_latency.percentile(50)), ms_of(r.rx_latency.percentile(99)), ms_of(r.rx_latency.max()),
                      ms_of(r.generator_delay.percentile(99)), framing_per_msg(r), envelope_per_msg(r),
                      r.server_measured ? fmt::format("{:.2f}", server_cpu_us_per_msg(r)) : std::string("-"),
                      r.client_bound ? "YES" : r.relay_bound ? "RELAY" : "no");
}

void summary_connect(std::ostream& os, const result_row& r, bool header, std::size_t w) {
    if (header)
        os << fmt::format("{:<{}} {:<9} {:>7} {:>10} {:>10} {:>10} {:>12} {:>14} {:>16} {:>5}\n", "transport", w,
                          "scenario", "clients", "ready p50", "ready p99", "ready max", "handshake B",
                          "srv RSS B/conn", "idle B/conn/min", "bound");
    os << fmt::format("{:<{}} {:<9} {:>7} {:>10} {:>10} {:>10} {:>12.1f} {:>14} {:>16.1f} {:>5}\n", r.transport,
                      w, r.scenario, r.clients, ms_of(r.connect.percentile(50)) + "ms",
                      ms_of(r.connect.percentile(99)) + "ms", ms_of(r.connect.max()) + "ms", r.handshake_bytes,
                      r.server_measured ? fmt::format("{:.0f}", r.server_rss_bytes_per_conn) : std::string("-"), r.idle_bytes_per_conn_per_min, r.client_bound ? "YES" : "no");
}
} // namespace

void write_summary(std::ostream& os, const std::vector<result_row>& rows) {
    const result_row* prev = nullptr;
    // Rows on different paths (network, TLS, proxy) get a heading each, so two
    // rows of one transport at one point are told apart.
    bool any_path = std::any_of(rows.begin(), rows.end(), [](auto& r) { return path_label(r) != "none"; });
    // The transport column is as wide as the longest name in it (peers'
    // names run to 20 characters), so the columns after it line up.
    std::size_t w = 13;
    for (auto& r : rows) w = std::max(w, r.transport.size());
    for (auto& r : rows) {
        bool new_path = !prev || path_label(*prev) != path_label(r);
        bool header = new_path || (prev->scenario == "connect") != (r.scenario == "connect");
        if (any_path && new_path)
            os << (prev ? "\n" : "")
               << (r.relay ? fmt::format("net {} (through the impairment relay)", r.net) : "net none (loopback, no relay)")
               << (r.tls != "none" ? ", TLS " + r.tls : "") << (r.via != "none" ? ", via " + r.via : "")
               << (r.headers == "browser" ? ", a browser's request headers" : "") << "\n";
        if (r.scenario == "connect") summary_connect(os, r, header, w);
        else summary_messages(os, r, header, w);
        prev = &r;
    }
    bool any = false;
    for (auto& r : rows)
        for (auto& w : r.warnings) {
            if (!any) os << "\nWarnings:\n";
            any = true;
            os << fmt::format("- {} {} clients={} rate={} payload={}{}: {}\n", r.transport, r.scenario, r.clients,
                              r.rate_hz, r.payload_bytes, path_label(r) == "none" ? "" : " net=" + path_label(r), w);
        }
}

std::string path_label(const result_row& r) {
    std::string label = r.net;
    if (r.tls != "none") label += " tls=" + r.tls;
    if (r.via != "none") label += " via=" + r.via;
    if (r.headers == "browser") label += " headers=browser";
    return label;
}

std::string path_words(const result_row& r) {
    std::string p = r.net == "none" ? "loopback" : r.net;
    if (r.tls != "none") p += " with TLS " + r.tls;
    if (r.via != "none") p += " via " + r.via;
    if (r.headers == "browser") p += " with browser headers";
    return p;
}

// Rows off the plain loopback path get "_net-" + the path label, file-name
// safe, so a TLS or proxied row never overwrites the plain row's spectrum.
std::string spectrum_file_name(const result_row& r) {
    std::string name = fmt::format("spectra/{}_{}_c{}_r{}_p{}", r.transport, r.scenario, r.clients, r.rate_hz, r.payload_bytes);
    if (auto label = path_label(r); label != "none") {
        name += "_net-";
        for (char c : label) name += std::isalnum(static_cast<unsigned char>(c)) || c == '.' ? c : '_';
    }
    // A pattern payload and the first run of a point keep the names they always had.
    if (!r.payload_kind.empty() && r.payload_kind != "pattern") name += "_k" + r.payload_kind;
    if (r.repeat > 1) name += fmt::format("_n{}", r.repeat);
    return name + ".txt";
}

} // namespace rtb
