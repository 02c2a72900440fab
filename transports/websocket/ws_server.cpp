// WebSocket server side: the upgrade route and one session per connection.
#include <cctype>

#include "transports/common/push_session.hpp"
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

// RFC 6455 4.1/4.2.1: the key is 16 random bytes in base64, so exactly 22
// base64 characters and "==". Beast does not check it; a server must answer
// anything else with 400.
bool valid_key(std::string_view k) {
    if (k.size() != 24 || k.substr(22) != "==") return false;
    for (char c : k.substr(0, 22))
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
    return true;
}

class ws_session final : public push_session, public timed, public std::enable_shared_from_this<ws_session> {
public:
    ws_session(server_core& core, flex_stream&& s) : push_session(core), ws_(std::move(s)) {}

    void run(request&& req, std::optional<std::uint64_t> cursor) {
        auto& opt = core_.options().transport;
        set_common(ws_, beast::role_type::server, opt.ms(ping_ms));
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "rtbench"); }));
        websocket::permessage_deflate pmd;
        pmd.server_enable = opt.flag(deflate);
        ws_.set_option(pmd);
        ws_.read_message_max(core_.options().max_message + 256);
        // Subscribe now, before the 101 goes out: a client that has seen the
        // 101 is subscribed. What arrives meanwhile waits for the handshake.
        // A new subscriber is told where "now" is, so that its first
        // reconnect already resumes without loss.
        hold_writes(true);
        if (!cursor) enqueue(frame_control("!head " + std::to_string(core_.messages().head())));
        begin(cursor);
        req_ = std::make_unique<request>(std::move(req));
        ws_.async_accept(*req_, beast::bind_front_handler(&ws_session::on_accept, shared_from_this()));
    }

    void shut() override { close(); }

private:
    void on_accept(beast::error_code ec) {
        req_.reset();
        if (closed()) return; // shut during the handshake (stop, drop, slow consumer): not a bad request
        if (ec) {
            ++core_.counters().bad_requests; // Beast has answered the bad upgrade
            return close();
        }
        hold_writes(false);
        if (!closed()) wait_first_read();
    }

    // A subscriber may never send. Its first read waits until it does (or
    // until its pong, or its close, arrives): Beast's read prepares 1.5 KiB
    // of buffer_ before it reads, which an idle connection would hold for
    // nothing. Nothing can be waiting in Beast's own buffer yet: the
    // handshake was read before the stream was Beast's; bytes the socket
    // already holds wake the wait at once (async_wait_readable). Under TLS,
    // OpenSSL may hold bytes the socket no longer shows, so TLS reads at
    // once (its stream holds a 17 KiB input buffer anyway).
    void wait_first_read() {
        if (ws_.next_layer().is_tls()) return do_read();
        ws_.next_layer().stamped().async_wait_readable([self = shared_from_this()](beast::error_code ec) {
            if (ec) return self->close();
            if (!self->closed()) self->do_read();
        });
    }

    std::shared_ptr<const std::string> frame(const message_ptr& m) override { return m->body; }
    std::shared_ptr<const std::string> frame_control(std::string record) override {
        return std::make_shared<const std::string>(std::move(record));
    }
    // One message per write: Beast frames each message itself, one per
    // async_write, and its own writes (the pong it answers a ping with,
    // its keep-alive pings, the close) take its write lock, which a gather
    // write of frames made here beside it could not take: they could land
    // inside one of ours.
    std::size_t gather_limit() const override { return 1; }
    void start_write(const queued_frames& frames) override {
        ws_.text(true);
        ws_.async_write(asio::buffer(frames.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->written(ec);
        });
    }
    void close_socket() override {
        disarm();
        beast::error_code ec;
        beast::get_lowest_layer(ws_).socket().close(ec);
    }

    void do_read() {
        ws_.async_read(buffer_, beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == websocket::error::message_too_big) {
            ++core_.counters().bad_requests; // Beast has sent close 1009
            return close();
        }
        if (ec) return close();
        if (!ws_.got_text()) return reject(websocket::close_code::unknown_data);
        std::string_view rec(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        auto up = parse_upstream(rec);
        auto to = up ? parse_target(up->to) : std::nullopt;
        if (!to) return reject(websocket::close_code::policy_error);
        ++core_.counters().upstream;
        core_.publish(*to, up->tag, up->payload);
        buffer_.clear();
        if (!closed()) do_read();
    }

    // A bad record: close with a code that says why (RFC 6455 section 7.4.1).
    // The peer gets 1 s to answer our Close (RFC 6455 5.5.1), not Beast's
    // 30 s handshake timeout: a misbehaving client must not hold a slot.
    void reject(websocket::close_code code) {
        ++core_.counters().bad_requests;
        stop_delivery();
        ws_.async_close(code, [self = shared_from_this()](beast::error_code) { self->close(); });
        arm(core_.timeouts(std::chrono::seconds(1)));
    }
    void expired() override { close(); } // the Close grace passed

    ws_stream ws_;
    std::unique_ptr<request> req_; // during the handshake
    beast::flat_buffer buffer_;
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
        if (!valid_key(req[http::field::sec_websocket_key]))
            return s->fail(http::status::bad_request, "bad Sec-WebSocket-Key\n");
        auto sub = read_subscription(s, req, q, {"since"});
        if (!sub) return;
        auto ws = std::make_shared<ws_session>(core, s->release());
        ws->filter = std::move(sub->filter);
        ws->route = "/ws";
        ws->run(std::move(req), sub->cursor);
    });
}

} // namespace rtb::ws
