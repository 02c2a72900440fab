// Server-Sent Events: GET /sse answered with text/event-stream (WHATWG HTML
// 9.2), one event per message with its sequence number as the event id;
// resume with Last-Event-ID. Wire format: README.md beside this file.
#include "transports/common/stream_client.hpp"
#include "transports/common/stream_route.hpp"
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

std::string encode(std::string_view record, std::uint64_t seq) { return sse_encode(record, seq); }

std::string preamble(const server_options& opt, std::optional<std::uint64_t> head) {
    std::string s = "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/event-stream\r\n"
                    "Cache-Control: no-cache\r\n"
                    "Transfer-Encoding: chunked\r\n"
                    "\r\n";
    // retry: tells EventSource how long to wait before reconnecting. An id:
    // with no data sets the client's last event ID without firing an event
    // (WHATWG 9.2.6, dispatch step 1-2): that is how a new client learns
    // where "now" is, so its first reconnect resumes without loss.
    std::string first = "retry: " + std::to_string(opt.sse_retry.count()) + "\n";
    if (head) first += "id: " + std::to_string(*head) + "\n";
    first += "\n";
    s += make_chunk(first);
    return s;
}

bool cursor(const std::shared_ptr<http_session>& s, const request& req, const query& q,
            std::optional<std::uint64_t>& out) {
    auto it = req.find("Last-Event-ID");
    if (it == req.end()) return since_cursor(s, req, q, out);
    std::uint64_t n = 0;
    if (!parse_u64(it->value(), n)) {
        s->fail(http::status::bad_request, "bad Last-Event-ID\n");
        return false;
    }
    out = n;
    return true;
}

void install(server_core& core) {
    static const stream_route route{"/sse", slot_sse, &encode, &preamble, &cursor, ":\n\n"};
    core.add_route("/sse", [&core](const std::shared_ptr<http_session>& s, request&& req,
                                   const query& q) { serve_stream(core, route, s, std::move(req), q); });
}

class sse_client final : public stream_client {
public:
    sse_client(asio::io_context& io, const client_config& cfg, client_events& ev)
        : stream_client(io, cfg, ev, request_kind::eventsource),
          parser_([this](const sse_event& e) { emit(e.data, recv_ns_); }, cfg.max_message + 256) {}

protected:
    std::string target() override {
        std::string t = "/sse?" + identity_query(cfg_);
        if (t.back() == '?') t.pop_back();
        return t;
    }
    void decorate(http::request<http::empty_body>& req) override {
        // EventSource sends Last-Event-ID on reconnect once it has one.
        if (have_cursor_) req.set("Last-Event-ID", std::to_string(last_seq_));
    }
    void on_data(std::string_view data, std::int64_t recv_ns) override {
        recv_ns_ = recv_ns;
        auto before = parser_.dispatches();
        if (!parser_.feed(data)) return lost("event line over max message size");
        // An id-only event moves the cursor without a message ("now" marker).
        if (parser_.dispatches() != before) {
            std::uint64_t id = 0;
            if (parse_u64(parser_.last_event_id(), id)) {
                have_cursor_ = true;
                if (id > last_seq_) last_seq_ = id;
            }
        }
        if (auto r = parser_.retry_ms()) cfg_.reconnect_delay = std::chrono::milliseconds(*r);
    }
    void reset_decoder() override { parser_.reset(); }
    std::uint64_t decoder_pending() const override { return parser_.pending(); }

private:
    sse_parser parser_;
    std::int64_t recv_ns_ = 0;
};

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev) {
    return std::make_shared<sse_client>(io, cfg, ev);
}

} // namespace

extern const transport_descriptor sse_transport{
    "sse", "Server-Sent Events: GET /sse, text/event-stream, resume with Last-Event-ID", "/sse",
    true, true, &install, &make_client};

} // namespace rtb
