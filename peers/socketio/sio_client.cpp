// rtbench's Socket.IO client: Engine.IO v4 over HTTP long polling, over
// WebSocket, or polling first and then the upgrade (what a browser's
// socket.io-client does by default), with Socket.IO v5 packets on top:
// the namespace connect, rooms joined by an event with an acknowledgement,
// messages as "m" events, records sent up as "up" events, and the
// heartbeat answered. Wire format and costs: README.md beside this file.
#include <fmt/format.h>

#include "peers/socketio/sio_codec.hpp"
#include "peers/socketio/sio_options.hpp"
#include "transports/websocket/ws_common.hpp"

namespace rtb::sio {
namespace {

namespace websocket = beast::websocket;
using ws::ws_stream;

constexpr std::string_view path = "/socket.io/";

// One packet waiting to go out; `up`: an upstream record (counted by sent()).
// Shared: a WebSocket write in flight keeps its bytes alive past a teardown.
struct outgoing {
    std::shared_ptr<const std::string> text;
    bool up = false;
};

class sio_client final : public client_base {
public:
    sio_client(asio::io_context& io, const client_config& cfg, client_events& ev, mode m)
        : client_base(io, cfg, ev), mode_(m), nsp_(cfg.transport.flag(custom_namespace) ? "/rtb" : "/"), get_(io),
          post_(io), heartbeat_(io) {
        meter_.watch(get_);
        meter_.watch(post_.stream);
    }

    // Socket.IO's client buffers what is emitted before the namespace is
    // connected; so does this one (across reconnects too).
    void send(std::shared_ptr<const std::string> record) override {
        if (closed()) return;
        up_.push_back(std::move(record));
        flush();
    }
    std::uint64_t sent() const override { return sent_; }
    std::uint64_t pending_bytes() const override {
        std::uint64_t n = ws_buffer_.size() + get_buffer_.size();
        if (get_parser_ && !get_parser_->is_done()) n += get_parser_->get().body().size();
        return n;
    }

protected:
    void connect() override {
        if (mode_ == mode::websocket) return open_ws();
        open(get_, beast::bind_front_handler(&sio_client::on_get_connect, self<sio_client>(), gen_));
    }

    void teardown() override {
        heartbeat_.cancel();
        meter_.retire(get_);
        retire(post_);
        if (ws_) {
            meter_.retire(ws_->next_layer());
            meter_.forget(ws_->next_layer());
            ws_.reset(); // pending handlers hold their own reference to the old stream
        }
        // The parser stays: a read still in flight on the old connection
        // refers to it until its (aborted) completion runs.
        get_buffer_.clear();
        ws_buffer_.clear();
        session_.reset();
        out_.clear();
        ws_out_.clear();
        in_namespace_ = ready_ = probing_ = upgrade_due_ = upgraded_ = get_pending_ = posting_ = false;
        ws_open_ = ws_writing_ = false;
        acks_due_ = 0;
    }

private:
    using ws_ptr = std::shared_ptr<ws_stream>;

    bool on_websocket() const { return mode_ == mode::websocket || upgraded_; }

    std::string query(bool websocket) const {
        std::string q = std::string(path) + "?EIO=4&transport=" + (websocket ? "websocket" : "polling");
        if (session_) q += "&sid=" + session_->sid;
        if (!cfg_.id.empty()) q += "&id=" + cfg_.id;
        return q;
    }

    // ---- what arrives ------------------------------------------------------------

    void on_eio(std::string_view p, std::int64_t kernel_ns) {
        if (p.empty()) return lost("an empty Engine.IO packet");
        switch (p[0]) {
        case eio::open: {
            if (session_) return lost("a second Engine.IO open packet");
            session_ = parse_open(p.substr(1));
            if (!session_) return lost("a malformed Engine.IO open packet: " + std::string(p.substr(0, 200)));
            arm_heartbeat();
            queue(connect_packet(nsp_));
            return flush();
        }
        case eio::ping:
            if (!session_) return lost("a ping before the Engine.IO open packet");
            arm_heartbeat();
            queue(std::string(1, eio::pong));
            return flush();
        case eio::pong:
            if (p == "3probe" && probing_) {
                probing_ = false;
                upgrade_due_ = true;
                maybe_upgrade();
            }
            return;
        case eio::message: return on_sio(p.substr(1), kernel_ns);
        case eio::close: return lost("the server closed the Engine.IO session");
        case eio::noop: return;
        default: return lost("a malformed Engine.IO packet: " + std::string(p.substr(0, 200)));
        }
    }

