#include "transports/common/client_base.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "harness/clock.hpp"
#include "transports/common/wire.hpp"

namespace rtb {

namespace {
constexpr std::string_view chrome_ua =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36";
constexpr std::string_view chrome_ch_ua = "\"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"";
} // namespace

void add_profile_headers(http::fields& f, const client_config& cfg, const browser_request& kind) {
    // An IPv6 literal goes in brackets (RFC 9110 7.2, RFC 3986 3.2.2).
    std::string host = !cfg.authority.empty() ? cfg.authority
                       : cfg.host.find(':') != std::string::npos ? "[" + cfg.host + "]:" + std::to_string(cfg.port)
                                                                 : cfg.host + ":" + std::to_string(cfg.port);
    f.set(http::field::host, host);
    if (cfg.headers != header_profile::browser) return;
    // What Chrome 131 on Linux sends for a same-origin request from a page at
    // http://host:port/ (captured from DevTools; documented in README.md).
    std::string origin = "http://" + host;
    if (kind.websocket) {
        f.set(http::field::pragma, "no-cache");
        f.set(http::field::cache_control, "no-cache");
        f.set(http::field::user_agent, chrome_ua);
        f.set(http::field::origin, origin);
        f.set(http::field::accept_encoding, "gzip, deflate, br, zstd");
        f.set(http::field::accept_language, "en-US,en;q=0.9");
        return;
    }
    f.set(http::field::connection, "keep-alive");
    if (kind.post) f.set(http::field::content_type, "text/plain;charset=UTF-8");
    f.set("sec-ch-ua-platform", "\"Linux\"");
    f.set(http::field::user_agent, chrome_ua);
    f.set("sec-ch-ua", chrome_ch_ua);
    f.set("sec-ch-ua-mobile", "?0");
    f.set(http::field::accept, kind.accept);
    if (kind.no_cache) f.set(http::field::cache_control, "no-cache");
    if (kind.post) f.set(http::field::origin, origin);
    f.set("Sec-Fetch-Site", "same-origin");
    f.set("Sec-Fetch-Mode", kind.fetch_mode);
    f.set("Sec-Fetch-Dest", kind.fetch_dest);
    f.set(http::field::referer, origin + "/");
    f.set(http::field::accept_encoding, "gzip, deflate, br, zstd");
    f.set(http::field::accept_language, "en-US,en;q=0.9");
}

std::string identity_query(const client_config& cfg) {
    std::string q;
    if (!cfg.id.empty()) q += "id=" + cfg.id;
    if (!cfg.rooms.empty()) {
        if (!q.empty()) q += '&';
        q += "rooms=";
        for (std::size_t i = 0; i < cfg.rooms.size(); ++i) {
            if (i) q += ',';
            q += cfg.rooms[i];
        }
    }
    return q;
}

std::string make_target(std::string_view path, std::initializer_list<std::string_view> parts) {
    std::string t(path);
    char sep = '?';
    for (auto p : parts) {
        if (p.empty()) continue;
        t += sep;
        t += p;
        sep = '&';
    }
    return t;
}

// ---- socket_meter ---------------------------------------------------------------

void socket_meter::forget(flex_stream& s) {
    live_.erase(std::remove(live_.begin(), live_.end(), &s), live_.end());
}

void socket_meter::retire(flex_stream& s) noexcept {
    auto& sock = s.socket();
    if (!sock.is_open()) return;
    closed_ += s.wire();
    beast::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
}

wire_bytes socket_meter::total() const {
    wire_bytes w = closed_;
    for (auto* s : live_) w += s->wire();
    return w;
}

void open_connection(asio::io_context& io, const client_config& cfg, flex_stream& s,
                     const std::shared_ptr<tls_session_slot>& slot,
                     std::function<void(const connection_timing&)> timing,
                     std::function<void(beast::error_code)> done) {
    s.renew(io, cfg.tls.get(), slot);
    std::int64_t t0 = now_ns();
    tcp::endpoint ep{asio::ip::make_address(cfg.host), cfg.port};
    if (!cfg.source.empty()) {
        // Bound to the source address only: IP_BIND_ADDRESS_NO_PORT leaves
        // the port to connect(), which may then reuse one port towards
        // different servers, instead of reserving it at bind().
        beast::error_code ec;
        auto src = asio::ip::make_address(cfg.source, ec);
        auto& sock = s.socket();
        if (!ec) sock.open(src.is_v4() ? tcp::v4() : tcp::v6(), ec);
        int one = 1;
        if (!ec && ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) != 0)
            ec = beast::error_code(errno, boost::system::system_category());
        if (!ec) sock.bind(tcp::endpoint(src, 0), ec);
        if (ec) return asio::post(io, [done = std::move(done), ec] { done(ec); });
    }
    s.socket().async_connect(ep, [&s, t0, timing = std::move(timing), done = std::move(done)](beast::error_code ec) mutable {
        if (ec) return done(ec);
        beast::error_code ignored;
        s.socket().set_option(tcp::no_delay(true), ignored);
        s.stamped().enable_stamps(); // before any byte of the server's arrives
        connection_timing t;
        std::int64_t t1 = now_ns();
        t.tcp_ns = t1 - t0;
        if (!s.is_tls()) {
            timing(t);
            return done({});
        }
        SSL* ssl = s.native_handle(); // kept alive by the handshake until it completes
        s.async_handshake(asio::ssl::stream_base::client, {},
                          [ssl, t, t1, timing = std::move(timing), done = std::move(done)](beast::error_code ec, std::size_t) mutable {
                              if (ec) return done(ec);
                              t.tls = true;
                              t.tls_ns = now_ns() - t1;
                              t.resumed = SSL_session_reused(ssl) == 1;
                              t.tls_version = negotiated_version(ssl);
                              timing(t);
                              done({});
                          });
    });
}

