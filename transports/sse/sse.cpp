// Server-Sent Events: GET /sse answered with text/event-stream (WHATWG HTML
// 9.2), one event per message with its sequence number as the event id;
// resume with Last-Event-ID. Wire format: README.md beside this file.
#include "transports/common/stream_client.hpp"
#include "transports/common/push_stream.hpp"
#include "transports/sse/sse_codec.hpp"
#include "transports/sse/sse_parser.hpp"

namespace rtb {

std::string sse_encode(std::string_view record, std::uint64_t seq) {
    std::string ev;
    ev.reserve(record.size() + 32);
    if (seq) ev += "id: " + std::to_string(seq) + "\n";
    ev += "data: ";
    ev += record;
    ev += "\n\n";
    return make_chunk(ev);
}

namespace {

using opt = transport_option;
constexpr opt heartbeat_ms{"sse-heartbeat-ms", opt::kind::number, opt::side::server, "ms", 0, 3'600'000,
                           "sse: server comment heartbeat (0 = off)"};
constexpr opt retry_ms{"sse-retry-ms", opt::kind::number, opt::side::server, "ms", 1000, 3'600'000,
                       "sse: the retry: value sent at stream start (EventSource's reconnect delay)"};
constexpr opt options[] = {heartbeat_ms, retry_ms};

std::string encode(std::string_view record, std::uint64_t seq) { return sse_encode(record, seq); }

std::string preamble(const server_options& opt, std::optional<std::uint64_t> head, const query&) {
    std::string s = "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/event-stream\r\n"
                    "Cache-Control: no-cache\r\n"
                    "Transfer-Encoding: chunked\r\n"
                    "\r\n";
    // retry: tells EventSource how long to wait before reconnecting. An id:
    // with no data sets the client's last event ID without firing an event
    // (WHATWG 9.2.6, dispatch step 1-2): that is how a new client learns
    // where "now" is, so its first reconnect resumes without loss.
    std::string first = "retry: " + std::to_string(opt.transport.get(retry_ms)) + "\n";
    if (head) first += "id: " + std::to_string(*head) + "\n";
    first += "\n";
    s += make_chunk(first);
    return s;
}

void install(server_core& core) {
    // EventSource resends the last id in Last-Event-ID; ?since= is accepted
    // too (for clients that cannot set headers).
    install_stream_route(core, {.path = "/sse", .encode = &encode, .preamble = &preamble,
                                .cursor = {"since", "Last-Event-ID"}, .heartbeat = ":\n\n",
                                .heartbeat_interval = core.options().transport.ms(heartbeat_ms)});
}

class sse_client final : public stream_client {
public:
    sse_client(asio::io_context& io, const client_config& cfg, client_events& ev)
        : stream_client(io, cfg, ev, eventsource),
          parser_([this](const sse_event& e) { emit(e.data, kernel_ns_); }, cfg.max_message + 256) {}

protected:
    // An external server's stream is its URL's, as it is (`run --target`).
    std::string target() override {
        return cfg_.target.empty() ? make_target("/sse", {identity_query(cfg_)}) : cfg_.target;
    }
    // WHATWG HTML 9.2.3: EventSource fails the connection unless the
    // answer's MIME type is text/event-stream (parameters allowed).
    std::string refuse_answer(const http::fields& f) const override {
        std::string_view type = f[http::field::content_type];
        auto essence = type.substr(0, type.find(';'));
        while (!essence.empty() && (essence.back() == ' ' || essence.back() == '\t')) essence.remove_suffix(1);
        if (beast::iequals(essence, "text/event-stream")) return {};
        return "not an event stream: the answer's Content-Type is " +
               (type.empty() ? std::string("missing") : "'" + std::string(type) + "'") +
               ", not text/event-stream";
    }
    void decorate(http::request<http::empty_body>& req) override {
        // EventSource sends Last-Event-ID on reconnect once it has one.
        if (auto c = cursor()) req.set("Last-Event-ID", std::to_string(*c));
    }
    void on_data(std::string_view data, std::int64_t kernel_ns) override {
        kernel_ns_ = kernel_ns;
        auto before = parser_.dispatches();
        if (!parser_.feed(data)) return lost("event line over max message size");
        // An id-only event moves the cursor without a message ("now" marker).
        if (parser_.dispatches() != before) {
            std::uint64_t id = 0;
            if (parse_u64(parser_.last_event_id(), id)) advance_cursor(id);
        }
        if (auto r = parser_.retry_ms()) cfg_.reconnect_delay = std::chrono::milliseconds(*r);
    }
    void reset_decoder() override { parser_.reset(); }
    std::uint64_t decoder_pending() const override { return parser_.pending(); }

private:
    sse_parser parser_;
    std::int64_t kernel_ns_ = 0;
};

// README "Bytes": one chunk of "id: <seq>\ndata: <body>\n\n".
std::uint64_t frame_bytes(std::uint64_t body, std::uint64_t seq) {
    std::uint64_t event = body + dec_digits(seq) + 13;
    return hex_digits(event) + event + 4;
}

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev) {
    return std::make_shared<sse_client>(io, cfg, ev);
}

} // namespace

extern const transport_descriptor sse_transport{
    "sse", "Server-Sent Events: GET /sse, text/event-stream, resume with Last-Event-ID", "/sse",
    options, &install, &make_client, nullptr, &frame_bytes, {}, {}, {}, "http https", "broadcast connect"};

} // namespace rtb
