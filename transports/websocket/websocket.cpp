// WebSocket (RFC 6455, via Beast): GET /ws upgrades; one text frame per
// message; client -> server records as text frames. Wire format: README.md.
#include <boost/beast/websocket.hpp>

#include "harness/clock.hpp"
#include "transports/common/client_base.hpp"
#include "transports/common/http_server.hpp"
#include "transports/common/wire.hpp"

namespace rtb {
namespace {

namespace websocket = beast::websocket;
using ws_stream = websocket::stream<beast::tcp_stream>;

// Options both roles share. auto_fragment off: Beast would otherwise split a
// message larger than its write buffer (4 KiB) into several frames, and our
// wire format is one message per frame.
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

class ws_session : public connection,
                   public subscriber,
                   public std::enable_shared_from_this<ws_session> {
public:
    ws_session(server_core& core, beast::tcp_stream&& s) : connection(core), ws_(std::move(s)) {}
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
    void reject(websocket::close_code code) {
        ++core_.counters().bad_requests;
        core_.messages().unsubscribe(this);
        ws_.async_close(code, [self = shared_from_this()](beast::error_code) { self->close_now(); });
    }

    void close_now() {
        if (closed_) return;
        closed_ = true;
        core_.messages().unsubscribe(this);
        beast::error_code ec;
        beast::get_lowest_layer(ws_).socket().close(ec);
    }

    ws_stream ws_;
    request req_;
    std::optional<std::uint64_t> cursor_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::string>> queue_;
    bool writing_ = false, closed_ = false;
};

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
        ws->run(std::move(req), since);
    });
}

class ws_client final : public client_base {
public:
    using client_base::client_base;

    void send(std::shared_ptr<const std::string> record) override {
        if (closed()) return;
        out_.push_back(std::move(record));
        if (open_ && !writing_) do_write();
    }
    std::uint64_t sent() const override { return sent_; }

protected:
    void connect() override {
        ws_ = std::make_shared<ws_stream>(io_);
        set_common(*ws_, beast::role_type::client, std::chrono::milliseconds(0));
        client_config cfg = cfg_;
        ws_->set_option(websocket::stream_base::decorator([cfg](websocket::request_type& req) {
            add_profile_headers(req.base(), cfg, request_kind::websocket);
            if (cfg.headers == header_profile::minimal) req.set(http::field::user_agent, "rtbench");
        }));
        websocket::permessage_deflate pmd;
        pmd.client_enable = cfg_.ws_deflate;
        ws_->set_option(pmd);
        ws_->read_message_max(cfg_.max_message + 256);
        beast::get_lowest_layer(*ws_).async_connect(
            endpoint(), beast::bind_front_handler(&ws_client::on_connect, self<ws_client>(), gen_, ws_));
    }

    void teardown() override {
        open_ = writing_ = false;
        if (!ws_) return;
        retire_socket(beast::get_lowest_layer(*ws_).socket(), closed_bytes_);
        ws_.reset(); // pending handlers hold their own reference to the old stream
        buffer_.clear();
    }

    wire_bytes live_wire() const override {
        if (!ws_) return {};
        auto& s = beast::get_lowest_layer(*ws_).socket();
        return s.is_open() ? socket_wire(s.native_handle()) : wire_bytes{};
    }

private:
    using ws_ptr = std::shared_ptr<ws_stream>;

    void on_connect(std::uint64_t gen, ws_ptr ws, beast::error_code ec) {
        if (stale(gen)) return;
        if (ec) return lost("connect: " + ec.message());
        beast::error_code ignored;
        beast::get_lowest_layer(*ws).socket().set_option(tcp::no_delay(true), ignored);
        beast::get_lowest_layer(*ws).expires_never();
        std::string target = "/ws?";
        if (have_cursor_) target += "since=" + std::to_string(last_seq_) + "&";
        target += identity_query(cfg_);
        if (target.back() == '&' || target.back() == '?') target.pop_back();
        ws->async_handshake(cfg_.host + ":" + std::to_string(cfg_.port), target,
                            beast::bind_front_handler(&ws_client::on_handshake, self<ws_client>(), gen, ws));
    }

    void on_handshake(std::uint64_t gen, ws_ptr ws, beast::error_code ec) {
        if (stale(gen)) return;
        if (ec) return lost("handshake: " + ec.message());
        open_ = true;
        ready();
        if (stale(gen)) return;
        do_read(gen, ws);
        if (!out_.empty() && !writing_) do_write();
    }

    void do_read(std::uint64_t gen, const ws_ptr& ws) {
        ws->async_read(buffer_, beast::bind_front_handler(&ws_client::on_read, self<ws_client>(), gen, ws));
    }

    void on_read(std::uint64_t gen, ws_ptr ws, beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        auto t = now_ns();
        if (ec) return lost("read: " + ec.message());
        std::string_view rec(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        emit(rec, t);
        buffer_.clear();
        if (!stale(gen)) do_read(gen, ws);
    }

    void do_write() {
        writing_ = true;
        ws_->text(true);
        ws_->async_write(asio::buffer(*out_.front()),
                         beast::bind_front_handler(&ws_client::on_write, self<ws_client>(), gen_, ws_));
    }

    void on_write(std::uint64_t gen, ws_ptr, beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        writing_ = false;
        out_.pop_front(); // written, or lost with the connection (never resent)
        if (ec) return lost("write: " + ec.message());
        ++sent_;
        if (!out_.empty() && open_) do_write();
    }

    ws_ptr ws_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::string>> out_;
    bool open_ = false, writing_ = false;
    std::uint64_t sent_ = 0;
};

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev) {
    return std::make_shared<ws_client>(io, cfg, ev);
}

} // namespace

extern const transport_descriptor websocket_transport{
    "websocket", "WebSocket (RFC 6455): GET /ws upgrade, one text frame per message", "/ws", true,
    true, &install, &make_client};

} // namespace rtb
