// BM_<Transport>_Encode / _Decode: one message framed for the wire and
// parsed back, with the same functions the transports use (no sockets).
#include <benchmark/benchmark.h>

#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/websocket.hpp>

#include "harness/message.hpp"
#include "transports/common/batch.hpp"
#include "transports/common/stream_client.hpp"
#include "transports/sse/sse_codec.hpp"
#include "transports/sse/sse_parser.hpp"
#include "transports/streaming/streaming_codec.hpp"

namespace {
using namespace rtb;
namespace websocket = boost::beast::websocket;

// A message body as the server makes it: 16-digit timestamp, publisher tag.
std::string body_of(std::size_t n) {
    return format_body(1234, 1'234'567'890'123'456, "s1234567890123456", make_payload(n));
}

void payload_args(benchmark::internal::Benchmark* b) { b->RangeMultiplier(4)->Range(16, 64 << 10); }

void count(benchmark::State& st, std::size_t n) {
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
    st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * n));
}

// ---- polling / long polling: one message in an HTTP answer -----------------

std::string poll_answer(const std::string& body) {
    auto m = std::make_shared<stored_message>();
    m->seq = 1234;
    m->body = std::make_shared<const std::string>(body);
    request req{http::verb::get, "/poll?cursor=1233", 11};
    auto res = batch_response(req, {{m}, std::nullopt}, 1234);
    http::response_serializer<http::string_body> sr{res};
    std::string out;
    boost::beast::error_code ec;
    // Serialise exactly as async_write would, into memory.
    do {
        sr.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
            for (auto b : boost::beast::buffers_range_ref(buffers)) out.append(static_cast<const char*>(b.data()), b.size());
            sr.consume(boost::beast::buffer_bytes(buffers));
        });
    } while (!ec && !sr.is_done());
    return out;
}

void BM_Polling_Encode(benchmark::State& st) {
    auto body = body_of(static_cast<std::size_t>(st.range(0)));
    for (auto _ : st) benchmark::DoNotOptimize(poll_answer(body));
    count(st, static_cast<std::size_t>(st.range(0)));
}

void BM_Polling_Decode(benchmark::State& st) {
    auto wire = poll_answer(body_of(static_cast<std::size_t>(st.range(0))));
    for (auto _ : st) {
        http::response_parser<http::string_body> p;
        p.body_limit(1 << 24);
        boost::beast::error_code ec;
        auto buf = boost::asio::buffer(wire);
        while (!ec && !p.is_done()) buf += p.put(buf, ec); // header, then body, as http::read does
        std::string_view b = p.get().body();
        auto m = parse_body(b.substr(0, b.find('\n')));
        benchmark::DoNotOptimize(m);
        if (!m) st.SkipWithError("decode failed");
    }
    count(st, static_cast<std::size_t>(st.range(0)));
}

// Long polling answers with the same bytes as polling.
void BM_LongPolling_Encode(benchmark::State& st) { BM_Polling_Encode(st); }
void BM_LongPolling_Decode(benchmark::State& st) { BM_Polling_Decode(st); }

// ---- chunked streams: streaming and SSE -----------------------------------------

// A response parser past the header, as the stream client has it.
struct chunk_reader {
    http::response_parser<http::string_body> p;
    std::function<std::size_t(std::uint64_t, std::string_view, boost::beast::error_code&)> cb;
    template <class F>
    explicit chunk_reader(F&& on_data) : cb([on_data](std::uint64_t, std::string_view d, boost::beast::error_code&) {
        on_data(d);
        return d.size();
    }) {
        p.body_limit(boost::none);
        p.on_chunk_body(cb);
        std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        boost::beast::error_code ec;
        p.put(boost::asio::buffer(head), ec);
    }
    std::string pending, joined;
    void feed(const std::string& bytes) {
        boost::beast::error_code ec;
        joined = pending;
        joined += bytes;
        auto buf = boost::asio::buffer(joined);
        while (buf.size()) {
            auto n = p.put(buf, ec);
            if (ec == http::error::need_more) ec = {};
            if (ec) throw std::runtime_error("chunk parse: " + ec.message());
            if (n == 0) {
                // The parser keeps the tail it cannot use yet (the chunk's
                // closing CRLF is consumed with the next chunk header).
                pending.assign(static_cast<const char*>(buf.data()), buf.size());
                return;
            }
            buf += n;
        }
        pending.clear();
    }
};

