// htmlfile, the "forever iframe": GET /htmlfile?callback=NAME answered with
// a chunked text/html document that never ends, one <script> block per
// message calling the parent page's function. Wire format and costs:
// README.md beside this file.
#include "transports/htmlfile/htmlfile_codec.hpp"

#include "transports/common/push_stream.hpp"
#include "transports/common/stream_client.hpp"
#include "transports/jsonp-polling/jsonp_codec.hpp"

namespace rtb {

namespace {

std::string encode(std::string_view record, std::uint64_t) { return make_chunk(htmlfile::encode_script(record)); }

// The callback is written into the page's script: jsonp's rule (1..64 of
// [A-Za-z0-9_$.]) keeps anything else out, with a 400.
std::string refuse(const query& q) {
    auto* cb = q.get("callback");
    if (!cb) return "callback required\n";
    if (!jsonp::valid_callback(*cb)) return "bad callback: 1..64 of [A-Za-z0-9_$.]\n";
    return {};
}

std::string preamble(const server_options&, std::optional<std::uint64_t> head, const query& q) {
    std::string s = "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/html; charset=UTF-8\r\n"
                    "Cache-Control: no-store\r\n"
                    "Transfer-Encoding: chunked\r\n"
                    "\r\n";
    s += make_chunk(htmlfile::preamble(*q.get("callback")));
    if (head) s += encode("!head " + std::to_string(*head), 0);
    return s;
}

void install(server_core& core) {
    install_stream_route(core, {.path = "/htmlfile", .encode = &encode, .preamble = &preamble,
                                .refuse = &refuse, .cursor = {"since"}});
}

// What a browser page's hidden iframe browser_request looks like: a
// document navigation, not a fetch.
constexpr browser_request iframe{.accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                                 .fetch_mode = "navigate", .fetch_dest = "iframe"};

class htmlfile_client final : public stream_client {
public:
    htmlfile_client(asio::io_context& io, const client_config& cfg, client_events& ev)
        : stream_client(io, cfg, ev, iframe) {}

protected:
    std::string target() override {
        auto c = cursor();
        return make_target("/htmlfile", {"callback=rtb", c ? "since=" + std::to_string(*c) : "", identity_query(cfg_)});
    }
    // A bad line ends the session: the lines after it in the same data are
    // the dead connection's, and go nowhere.
    void on_data(std::string_view data, std::int64_t kernel_ns) override {
        auto gen = gen_;
        lines_.feed(data, [&](std::string_view line) {
            if (stale(gen)) return;
            if (htmlfile::is_preamble(line)) return ready();
            auto rec = htmlfile::decode_script(line);
            if (!rec) return lost("a malformed htmlfile line: " + std::string(line.substr(0, 200)));
            emit(*rec, kernel_ns);
        });
        if (!stale(gen) && lines_.pending() > 6 * cfg_.max_message + 256) lost("record over max message size");
    }
    void reset_decoder() override { lines_.reset(); }
    std::uint64_t decoder_pending() const override { return lines_.pending(); }
    // The padded document head is what an iframe costs before its first
    // script can run: connecting includes it (handshake_bytes).
    bool ready_on_header() const override { return false; }

private:
    line_splitter lines_;
};

std::uint64_t frame_bytes(std::uint64_t body, std::uint64_t) {
    std::uint64_t script = htmlfile::script_bytes(body);
    return hex_digits(script) + script + 4;
}

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg, client_events& ev) {
    return std::make_shared<htmlfile_client>(io, cfg, ev);
}

} // namespace

extern const transport_descriptor htmlfile_transport{
    "htmlfile", "Forever iframe: one GET /htmlfile, an endless HTML document, a <script> block per message",
    "/htmlfile", {}, &install, &make_client, nullptr, &frame_bytes};

} // namespace rtb
