// HTTP streaming: one GET /stream answered with a chunked response that
// never ends; one message per chunk. Wire format: README.md beside this file.
#include "transports/streaming/streaming_codec.hpp"

#include "transports/common/stream_client.hpp"
#include "transports/common/push_stream.hpp"

namespace rtb {

std::string streaming_encode(std::string_view record) {
    std::string line;
    line.reserve(record.size() + 1);
    line += record;
    line += '\n';
    return make_chunk(line);
}

namespace {

std::string encode(std::string_view record, std::uint64_t) { return streaming_encode(record); }

std::string preamble(const server_options&, std::optional<std::uint64_t> head, const query&) {
    std::string s = "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/plain\r\n"
                    "Cache-Control: no-store\r\n"
                    "Transfer-Encoding: chunked\r\n"
                    "\r\n";
    if (head) s += encode("!head " + std::to_string(*head), 0);
    return s;
}

void install(server_core& core) {
    install_stream_route(core, {.path = "/stream", .encode = &encode, .preamble = &preamble,
                                .cursor = {"since"}});
}

class streaming_client final : public stream_client {
public:
    streaming_client(asio::io_context& io, const client_config& cfg, client_events& ev)
        : stream_client(io, cfg, ev, fetch_get) {}

protected:
    std::string target() override {
        auto c = cursor();
        return make_target("/stream", {c ? "since=" + std::to_string(*c) : "", identity_query(cfg_)});
    }
    void on_data(std::string_view data, std::int64_t kernel_ns) override {
        lines_.feed(data, [&](std::string_view line) { emit(line, kernel_ns); });
        if (lines_.pending() > cfg_.max_message + 256) lost("record over max message size");
    }
    void reset_decoder() override { lines_.reset(); }
    std::uint64_t decoder_pending() const override { return lines_.pending(); }

private:
    line_splitter lines_;
};

// README "Bytes": a chunk of the body and its LF.
std::uint64_t frame_bytes(std::uint64_t body, std::uint64_t) { return hex_digits(body + 1) + body + 5; }

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev) {
    return std::make_shared<streaming_client>(io, cfg, ev);
}

} // namespace

extern const transport_descriptor streaming_transport{
    "streaming", "HTTP streaming: one GET /stream, chunked response, one message per chunk",
    "/stream", {}, &install, &make_client, nullptr, &frame_bytes};

} // namespace rtb
