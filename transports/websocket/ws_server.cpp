// WebSocket server side: the upgrade route and one session per connection.
#include <cctype>

#include "transports/common/push_session.hpp"
#include "transports/websocket/ws_common.hpp"
#include "transports/websocket/ws_frames.hpp"

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

// A client's record, taken by either session: published, or false when it
// does not parse (the session closes with 1008).
bool take_record(server_core& core, std::string_view rec) {
    auto up = parse_upstream(rec);
    auto to = up ? parse_target(up->to) : std::nullopt;
    if (!to) return false;
    ++core.counters().upstream;
    core.publish(*to, up->tag, up->payload);
    return true;
}

// The 101 answer, byte for byte what Beast sends with our Server value
// (146 bytes; README.md), so that both sessions cost the same handshake.
std::string handshake_answer(std::string_view key) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
           "Sec-WebSocket-Accept: " + accept_key(key) + "\r\nServer: rtbench\r\n\r\n";
}

// Every connection without permessage-deflate: RFC 6455 framed here
// (ws_frames.hpp says why not Beast). Idle, it holds its socket, its
// place on the subscriber list and a timeout-list entry: no buffer (reads
// wait for readability first, and a read's bytes are parsed from the
// stack; only a frame cut by a read boundary is kept), no timer. Queued
// messages go out in one gather write, like every push transport's.
class lean_session final : public push_session, public timed, public std::enable_shared_from_this<lean_session> {
public:
    lean_session(server_core& core, flex_stream&& s, std::size_t frame_slot)
        : push_session(core), s_(std::move(s)), reader_(core.options().max_message + 256),
          slot_(static_cast<std::uint32_t>(frame_slot)),
          ping_ms_(static_cast<std::uint32_t>(core.options().transport.ms(ping_ms).count())) {}

    // The answer goes first in the send queue and everything queued
    // behind it: the client is subscribed before it sees the answer. A
    // new subscriber's `!head N` rides in the same entry (one entry, as a
    // push stream's head and preamble, so --max-queue counts the same).
    void run(std::string_view key, std::optional<std::uint64_t> cursor) {
        auto answer = handshake_answer(key);
        if (!cursor) answer += server_frame(opcode::text, "!head " + std::to_string(core_.messages().head()));
        enqueue(std::make_shared<const std::string>(std::move(answer)));
        begin(cursor);
        if (ping_ms_) arm(core_.timeouts(std::chrono::milliseconds(ping_ms_)));
        if (!closed()) wait_read();
    }

    void shut() override { close(); }

private:
    static constexpr std::size_t read_chunk = 4096;

    std::shared_ptr<const std::string> frame(const message_ptr& m) override {
        return cached_frame(m, slot_, [](const stored_message& sm) { return server_frame(opcode::text, *sm.body); });
    }
    std::shared_ptr<const std::string> frame_control(std::string record) override {
        return std::make_shared<const std::string>(server_frame(opcode::text, record));
    }
    void start_write(const queued_frames& frames) override {
        bool closes = false; // this write carries our Close
        if (close_frame_)
            for (auto b : frames) closes = closes || b.data() == close_frame_;
        asio::async_write(s_, frames, [self = shared_from_this(), closes](beast::error_code ec, std::size_t) {
            self->written(ec);
            if (!ec && closes) self->on_close_sent();
        });
    }
    void close_socket() override {
        disarm();
        beast::error_code ec;
        s_.socket().close(ec);
    }

    // A plain socket is read once it is readable: nothing is held while
    // the client is silent. TLS reads at once (OpenSSL may hold bytes the
    // socket no longer shows, and holds 17 KiB per connection anyway).
    void wait_read() {
        if (s_.is_tls()) return read_tls();
        s_.stamped().async_wait_readable([self = shared_from_this()](beast::error_code ec) {
            if (self->closed()) return;
            if (ec) return self->close();
            self->read_plain();
        });
    }
    // What the socket holds now, a bounded amount per wakeup so that a
    // client flooding us cannot hold the loop.
    void read_plain() {
        char buf[read_chunk];
        for (int i = 0; i < 16 && !closed(); ++i) {
            std::size_t got = 0;
            auto ec = s_.stamped().read_now(asio::buffer(buf), got);
            if (ec == asio::error::would_block) break;
            if (ec) return close(); // EOF or reset: the client is gone
            take(buf, got);
        }
        if (!closed()) wait_read();
    }
    void read_tls() {
        if (!tls_buf_) tls_buf_ = std::make_unique<char[]>(read_chunk);
        s_.async_read_some(asio::buffer(tls_buf_.get(), read_chunk),
                           [self = shared_from_this()](beast::error_code ec, std::size_t got) {
                               if (self->closed()) return;
                               if (ec) return self->close();
                               self->take(self->tls_buf_.get(), got);
                               if (!self->closed()) self->read_tls();
                           });
    }

    // Bytes just read: every whole frame is handled; a frame cut short
    // waits in in_ for the rest, which is freed once it is whole.
    void take(char* p, std::size_t n) {
        if (broken_) return; // after a framing error nothing more is parsed
        bool kept = !in_.empty();
        if (kept) {
            in_.append(p, n);
            p = in_.data(), n = in_.size();
        }
        std::size_t used = handle_frames(p, n);
        if (closed()) return;
        if (kept) in_.erase(0, used);
        else in_.assign(p + used, n - used);
        if (in_.empty()) std::string().swap(in_);
    }