void BM_Streaming_Encode(benchmark::State& st) {
    auto body = body_of(static_cast<std::size_t>(st.range(0)));
    for (auto _ : st) benchmark::DoNotOptimize(streaming_encode(body));
    count(st, static_cast<std::size_t>(st.range(0)));
}

void BM_Streaming_Decode(benchmark::State& st) {
    auto wire = streaming_encode(body_of(static_cast<std::size_t>(st.range(0))));
    line_splitter lines;
    std::size_t got = 0;
    chunk_reader r([&](std::string_view d) {
        lines.feed(d, [&](std::string_view line) { got += parse_body(line).has_value(); });
    });
    for (auto _ : st) r.feed(wire);
    if (got != static_cast<std::size_t>(st.iterations())) st.SkipWithError("decode failed");
    count(st, static_cast<std::size_t>(st.range(0)));
}

void BM_Sse_Encode(benchmark::State& st) {
    auto body = body_of(static_cast<std::size_t>(st.range(0)));
    for (auto _ : st) benchmark::DoNotOptimize(sse_encode(body, 1234));
    count(st, static_cast<std::size_t>(st.range(0)));
}

void BM_Sse_Decode(benchmark::State& st) {
    auto wire = sse_encode(body_of(static_cast<std::size_t>(st.range(0))), 1234);
    std::size_t got = 0;
    sse_parser sse([&](const sse_event& e) { got += parse_body(e.data).has_value(); }, 1 << 20);
    chunk_reader r([&](std::string_view d) { sse.feed(d); });
    for (auto _ : st) r.feed(wire);
    if (got != static_cast<std::size_t>(st.iterations())) st.SkipWithError("decode failed");
    count(st, static_cast<std::size_t>(st.range(0)));
}

// ---- WebSocket: Beast framing over an in-memory stream pair ----------------------

struct ws_pair {
    boost::asio::io_context io;
    websocket::stream<boost::beast::test::stream> server{io}, client{io};
    ws_pair() {
        boost::beast::get_lowest_layer(server).connect(boost::beast::get_lowest_layer(client));
        server.async_accept([](boost::beast::error_code) {});
        client.async_handshake("h", "/ws", [](boost::beast::error_code) {});
        io.run();
        for (auto* w : {&server, &client}) {
            w->auto_fragment(false);
            w->text(true);
        }
    }
};

void BM_Websocket_Encode(benchmark::State& st) {
    ws_pair ws;
    auto body = body_of(static_cast<std::size_t>(st.range(0)));
    std::size_t i = 0;
    for (auto _ : st) {
        ws.server.write(boost::asio::buffer(body));
        if (++i % 64 == 0) boost::beast::get_lowest_layer(ws.client).clear(); // drop the peer's input
    }
    count(st, static_cast<std::size_t>(st.range(0)));
}

void BM_Websocket_Decode(benchmark::State& st) {
    ws_pair ws;
    auto body = body_of(static_cast<std::size_t>(st.range(0)));
    ws.server.write(boost::asio::buffer(body));
    std::string frame = boost::beast::get_lowest_layer(ws.client).str(); // one frame's bytes
    boost::beast::get_lowest_layer(ws.client).clear();
    boost::beast::flat_buffer buf;
    for (auto _ : st) {
        boost::beast::get_lowest_layer(ws.client).append(frame);
        ws.client.read(buf);
        auto m = parse_body(std::string_view(static_cast<const char*>(buf.data().data()), buf.size()));
        benchmark::DoNotOptimize(m);
        buf.clear();
    }
    count(st, static_cast<std::size_t>(st.range(0)));
}

BENCHMARK(BM_Polling_Encode)->Apply(payload_args);
BENCHMARK(BM_Polling_Decode)->Apply(payload_args);
BENCHMARK(BM_LongPolling_Encode)->Apply(payload_args);
BENCHMARK(BM_LongPolling_Decode)->Apply(payload_args);
BENCHMARK(BM_Streaming_Encode)->Apply(payload_args);
BENCHMARK(BM_Streaming_Decode)->Apply(payload_args);
BENCHMARK(BM_Sse_Encode)->Apply(payload_args);
BENCHMARK(BM_Sse_Decode)->Apply(payload_args);
BENCHMARK(BM_Websocket_Encode)->Apply(payload_args);
BENCHMARK(BM_Websocket_Decode)->Apply(payload_args);

} // namespace
