#include "harness/report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

using namespace rtb;

TEST(Report, CsvHeaderIsFrozen) {
    std::ostringstream os;
    write_csv_header(os);
    EXPECT_EQ(os.str(),
              "transport,scenario,clients,rate_hz,payload_bytes,duration_s,expected,delivered,lost,duplicated,"
              "reordered,latency_p50_us,latency_p90_us,latency_p99_us,latency_p999_us,latency_p9999_us,"
              "latency_max_us,latency_mean_us,latency_uncorrected_p50_us,latency_uncorrected_p99_us,"
              "latency_uncorrected_max_us,wire_down_bytes,wire_up_bytes,messages_in_window,"
              "payload_bytes_in_window,overhead_bytes_per_msg,overhead_ratio,tcp_segments,tcpip_bytes_per_msg,"
              "connect_p50_us,connect_p99_us,connect_max_us,handshake_bytes,idle_bytes_per_conn_per_min,"
              "server_cpu_us_per_msg,server_cpu_util,server_rss_bytes,server_rss_peak_bytes,"
              "server_rss_bytes_per_conn,client_cpu_us_per_msg,client_cpu_util,client_threads,reconnects,"
              "gaps_reported,slow_consumers,bad_requests,max_send_lag_us,client_bound,lost_in_flight_at_end,corrupt,"
              "client_rss_bytes,client_rss_peak_bytes,app_bytes_in_window,framing_bytes_per_msg,"
              "envelope_bytes_per_msg,framing_ratio,net,net_rtt_ms,net_jitter_ms,net_down_bps,net_up_bps,"
              "net_loss_pct,net_resets_per_min,relay_cpu_util,relay_cpu_us_per_msg,relay_rss_bytes,"
              "relay_lateness_p99_us,relay_lateness_max_us,relay_resets,relay_bound,server_rss_window_start_bytes,"
              "tls,tls_cert,tls_resume,tcp_connect_p50_us,tcp_connect_p99_us,tls_handshake_p50_us,tls_handshake_p99_us,"
              "tls_handshakes,tls_resumed,handshake_down_bytes,handshake_up_bytes,tls_bytes_per_msg,via,proxy_cpu_util,"
              "proxy_cpu_us_per_msg,proxy_rss_bytes,failure,reconnect_cause,tls_negotiated,repeat,delivered_per_s,slo_met,"
              "slo_why,payload_kind,headers,"
              // format 7
              "rx_latency_p50_us,rx_latency_p90_us,rx_latency_p99_us,rx_latency_p999_us,rx_latency_p9999_us,rx_latency_max_us,"
              "rx_latency_mean_us,generator_delay_p50_us,generator_delay_p99_us,generator_delay_max_us,rx_unstamped,"
              "client_work_us,"
              // format 8
              "target,publishers,"
              // format 9
              "server_kernel_bytes_per_conn,server_msgs_per_write,"
              // format 10
              "server_threads,"
              // format 11
              "client_procs,server_procs\n");
}