    void on_sio(std::string_view s, std::int64_t kernel_ns) {
        auto p = parse_packet(s);
        if (!p) return lost("a malformed Socket.IO packet: " + std::string(s.substr(0, 200)));
        if (p->nsp != nsp_) return; // another namespace's
        switch (p->type) {
        case type::connect:
            in_namespace_ = true;
            // Rooms are joined through an event the server handles, each
            // acknowledged; the client is ready once every one is.
            for (auto& room : cfg_.rooms) {
                queue(event_packet(nsp_, "join", room, ++ack_id_));
                ++acks_due_;
            }
            flush();
            if (mode_ == mode::upgrade && !ws_) open_ws();
            return maybe_ready();
        case type::ack:
            if (acks_due_) --acks_due_;
            return maybe_ready();
        case type::event:
            if (event_arg(p->data, "m", arg_)) emit(arg_, kernel_ns);
            return;
        case type::connect_error: return lost("Socket.IO refused the namespace: " + std::string(p->data.substr(0, 200)));
        case type::disconnect: return lost("the server disconnected the socket");
        default: return lost("an unexpected Socket.IO packet: " + std::string(s.substr(0, 200)));
        }
    }

    // Subscribed: the namespace connected, every room joined, and in upgrade
    // mode the upgrade done, so every message of the measure window comes
    // over the transport the row is named for.
    void maybe_ready() {
        if (ready_ || !in_namespace_ || acks_due_ || (mode_ == mode::upgrade && !upgraded_)) return;
        ready_ = true;
        ready();
    }

    // Engine.IO's heartbeat: a server that has not pinged for pingInterval +
    // pingTimeout is gone (the same rule socket.io-client applies).
    void arm_heartbeat() {
        heartbeat_.expires_after(std::chrono::milliseconds(session_->ping_interval_ms + session_->ping_timeout_ms));
        heartbeat_.async_wait([self = self<sio_client>(), gen = gen_](beast::error_code ec) {
            if (!ec && !self->stale(gen)) self->lost("no ping from the server within pingInterval + pingTimeout");
        });
    }

    // ---- what goes out -------------------------------------------------------------

    void queue(std::string packet) { out_.push_back({std::make_shared<const std::string>(std::move(packet)), false}); }

    // Records go out once the namespace is connected; every packet takes
    // the transport in use: the WebSocket, or a POST (one at a time, with
    // every packet waiting in it, as Engine.IO asks). Nothing goes out
    // between the probe's answer and the upgrade packet.
    void flush() {
        if (!session_ || upgrade_due_) return;
        if (in_namespace_)
            for (; !up_.empty(); up_.pop_front())
                out_.push_back({std::make_shared<const std::string>(event_packet(nsp_, "up", *up_.front())), true});
        if (on_websocket()) {
            for (auto& o : out_) ws_out_.push_back(std::move(o));
            out_.clear();
            return ws_write();
        }
        post_waiting();
    }

    // ---- HTTP long polling ------------------------------------------------------------

    void on_get_connect(std::uint64_t gen, beast::error_code ec) {
        if (stale(gen) || upgraded_) return; // upgraded meanwhile: polling is over
        if (ec) return lost("connect: " + describe_error(ec));
        do_get();
    }

    void do_get() {
        get_req_ = {http::verb::get, query(false), 11};
        add_profile_headers(get_req_.base(), cfg_, fetch_get);
        get_pending_ = true;
        http::async_write(get_, get_req_, beast::bind_front_handler(&sio_client::on_get_write, self<sio_client>(), gen_));
    }

    void on_get_write(std::uint64_t gen, beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        if (ec) return lost("write: " + ec.message());
        get_parser_.emplace();
        get_parser_->body_limit(cfg_.max_message * 64);
        http::async_read(get_, get_buffer_, *get_parser_,
                         beast::bind_front_handler(&sio_client::on_get_read, self<sio_client>(), gen));
    }

    void on_get_read(std::uint64_t gen, beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        std::int64_t kernel_ns = get_.rx_ns();
        if (ec) return lost("read: " + ec.message());
        get_pending_ = false;
        auto res = get_parser_->release();
        get_parser_.reset();
        if (res.result() != http::status::ok)
            return lost(fmt::format("{} answered {}: {}", session_ ? "a poll" : "the Engine.IO handshake",
                                    res.result_int(), res.body().substr(0, 200)));
        std::string_view body = res.body();
        while (!body.empty()) {
            auto sep = body.find(eio::record_separator);
            on_eio(body.substr(0, sep), kernel_ns);
            if (stale(gen)) return;
            if (sep == std::string_view::npos) break;
            body.remove_prefix(sep + 1);
        }
        if (upgrade_due_) return maybe_upgrade(); // polling paused for the upgrade
        if (upgraded_) return;
        if (res.keep_alive()) return do_get();
        meter_.retire(get_);
        get_pending_ = true; // a poll is on its way: the upgrade waits for it
        open(get_, beast::bind_front_handler(&sio_client::on_get_connect, self<sio_client>(), gen));
    }

    // Every packet waiting, up to the server's maxPayload a body (Engine.IO
    // answers 413 beyond it; socket.io-client splits so too), at least one.
    void post_waiting() {
        if (posting_ || out_.empty()) return;
        std::string body;
        posted_up_ = 0;
        auto max = static_cast<std::size_t>(std::max<std::int64_t>(0, session_->max_payload));
        while (!out_.empty()) {
            auto& next = *out_.front().text;
            if (!body.empty() && max && body.size() + 1 + next.size() > max) break;
            if (!body.empty()) body += eio::record_separator;
            body += next;
            posted_up_ += out_.front().up;
            out_.pop_front();
        }
        auto& req = post_.req;
        req = {http::verb::post, query(false), 11};
        add_profile_headers(req.base(), cfg_, fetch_post);
        req.set(http::field::content_type, "text/plain;charset=UTF-8");
        req.body() = std::move(body);
        req.prepare_payload();
        posting_ = true;
        client_base::post(post_, [this](const http::response<http::string_body>& res) {
            if (res.result() != http::status::ok)
                return lost(fmt::format("a POST answered {}: {}", res.result_int(), res.body().substr(0, 200)));
            sent_ += posted_up_;
            posting_ = false;
            if (upgrade_due_) return maybe_upgrade();
            flush();
        });
    }

