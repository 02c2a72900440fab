// XHR multipart streaming: one GET /multipart answered with a
// multipart/x-mixed-replace body that does not end, one part per message
// (Netscape's server push, which Firefox's XHR exposed part by part as
// `multipart = true`). Wire format and costs: README.md beside this file.
#include "transports/xhr-multipart/multipart_codec.hpp"

#include <fmt/format.h>

#include "transports/common/push_stream.hpp"
#include "transports/common/stream_client.hpp"

namespace rtb {

namespace {

std::string encode(std::string_view record, std::uint64_t) { return make_chunk(multipart::encode_part(record)); }

std::string preamble(const server_options&, std::optional<std::uint64_t> head, const query&) {
    std::string s = fmt::format("HTTP/1.1 200 OK\r\n"
                                "Content-Type: multipart/x-mixed-replace; boundary=\"{}\"\r\n"
                                "Cache-Control: no-store\r\n"
                                "Transfer-Encoding: chunked\r\n"
                                "\r\n",
                                multipart::boundary);
    s += make_chunk(multipart::opening());
    if (head) s += encode("!head " + std::to_string(*head), 0);
    return s;
}

void install(server_core& core) {
    install_stream_route(core, {.path = "/multipart", .encode = &encode, .preamble = &preamble,
                                .cursor = {"since"}});
}

class multipart_client final : public stream_client {
public:
    multipart_client(asio::io_context& io, const client_config& cfg, client_events& ev)
        : stream_client(io, cfg, ev, fetch_get) {}

protected:
    std::string target() override {
        auto c = cursor();
        return make_target("/multipart", {c ? "since=" + std::to_string(*c) : "", identity_query(cfg_)});
    }
    // A bad line ends the session: the lines after it in the same data are
    // the dead connection's, and go nowhere.
    void on_data(std::string_view data, std::int64_t kernel_ns) override {
        auto gen = gen_;
        lines_.feed(data, [&](std::string_view line) {
            if (stale(gen)) return;
            if (!parts_.line(line, [&](std::string_view rec) { emit(rec, kernel_ns); }))
                lost("a malformed multipart line: " + std::string(line.substr(0, 200)));
        });
        if (!stale(gen) && lines_.pending() > cfg_.max_message + 256) lost("record over max message size");
    }
    void reset_decoder() override {
        lines_.reset();
        parts_ = {};
    }
    std::uint64_t decoder_pending() const override { return lines_.pending() + parts_.pending(); }

private:
    line_splitter lines_;
    multipart::part_reader parts_;
};

std::uint64_t frame_bytes(std::uint64_t body, std::uint64_t) {
    std::uint64_t part = multipart::part_bytes(body);
    return hex_digits(part) + part + 4;
}

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg, client_events& ev) {
    return std::make_shared<multipart_client>(io, cfg, ev);
}

} // namespace

extern const transport_descriptor xhr_multipart_transport{
    "xhr-multipart", "XHR multipart streaming: one GET /multipart, multipart/x-mixed-replace, one part per message",
    "/multipart", {}, &install, &make_client, nullptr, &frame_bytes};

} // namespace rtb
