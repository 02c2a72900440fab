// What a streaming or SSE client does with the server's bytes: Beast's
// response parser (chunked, endless body, chunk bodies handed out as they
// come), then the line splitter and the SSE parser. Whatever the bytes and
// wherever TCP splits them, the chunk data, the lines and the events are the
// same as when the whole stream arrives in one read.
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "transports/sse/sse_parser.hpp"

namespace http = boost::beast::http;

namespace {
struct outcome {
    std::string chunk_data;
    std::vector<std::string> lines, events;
    bool failed = false;
};

// Feeds `bytes` in two reads split at `split`, as a client's socket would.
outcome parse(std::string_view bytes, std::size_t split) {
    outcome o;
    rtb::sse_parser sse([&](const rtb::sse_event& e) { o.events.emplace_back(e.data); }, 4096);
    std::string partial;
    http::response_parser<http::string_body> p;
    p.body_limit(boost::none);
    auto on_chunk = [&](std::uint64_t, std::string_view body, boost::beast::error_code&) {
        o.chunk_data += body;
        for (char c : body) {
            if (c == '\n') o.lines.push_back(std::exchange(partial, {})); else partial += c;
        }
        if (!sse.feed(body)) o.failed = true;
        return body.size();
    };
    p.on_chunk_body(on_chunk);
    std::string buf;
    for (auto piece : {bytes.substr(0, split), bytes.substr(split)}) {
        // After need_more Beast must be given more bytes before put() again
        // (its contract; a socket read always brings some).
        if (piece.empty()) continue;
        buf += piece;
        boost::beast::error_code ec;
        while (!buf.empty() && !p.is_done()) {
            auto n = p.put(boost::asio::buffer(buf), ec);
            if (ec == http::error::need_more) break;
            if (ec) return o.failed = true, o;
            buf.erase(0, n);
        }
    }
    return o;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    std::size_t split = std::min<std::size_t>(data[0] * 4, bytes.size());
    auto whole = parse(bytes, bytes.size());
    auto parts = parse(bytes, split);
    if (!whole.failed && !parts.failed &&
        (whole.chunk_data != parts.chunk_data || whole.lines != parts.lines || whole.events != parts.events))
        __builtin_trap();
    return 0;
}