TEST(Report, CsvRowHasKnownValues) {
    result_row r;
    r.transport = "sse";
    r.scenario = "push";
    r.clients = 10;
    r.rate_hz = 100;
    r.payload_bytes = 80;
    r.duration_s = 2;
    r.expected = 10;
    r.delivered = 10;
    r.latency.record(1'000'000, 10); // ten samples of 1 ms
    r.latency_uncorrected.record(500'000, 10);
    // Of each 1 ms, 0.6 ms to the kernel's receive and 0.4 ms the load generator's own.
    r.rx_latency.record(600'000, 10);
    r.generator_delay.record(400'000, 10);
    r.rx_unstamped = 3;
    r.client_work_us = 2.5;
    r.connect.record(2'000'000);
    // 10 messages of 80 payload bytes = 800; 1,000 + 200 bytes on the wire:
    // overhead (1200 - 800) / 10 = 40 bytes per message, ratio 1.5.
    r.wire_down_bytes = 1000;
    r.wire_up_bytes = 200;
    r.received_in_window = 10;
    r.payload_in_window = 800;
    // Each message's body is 100 bytes (20 of envelope around the 80 of
    // payload): framing (1200 - 1000) / 10 = 20, envelope (1000 - 800) / 10
    // = 20, together the overhead of 40; framing ratio 1200 / 1000 = 1.2.
    r.app_bytes_in_window = 1000;
    r.envelope_in_window = 200;
    r.tcp_segments = 20; // 20 * 52 / 10 = 104 bytes of TCP/IP headers per message
    r.handshake_bytes = 250;
    r.server_cpu_ns = 50'000; // 5 us per message, over 0.5 s = 0.0001 of a core
    r.client_cpu_ns = 20'000;
    r.window_s = 0.5;
    r.server_rss_bytes = 4096;
    r.server_rss_peak_bytes = 8192;
    r.server_rss_bytes_per_conn = 409.6;
    r.server_kernel_bytes_per_conn = 1536; // e.g. 15,360 bytes over 10 connections
    r.server_msgs_per_write = 2.5;         // e.g. 25 messages in 10 writes
    r.server_threads = 2;
    std::ostringstream os;
    write_csv_row(os, r);
    EXPECT_EQ(os.str(),
              "sse,push,10,100.000,80,2.000,10,10,0,0,0,1000.000,1000.000,1000.000,1000.000,1000.000,1000.000,"
              "1000.000,500.000,500.000,500.000,1000,200,10,800,40.000,1.500,20,104.000,2000.000,2000.000,"
              "2000.000,250.000,0.000,5.000,0.000,4096,8192,409.600,2.000,0.000,1,0,0,0,0,0.000,false,0,0,0,0,"
              "1000,20.000,20.000,1.200,"
              // No relay: the profile is "none", its numbers 0, and the
              // relay's columns empty (nothing was measured).
              "none,0.000,0.000,0.000,0.000,0.000,0.000,,,,,,,,0,"
              "none,,,0.000,0.000,,,,,0.000,0.000,,none,,,,,,"
              // repeat 1; 10 messages received in a 0.5 s window: 20 per second; no search.
              ",1,20.000,,,pattern,minimal,"
              // Format 7: the headline at kernel receive, the generator's delay apart.
              "600.000,600.000,600.000,600.000,600.000,600.000,600.000,400.000,400.000,400.000,3,2.500,"
              // Format 8: rtbench's own server, not broadcast.
              ",,"
              // Format 9.
              "1536.000,2.500,"
              // Format 10: a server of rtbench's on 2 threads.
              "2,1,\n");
}

TEST(Report, RelayColumnsHaveKnownValues) {
    result_row r;
    r.transport = "sse";
    r.scenario = "push";
    r.received_in_window = 1000;
    r.window_s = 2;
    r.net = "rtt=100ms loss=1%";
    r.net_rtt_ms = 100;
    r.net_loss = 0.01;
    r.net_down_bps = 1e6;
    r.relay = true;
    r.relay_cpu_ns = 500'000'000;           // 0.5 s over a 2 s window = 0.25 of a core; 500 us per message
    r.relay_rss_bytes = 3'000'000;
    r.relay_lateness_p99_ns = 120'000;      // 120 us
    r.relay_lateness_max_ns = 2'500'000;
    r.relay_resets = 7;
    r.relay_bound = true;
    std::ostringstream os;
    write_csv_row(os, r);
    std::string line = os.str();
    auto tail = line.substr(line.find(",rtt=100ms"));
    EXPECT_EQ(tail, ",rtt=100ms loss=1%,100.000,0.000,1000000.000,0.000,1.000,0.000,0.250,500.000,3000000,120.000,2500.000,7,true,0,"
                    "none,,,0.000,0.000,,,,,0.000,0.000,,none,,,,,,"
                    ",1,500.000,,,pattern,minimal,0.000,0.000,0.000,0.000,0.000,0.000,0.000,0.000,0.000,0.000,0,0.000,,,,,,1,\n"); // 1,000 messages in 2 s
    EXPECT_EQ(spectrum_file_name(r), "spectra/sse_push_c0_r0_p0_net-rtt_100ms_loss_1_.txt");
    // A TLS or proxied row names its own file: it never overwrites the plain one.
    r.tls = "1.3";
    r.via = "nginx:tuned";
    EXPECT_EQ(spectrum_file_name(r), "spectra/sse_push_c0_r0_p0_net-rtt_100ms_loss_1__tls_1.3_via_nginx_tuned.txt");
    r.net = "none";
    r.via = "none";
    EXPECT_EQ(spectrum_file_name(r), "spectra/sse_push_c0_r0_p0_net-none_tls_1.3.txt");
}

TEST(Report, EmptyRowHasNoDivisionByZero) {
    result_row r;
    std::ostringstream os;
    write_csv_row(os, r);
    EXPECT_EQ(os.str().find("nan"), std::string::npos);
    EXPECT_EQ(os.str().find("inf"), std::string::npos);
}

TEST(Report, ManifestIsJsonWithEveryField) {
    manifest m{"0.1.0", "abc123", "host", "6.1", "CPU \"X\"", "rtbench run --clients 10", "2026-01-01T00:00:00Z", 2};
    std::ostringstream os;
    write_manifest(os, m);
    EXPECT_EQ(os.str(), "{\n"
                        "  \"tool\": \"rtbench\",\n"
                        "  \"version\": \"0.1.0\",\n"
                        "  \"format\": 11,\n"
                        "  \"git_commit\": \"abc123\",\n"
                        "  \"host\": \"host\",\n"
                        "  \"kernel\": \"6.1\",\n"
                        "  \"cpu_model\": \"CPU \\\"X\\\"\",\n"
                        "  \"cores\": 2,\n"
                        "  \"arguments\": \"rtbench run --clients 10\",\n"
                        "  \"start_time_utc\": \"2026-01-01T00:00:00Z\"\n"
                        "}\n");
}

TEST(Report, SummaryShowsConnectionCostForConnectRows) {
    result_row r;
    r.transport = "websocket";
    r.scenario = "connect";
    r.clients = 2;
    r.connect.record(1'500'000, 2);
    r.handshake_bytes = 300;
    r.server_rss_bytes_per_conn = 2048;
    r.idle_bytes_per_conn_per_min = 0;
    std::ostringstream os;
    write_summary(os, {r});
    EXPECT_EQ(os.str(),
              "transport     scenario  clients  ready p50  ready p99  ready max  handshake B srv RSS B/conn  idle B/conn/min bound\n"
              "websocket     connect         2    1.500ms    1.500ms    1.500ms        300.0           2048              0.0    no\n");
}

TEST(Report, SummaryShowsFramingAndEnvelopeApart) {
    result_row r;
    r.transport = "websocket";
    r.scenario = "push";
    r.clients = 1;
    r.rate_hz = 10;
    r.payload_bytes = 64;
    r.delivered = 10;
    r.latency.record(1'200'000, 10);
    r.rx_latency.record(1'000'000, 10); // the headline: at the kernel's receive time
    r.generator_delay.record(200'000, 10);
    // 10 messages: 640 payload bytes in bodies of 100 (36 of envelope) and
    // frames of 102 (RFC 6455: 2-byte header below 126 bytes).
    r.received_in_window = 10;
    r.payload_in_window = 640;
    r.app_bytes_in_window = 1000;
    r.envelope_in_window = 360;
    r.wire_down_bytes = 1020;
    std::ostringstream os;
    write_summary(os, {r});
    EXPECT_EQ(os.str(),
              "transport     scenario  clients   rate/s payload delivered  lost    p50 ms    p99 ms    max ms gen p99 ms frame B/msg "
              "env B/msg srv us/msg bound\n"
              "websocket     push            1       10      64        10     0     1.000     1.000     1.000      0.200         2.0 "
              "     36.0       0.00    no\n");
}

// TLS's bytes are split out of framing: 10 messages, 1,200 wire bytes of
// which 220 TLS added and 800 the application's: framing (1200 - 220 -
// 800) / 10 = 18, TLS 22 per message (a TLS 1.3 record each), and the
// overhead still all of it, 40.
TEST(Report, TlsBytesLeaveFramingAndHaveTheirOwnColumn) {
    rtb::result_row r;
    r.transport = "websocket";
    r.scenario = "push";
    r.wire_down_bytes = 1000;
    r.wire_up_bytes = 200;
    r.received_in_window = 10;
    r.payload_in_window = 800;
    r.app_bytes_in_window = 800;
    r.tls_bytes_in_window = 220;
    r.tls = "1.3";
    r.tls_cert = "ecdsa-p256";
    r.tls_handshakes = 4;
    EXPECT_DOUBLE_EQ(rtb::framing_per_msg(r), 18.0);
    EXPECT_DOUBLE_EQ(rtb::tls_per_msg(r), 22.0);
    std::ostringstream os;
    rtb::write_csv_row(os, r);
    auto cols = rtb::csv_columns();
    std::vector<std::string> cells(1);
    for (char c : os.str()) {
        if (c == ',') cells.emplace_back();
        else if (c != '\n') cells.back() += c;
    }
    auto at = [&](const std::string& name) {
        return cells.at(static_cast<std::size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin()));
    };
    EXPECT_EQ(at("overhead_bytes_per_msg"), "40.000");
    EXPECT_EQ(at("framing_bytes_per_msg"), "18.000");
    EXPECT_EQ(at("tls_bytes_per_msg"), "22.000");
    EXPECT_EQ(at("tls"), "1.3");
    EXPECT_EQ(at("tls_resume"), "false");
    EXPECT_EQ(at("tls_handshakes"), "4");
    EXPECT_EQ(at("proxy_cpu_util"), "") << "no proxy: empty, not zero";
}
