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
// toward --max-connections; the hold itself does not count again.
class held_poll : public connection,
                  public subscriber,
                  public std::enable_shared_from_this<held_poll> {
public:
    held_poll(server_core& core, std::shared_ptr<http_session> s, request&& req)
        : connection(core, /*socket=*/false), session_(std::move(s)), req_(std::move(req)), timer_(core.io()) {}
    ~held_poll() override { core_.messages().unsubscribe(this); }

    void hold() {
        core_.messages().subscribe(this);
        timer_.expires_after(core_.options().transport.ms(hold_ms));
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->answer({});
        });
        session_->watch_for_close([weak = weak_from_this()] {
            if (auto self = weak.lock()) self->shut();
        });
    }

    void deliver(const message_ptr& m) override { answer({{m}, std::nullopt}); }

    void shut() override {
        core_.messages().unsubscribe(this);
        timer_.cancel();
        if (session_) session_->shut();
        session_.reset();
    }

private:
    void answer(const hub::replay& r) {
        if (!session_) return;
        core_.messages().unsubscribe(this);
        timer_.cancel();
        auto s = std::move(session_);
        s->stop_watching();
        s->respond(batch_response(req_, r, core_.messages().head()));
    }

    std::shared_ptr<http_session> session_;
    request req_;
    asio::steady_timer timer_;
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
        auto h = std::make_shared<held_poll>(core, s, std::move(req));
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
