// WebSocket server side: the upgrade route and one session per connection.
#include "harness/clock.hpp"
#include "transports/websocket/ws_common.hpp"

namespace rtb::ws {

void set_common(ws_stream& ws, beast::role_type role, std::chrono::milliseconds ping) {
    ws.auto_fragment(false);
    auto t = websocket::stream_base::timeout::suggested(role);
    if (ping.count() > 0) {
        // Beast pings after half the idle timeout passes in silence, and
        // drops the peer if the whole timeout passes with no answer.
        t.idle_timeout = ping * 2;
        t.keep_alive_pings = true;
    }
    ws.set_option(t);
}

namespace {

class ws_session : public connection,
                   public subscriber,
                   public std::enable_shared_from_this<ws_session> {
public:
    ws_session(server_core& core, beast::tcp_stream&& s)
        : connection(core), ws_(std::move(s)), grace_(core.io()) {}
    ~ws_session() override { core_.messages().unsubscribe(this); }

    void run(request&& req, std::optional<std::uint64_t> cursor) {
        auto& opt = core_.options();
        set_common(ws_, beast::role_type::server, opt.ws_ping);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "rtbench"); }));
        websocket::permessage_deflate pmd;
        pmd.server_enable = opt.ws_deflate;
        ws_.set_option(pmd);
        ws_.read_message_max(opt.max_message + 256);
        cursor_ = cursor;
        req_ = std::move(req);
        ws_.async_accept(req_, beast::bind_front_handler(&ws_session::on_accept, shared_from_this()));
    }

    void deliver(const message_ptr& m) override { enqueue(m->body); }
    void shut() override { close_now(); }

private:
    void on_accept(beast::error_code ec) {
        req_ = {};
        if (ec) {
            ++core_.counters().bad_requests; // Beast has answered the bad upgrade
            return close_now();
        }
        auto& hub = core_.messages();
        if (cursor_) {
            auto r = hub.since(*cursor_, filter);
            if (r.gap) enqueue(std::make_shared<const std::string>(format_gap(r.gap->first, r.gap->last)));
            for (auto& m : r.messages) enqueue(m->body);
        } else {
            enqueue(std::make_shared<const std::string>("!head " + std::to_string(hub.head())));
        }
        if (closed_) return;
        hub.subscribe(this);
        do_read();
    }

    void enqueue(std::shared_ptr<const std::string> bytes) {
        if (closed_) return;
        if (queue_.size() >= core_.options().max_queue) {
            ++core_.counters().slow_consumers;
            return close_now();
        }
        queue_.push_back(std::move(bytes));
        if (!writing_) do_write();
    }

    void do_write() {
        writing_ = true;
        ws_.text(true);
        ws_.async_write(asio::buffer(*queue_.front()),
                        beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t) {
        writing_ = false;
        if (ec) return close_now();
        ++core_.counters().frames_sent;
        queue_.pop_front();
        if (!queue_.empty() && !closed_) do_write();
    }

    void do_read() {
        ws_.async_read(buffer_, beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == websocket::error::message_too_big) {
            ++core_.counters().bad_requests; // Beast has sent close 1009
            return close_now();
        }
        if (ec) return close_now();
        if (!ws_.got_text()) return reject(websocket::close_code::unknown_data);
        std::string_view rec(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        auto up = parse_upstream(rec);
        auto to = up ? parse_target(up->to) : std::nullopt;
        if (!to) return reject(websocket::close_code::policy_error);
        ++core_.counters().upstream;
        core_.publish(*to, up->tag, up->payload);
        buffer_.clear();
        if (!closed_) do_read();
    }

    // A bad record: close with a code that says why (RFC 6455 section 7.4.1).
    // The peer gets 1 s to answer our Close (RFC 6455 5.5.1), not Beast's
    // 30 s handshake timeout: a misbehaving client must not hold a slot.
    void reject(websocket::close_code code) {
        ++core_.counters().bad_requests;
        core_.messages().unsubscribe(this);
        ws_.async_close(code, [self = shared_from_this()](beast::error_code) { self->close_now(); });
        grace_.expires_after(std::chrono::seconds(1));
        grace_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->close_now();
        });
    }

    void close_now() {
        if (closed_) return;
        closed_ = true;
        grace_.cancel();
        core_.messages().unsubscribe(this);
        beast::error_code ec;
        beast::get_lowest_layer(ws_).socket().close(ec);
    }

    ws_stream ws_;
    asio::steady_timer grace_;
    request req_;
    std::optional<std::uint64_t> cursor_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::string>> queue_;
    bool writing_ = false, closed_ = false;
};

} // namespace

void install(server_core& core) {
    core.add_route("/ws", [&core](const std::shared_ptr<http_session>& s, request&& req,
                                  const query& q) {
        if (!websocket::is_upgrade(req)) {
            ++core.counters().bad_requests;
            auto res = make_response(req, http::status::upgrade_required, "WebSocket upgrade required\n");
            res.set(http::field::upgrade, "websocket");
            res.keep_alive(false);
            return s->respond(std::move(res));
        }
        subscription_filter f;
        if (!read_filter(q, f)) return s->fail(http::status::bad_request, "bad id or rooms\n");
        std::optional<std::uint64_t> since;
        if (auto* v = q.get("since")) {
            std::uint64_t n = 0;
            if (!parse_u64(*v, n)) return s->fail(http::status::bad_request, "bad since\n");
            since = n;
        }
        auto ws = std::make_shared<ws_session>(core, s->release());
        ws->filter = std::move(f);
        ws->route = "/ws";
        ws->run(std::move(req), since);
    });
}

} // namespace rtb::ws
