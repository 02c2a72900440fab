// Long polling: GET /lp?cursor=N is held until at least one new message for
// this client, or until the hold timeout, then answered; the client asks
// again at once. Wire format: README.md beside this file.
#include "transports/common/batch.hpp"
#include "transports/common/batch_client.hpp"

namespace rtb {
namespace {

using opt = transport_option;
constexpr opt hold_ms{"lp-hold-ms", opt::kind::number, opt::side::server, "ms", 30000, 3'600'000,
                      "long-polling: server hold before an empty answer"};
constexpr opt options[] = {hold_ms};

// A held request: subscribed until a message arrives, the hold expires or
// the client goes away. Its socket is its http_session's, which counts
// toward --max-connections; the hold itself does not count again. It keeps
// of the request only what the answer needs, and its deadline is an entry
// on the loop's list of holds, not a timer of its own (server memory per
// idle connection). The watch on its socket owns it: it ends when the
// watch does (answered, shut, or the client gone).
class held_poll : public connection,
                  public subscriber,
                  public timed,
                  public std::enable_shared_from_this<held_poll> {
public:
    held_poll(server_core& core, std::shared_ptr<http_session> s, const request& req)
        : connection(core, /*socket=*/false), session_(std::move(s)), version_(req.version()),
          keep_alive_(req.keep_alive()) {}
    ~held_poll() override { core_.messages().unsubscribe(this); }

    void hold() {
        core_.messages().subscribe(this);
        arm(core_.timeouts(core_.options().transport.ms(hold_ms)));
        session_->watch_for_close([self = shared_from_this()] { self->shut(); });
    }

    void deliver(const message_ptr& m) override { answer({{m}, std::nullopt}); }

    void shut() override {
        core_.messages().unsubscribe(this);
        disarm();
        if (session_) session_->shut();
        session_.reset();
    }

private:
    void expired() override { answer({}); }

    void answer(const hub::replay& r) {
        if (!session_) return;
        core_.messages().unsubscribe(this);
        disarm();
        auto s = std::move(session_);
        s->stop_watching();
        s->respond(batch_response(version_, keep_alive_, r, core_.messages().head()));
    }

    std::shared_ptr<http_session> session_;
    unsigned version_;
    bool keep_alive_;
};

void install(server_core& core) {
    core.add_route("/lp", [&core](const std::shared_ptr<http_session>& s, request&& req,
                                  const query& q) {
        auto sub = read_subscription(s, req, q, batch_cursor);
        if (!sub) return;
        auto& hub = core.messages();
        if (!sub->cursor) {
            // Subscribe step: answer at once with where "now" is.
            return s->respond(batch_response(req, {}, hub.head()));
        }
        auto r = hub.since(*sub->cursor, sub->filter, SIZE_MAX, max_answer_bytes);
        if (!r.messages.empty() || r.gap) return s->respond(batch_response(req, r, r.next_cursor));
        auto h = std::make_shared<held_poll>(core, s, req);
        h->filter = std::move(sub->filter);
        h->hold();
    });
}

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev) {
    return std::make_shared<batch_client>(io, cfg, ev, "/lp", std::chrono::milliseconds(0), false);
}

} // namespace

extern const transport_descriptor long_polling_transport{
    "long-polling", "HTTP long polling: GET /lp held until a message arrives or the hold expires",
    "/lp", options, &install, &make_client};

} // namespace rtb