// ---- http_upstream ------------------------------------------------------------

http_upstream::http_upstream(asio::io_context& io, const client_config& cfg,
                             std::function<void(const connection_timing&)> timing)
    : io_(io), cfg_(cfg), timing_(std::move(timing)), stream_(io) {
    meter_.watch(stream_);
}

void http_upstream::send(std::shared_ptr<const std::string> record) {
    if (closed_) return;
    queue_.push_back(std::move(record));
    if (!busy_) do_next();
}

void http_upstream::do_next() {
    if (closed_ || queue_.empty()) {
        busy_ = false;
        return;
    }
    busy_ = true;
    if (!connected_) {
        open_connection(io_, cfg_, stream_, slot_, timing_,
                        beast::bind_front_handler(&http_upstream::on_connect, shared_from_this()));
        return;
    }
    // rtbench's server takes records at /send; an external server
    // (`run --target`) takes its bare messages at its URL.
    req_ = {http::verb::post, cfg_.target.empty() ? "/send" : cfg_.target, 11};
    add_profile_headers(req_.base(), cfg_, fetch_post);
    req_.body() = *queue_.front();
    req_.prepare_payload();
    http::async_write(stream_, req_,
                      beast::bind_front_handler(&http_upstream::on_write, shared_from_this()));
}

void http_upstream::on_connect(beast::error_code ec) {
    if (closed_) return;
    if (ec) {
        // Server unreachable: the record is lost (the harness counts it).
        queue_.pop_front();
        return do_next();
    }
    connected_ = true;
    do_next();
}

void http_upstream::on_write(beast::error_code ec, std::size_t) {
    if (closed_) return;
    if (ec) return reset();
    res_ = {};
    http::async_read(stream_, buffer_, res_,
                     beast::bind_front_handler(&http_upstream::on_read, shared_from_this()));
}

void http_upstream::on_read(beast::error_code ec, std::size_t) {
    if (closed_) return;
    if (ec) return reset();
    if (res_.result_int() / 100 == 2) ++acked_;
    queue_.pop_front();
    if (!res_.keep_alive()) {
        meter_.retire(stream_);
        connected_ = false;
    }
    do_next();
}

void http_upstream::reset() {
    // The in-flight record may or may not have arrived; it is not resent (a
    // resend could duplicate it). The harness counts what never came back.
    queue_.pop_front();
    meter_.retire(stream_);
    buffer_.clear();
    connected_ = false;
    do_next();
}