    std::size_t handle_frames(char* p, std::size_t n) {
        std::size_t off = 0;
        while (!closed() && !broken_) {
            frame_reader::event ev;
            std::size_t used = reader_.next(p + off, n - off, ev);
            if (used == 0) break;
            off += used;
            heard_ = true;
            switch (ev.what) {
            case frame_reader::event::error:
                broken_ = true;
                if (!closing_) reject(ev.code);
                break;
            case frame_reader::event::message:
                if (closing_) break; // data after a Close is not taken (5.5.1)
                if (ev.op != opcode::text) reject(close_code::unknown_data);
                else if (!take_record(core_, ev.data)) reject(close_code::policy);
                break;
            case frame_reader::event::ping:
                if (!closing_) enqueue(std::make_shared<const std::string>(server_frame(opcode::pong, ev.data)));
                break;
            case frame_reader::event::close:
                close_received_ = true;
                if (closing_) close(); // the answer to ours: done
                else send_close(ev.code); // theirs first: echo its code (5.5.1)
                break;
            default: // a fragment, a pong: heard_ is all they change
                break;
            }
        }
        return off;
    }

    // A client that broke the protocol or sent a bad record: a Close with a
    // code that says why (RFC 6455 7.4.1).
    void reject(std::uint16_t code) {
        ++core_.counters().bad_requests;
        send_close(code);
    }
    // Our Close goes out after what is queued, and nothing after it. The
    // peer gets 1 s to answer (RFC 6455 5.5.1), not 30: a misbehaving
    // client must not hold a slot.
    void send_close(std::uint16_t code) {
        closing_ = true;
        stop_delivery();
        auto f = std::make_shared<const std::string>(server_frame(opcode::close, code ? close_payload(code) : ""));
        close_frame_ = f->data();
        enqueue(std::move(f));
        if (!closed()) arm(core_.timeouts(std::chrono::seconds(1)));
    }
    void on_close_sent() {
        if (closed()) return;
        if (close_received_) return close(); // ours answered theirs: the server closes first (7.1.1)
        // Ours came first: the peer answers, then closes. Half-closing now
        // lets it see our end while its answer is read (and what it sent
        // meanwhile is drained, so the close is a FIN, not a reset).
        beast::error_code ec;
        s_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }

    // The Close grace, or the keep-alive: a ping after an interval of
    // silence, and the connection dropped after another one with nothing
    // heard (Beast's keep_alive_pings with idle_timeout = 2 intervals).
    void expired() override {
        if (closed()) return;
        if (closing_) return close();
        if (heard_) {
            heard_ = pinged_ = false;
        } else if (!pinged_) {
            pinged_ = true;
            enqueue(ping_frame());
        } else {
            return close();
        }
        if (!closed()) arm(core_.timeouts(std::chrono::milliseconds(ping_ms_)));
    }
    static std::shared_ptr<const std::string> ping_frame() {
        static const auto f = std::make_shared<const std::string>(server_frame(opcode::ping, ""));
        return f;
    }

    flex_stream s_;
    frame_reader reader_;
    std::string in_;                   // a frame cut by a read boundary, until whole
    std::unique_ptr<char[]> tls_buf_;  // TLS reads only
    const void* close_frame_ = nullptr; // our Close in the send queue
    std::uint32_t slot_;
    std::uint32_t ping_ms_;
    bool heard_ = false, pinged_ = false, closing_ = false, close_received_ = false, broken_ = false;
};

// A connection that negotiates permessage-deflate (--ws-deflate): Beast's
// stream, which compresses.
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
        if (!take_record(core_, rec)) return reject(websocket::close_code::policy_error);
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

// Whether the client offers permessage-deflate (RFC 7692).
bool offers_deflate(const request& req) {
    for (const auto& e : http::ext_list{req[http::field::sec_websocket_extensions]})
        if (beast::iequals(e.first, "permessage-deflate")) return true;
    return false;
}

} // namespace

void install(server_core& core) {
    std::size_t slot = core.messages().add_frame_slot();
    core.add_route("/ws", [&core, slot](const std::shared_ptr<http_session>& s, request&& req, const query& q) {
        if (!websocket::is_upgrade(req)) {
            ++core.counters().bad_requests;
            auto res = make_response(req, http::status::upgrade_required, "WebSocket upgrade required\n");
            res.set(http::field::upgrade, "websocket");
            res.keep_alive(false);
            return s->respond(std::move(res));
        }
        if (!valid_key(req[http::field::sec_websocket_key]))
            return s->fail(http::status::bad_request, "bad Sec-WebSocket-Key\n");
        if (req[http::field::sec_websocket_version] != "13") { // RFC 6455 4.4: say which we speak
            ++core.counters().bad_requests;
            auto res = make_response(req, http::status::upgrade_required, "Sec-WebSocket-Version 13 required\n");
            res.set(http::field::sec_websocket_version, "13");
            res.keep_alive(false);
            return s->respond(std::move(res));
        }
        auto sub = read_subscription(s, req, q, {"since"});
        if (!sub) return;
        if (core.options().transport.flag(deflate) && offers_deflate(req)) {
            auto ws = std::make_shared<ws_session>(core, s->release());
            ws->filter = std::move(sub->filter);
            ws->route = "/ws";
            ws->run(std::move(req), sub->cursor);
        } else {
            auto ws = std::make_shared<lean_session>(core, s->release(), slot);
            ws->filter = std::move(sub->filter);
            ws->route = "/ws";
            ws->run(req[http::field::sec_websocket_key], sub->cursor);
        }
    });
}

} // namespace rtb::ws
