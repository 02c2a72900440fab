// BM_<Transport>_RoundTrip: one client -> server -> same client message over
// real loopback TCP, server and client in this process on one thread (so it
// is the protocol and the kernel path, not scheduling between processes).
// Polling polls continuously (interval 0) here: its round trip is therefore
// the best case; in real use add half the poll interval.
#include <benchmark/benchmark.h>

#include "harness/transport.hpp"

namespace {
using namespace rtb;

class waiter : public client_events {
public:
    void on_ready(client_session&) override { ready = true; }
    void on_message(client_session&, std::string_view rec, receive_times) override {
        if (!rec.empty() && rec.front() != '!') ++received;
    }
    void on_closed(client_session&, std::string_view) override {}
    bool ready = false;
    std::uint64_t received = 0;
};

void round_trip(benchmark::State& st, const char* name) {
    auto* t = find_transport(name);
    boost::asio::io_context io(1);
    server_options opt;
    auto srv = make_server(io, opt, all_transports());
    srv->start();
    client_config cfg;
    cfg.port = srv->port();
    cfg.id = "bm";
    cfg.transport.set("poll-interval-ms", 0);
    waiter ev;
    auto c = t->make_client(io, cfg, ev);
    c->start();
    while (!ev.ready) io.run_one();
    auto n = static_cast<std::size_t>(st.range(0));
    auto rec = std::make_shared<const std::string>(format_upstream("client:bm", "rt", make_payload(n)));
    for (auto _ : st) {
        auto want = ev.received + 1;
        c->send(rec);
        while (ev.received < want) io.run_one();
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * n));
    c->close();
    srv->stop();
    io.run_for(std::chrono::milliseconds(200));
}

void BM_Polling_RoundTrip(benchmark::State& st) { round_trip(st, "polling"); }
void BM_LongPolling_RoundTrip(benchmark::State& st) { round_trip(st, "long-polling"); }
void BM_Streaming_RoundTrip(benchmark::State& st) { round_trip(st, "streaming"); }
void BM_Sse_RoundTrip(benchmark::State& st) { round_trip(st, "sse"); }
void BM_Websocket_RoundTrip(benchmark::State& st) { round_trip(st, "websocket"); }

BENCHMARK(BM_Polling_RoundTrip)->Arg(64)->Arg(4096)->UseRealTime();
BENCHMARK(BM_LongPolling_RoundTrip)->Arg(64)->Arg(4096)->UseRealTime();
BENCHMARK(BM_Streaming_RoundTrip)->Arg(64)->Arg(4096)->UseRealTime();
BENCHMARK(BM_Sse_RoundTrip)->Arg(64)->Arg(4096)->UseRealTime();
BENCHMARK(BM_Websocket_RoundTrip)->Arg(64)->Arg(4096)->UseRealTime();

} // namespace