void http_upstream::close() {
    closed_ = true;
    queue_.clear();
    meter_.retire(stream_);
}

// ---- client_base ----------------------------------------------------------------

client_base::client_base(asio::io_context& io, const client_config& cfg, client_events& ev)
    : io_(io), cfg_(cfg), ev_(ev), retry_(io) {}

// Hands each connection's timing to the harness while this session is open.
std::function<void(const connection_timing&)> client_base::timing_reporter() {
    std::weak_ptr<client_base> weak = shared_from_this();
    return [weak](const connection_timing& t) {
        if (auto self = weak.lock(); self && !self->closed_) self->ev_.on_connected(*self, t);
    };
}

void client_base::open(flex_stream& s, std::function<void(beast::error_code)> done) {
    open_connection(io_, cfg_, s, tls_slot_, timing_reporter(), std::move(done));
}

void client_base::post(post_channel& c, post_done done) {
    c.reused = c.open;
    if (c.open) return post_write(c, std::move(done));
    open(c.stream, [self = shared_from_this(), gen = gen_, &c, done = std::move(done)](beast::error_code ec) mutable {
        if (self->stale(gen)) return;
        if (ec) return self->lost("connect: " + describe_error(ec));
        c.open = true;
        self->post_write(c, std::move(done));
    });
}

void client_base::post_write(post_channel& c, post_done done) {
    http::async_write(c.stream, c.req, [self = shared_from_this(), gen = gen_, &c, done = std::move(done)](
                                           beast::error_code ec, std::size_t) mutable {
        if (self->stale(gen)) return;
        if (ec) return self->post_failed(c, "write", ec, std::move(done));
        c.res = {};
        http::async_read(c.stream, c.buffer, c.res,
                         [self, gen, &c, done = std::move(done)](beast::error_code ec, std::size_t) mutable {
                             if (self->stale(gen)) return;
                             if (ec) return self->post_failed(c, "read", ec, std::move(done));
                             if (!c.res.keep_alive()) self->retire(c);
                             done(c.res);
                         });
    });
}

void client_base::post_failed(post_channel& c, const char* what, beast::error_code ec, post_done done) {
    if (!c.reused) return lost(std::string(what) + ": " + ec.message());
    retire(c);
    post(c, std::move(done));
}

void client_base::retire(post_channel& c) {
    meter_.retire(c.stream);
    c.buffer.clear();
    c.open = false;
}

void client_base::send(std::shared_ptr<const std::string> record) {
    if (closed_) return;
    if (!upstream_) upstream_ = std::make_shared<http_upstream>(io_, cfg_, timing_reporter());
    upstream_->send(std::move(record));
}

void client_base::close() {
    if (closed_) return;
    closed_ = true;
    retry_.cancel();
    teardown();
    if (upstream_) upstream_->close();
}

void client_base::drop() {
    if (closed_) return;
    lost("dropped by request");
}

wire_bytes client_base::wire() const {
    wire_bytes w = meter_.total();
    if (upstream_) w += upstream_->wire();
    return w;
}

void client_base::advance_cursor(std::uint64_t seq) {
    have_cursor_ = true;
    last_seq_ = std::max(last_seq_, seq);
}

void client_base::emit(std::string_view record, std::int64_t kernel_ns) {
    if (closed_) return;
    std::string_view f = record;
    if (f.substr(0, 6) == "!head ") f.remove_prefix(6);
    if (!f.empty() && f.front() != '!') {
        std::uint64_t seq = 0;
        if (parse_u64(f.substr(0, f.find(' ')), seq)) advance_cursor(seq);
    }
    ev_.on_message(*this, record, receive_times{kernel_ns, now_ns()});
}

void client_base::ready() {
    if (!closed_) ev_.on_ready(*this);
}

void client_base::lost(std::string_view why) {
    if (closed_) return;
    ++gen_;
    teardown();
    ev_.on_closed(*this, why);
    retry_.expires_after(cfg_.reconnect_delay);
    retry_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec && !self->closed_) self->connect();
    });
}

} // namespace rtb