    // ---- WebSocket, direct or as the upgrade ------------------------------------------

    void open_ws() {
        ws_ = ws::make_client_stream(io_, cfg_, cfg_.max_message * 2 + 256); // JSON may escape every character of a record
        meter_.watch(ws_->next_layer());
        open(ws_->next_layer(), beast::bind_front_handler(&sio_client::on_ws_connect, self<sio_client>(), gen_, ws_));
    }

    void on_ws_connect(std::uint64_t gen, ws_ptr ws, beast::error_code ec) {
        if (stale(gen)) return;
        if (ec) return lost("connect: " + describe_error(ec));
        ws->async_handshake(cfg_.host + ":" + std::to_string(cfg_.port), query(true),
                            beast::bind_front_handler(&sio_client::on_ws_handshake, self<sio_client>(), gen, ws));
    }

    void on_ws_handshake(std::uint64_t gen, ws_ptr ws, beast::error_code ec) {
        if (stale(gen)) return;
        if (ec) return lost("WebSocket handshake: " + ec.message());
        ws_open_ = true;
        if (mode_ == mode::upgrade) {
            // The probe: the WebSocket works end to end before the session
            // moves onto it (Engine.IO's upgrade, "2probe" -> "3probe").
            probing_ = true;
            ws_out_.push_back({std::make_shared<const std::string>("2probe"), false});
        }
        ws_read(gen, ws);
        ws_write();
    }

    // The probe answered: once no poll and no POST is in flight (Engine.IO
    // drops what a discarded polling transport still carries), the upgrade
    // packet goes out and everything after it takes the WebSocket.
    void maybe_upgrade() {
        if (!upgrade_due_ || get_pending_ || posting_) return;
        upgrade_due_ = false;
        upgraded_ = true;
        ws_out_.push_back({std::make_shared<const std::string>(1, eio::upgrade), false});
        // The polling connections have done their work: closed, counted.
        meter_.retire(get_);
        retire(post_);
        flush();
        maybe_ready();
    }

    void ws_read(std::uint64_t gen, const ws_ptr& ws) {
        ws->async_read(ws_buffer_, beast::bind_front_handler(&sio_client::on_ws_read, self<sio_client>(), gen, ws));
    }

    void on_ws_read(std::uint64_t gen, ws_ptr ws, beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        if (ec) return lost("read: " + ec.message());
        std::string_view text(static_cast<const char*>(ws_buffer_.data().data()), ws_buffer_.size());
        on_eio(text, ws->next_layer().rx_ns());
        if (stale(gen)) return;
        ws_buffer_.clear();
        ws_read(gen, ws);
    }

    void ws_write() {
        if (!ws_open_ || ws_writing_ || ws_out_.empty()) return;
        ws_writing_ = true;
        ws_->text(true);
        auto text = ws_out_.front().text;
        ws_->async_write(asio::buffer(*text),
                         [self = self<sio_client>(), gen = gen_, ws = ws_, text](beast::error_code ec, std::size_t) {
                             if (self->stale(gen)) return;
                             self->ws_writing_ = false;
                             if (ec) return self->lost("write: " + ec.message());
                             self->sent_ += self->ws_out_.front().up;
                             self->ws_out_.pop_front();
                             self->ws_write();
                         });
    }

    const mode mode_;
    const std::string nsp_;
    std::optional<open_info> session_; // from the open packet; unset before it
    flex_stream get_;                  // the polling connections (a browser uses two)
    post_channel post_;
    beast::flat_buffer get_buffer_, ws_buffer_;
    http::request<http::empty_body> get_req_;
    std::optional<http::response_parser<http::string_body>> get_parser_;
    ws_ptr ws_;
    asio::steady_timer heartbeat_;
    std::deque<std::shared_ptr<const std::string>> up_; // records not yet in a packet
    std::deque<outgoing> out_, ws_out_;                  // packets waiting; those for the WebSocket
    std::string arg_;                                    // the last event's argument, unescaped
    std::uint64_t ack_id_ = 0, sent_ = 0, posted_up_ = 0;
    std::size_t acks_due_ = 0;
    bool in_namespace_ = false, ready_ = false, probing_ = false, upgrade_due_ = false, upgraded_ = false;
    bool get_pending_ = false, posting_ = false, ws_open_ = false;
    bool ws_writing_ = false;
};

} // namespace

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg, client_events& ev, mode m) {
    return std::make_shared<sio_client>(io, cfg, ev, m);
}

} // namespace rtb::sio
