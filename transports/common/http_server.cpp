// The listener, the HTTP sessions and the router of the server core, and
// the routes that belong to the core itself (/send, /stats).
#include "transports/common/http_server.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/clock.hpp"
#include "transports/common/shard_group.hpp"

namespace rtb {

namespace {
// ?id=<name>&rooms=<name>,<name>. False when a name is invalid.
bool read_filter(const query& q, subscription_filter& f) {
    if (auto* id = q.get("id")) {
        if (!valid_name(*id)) return false;
        f.id = *id;
    }
    if (auto* rooms = q.get("rooms")) {
        std::string_view r = *rooms;
        while (!r.empty()) {
            auto c = r.find(',');
            auto name = r.substr(0, c);
            if (!valid_name(name)) return false;
            f.rooms.emplace_back(name);
            r = c == std::string_view::npos ? std::string_view{} : r.substr(c + 1);
        }
    }
    return true;
}
} // namespace

std::optional<subscription> read_subscription(const std::shared_ptr<http_session>& s,
                                              const request& req, const query& q,
                                              cursor_source from) {
    if (req.method() != http::verb::get) {
        s->fail(http::status::method_not_allowed, "GET only\n");
        return std::nullopt;
    }
    subscription sub;
    if (!read_filter(q, sub.filter)) {
        s->fail(http::status::bad_request, "bad id or rooms\n");
        return std::nullopt;
    }
    std::string_view text;
    bool present = false;
    if (!from.header.empty()) {
        if (auto it = req.find(from.header); it != req.end()) text = it->value(), present = true;
    }
    if (!present && !from.param.empty()) {
        if (auto* v = q.get(from.param)) text = *v, present = true;
    }
    if (!present) return sub;
    std::uint64_t n = 0;
    if (!parse_u64(text, n)) {
        s->fail(http::status::bad_request,
                fmt::format("bad {}\n", from.header.empty() || !req.count(from.header) ? from.param : from.header));
        return std::nullopt;
    }
    sub.cursor = n;
    return sub;
}

response make_response(const request& req, http::status status, std::string body,
                       std::string_view content_type) {
    return make_response(req.version(), req.keep_alive(), status, std::move(body), content_type);
}

response make_response(unsigned version, bool keep_alive, http::status status, std::string body,
                       std::string_view content_type) {
    response res{status, version};
    if (!body.empty() || status == http::status::ok)
        res.set(http::field::content_type, content_type);
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    // RFC 9110 8.6: no Content-Length in a 204 (prepare_payload would add 0).
    if (status != http::status::no_content) res.prepare_payload();
    return res;
}

// ---- connection -------------------------------------------------------------

connection::connection(server_core& core, bool socket) : core_(core), socket_(socket) {
    core_.conns_.insert(this);
    if (socket_) core_.count_socket(+1);
}

connection::~connection() {
    core_.conns_.erase(this);
    if (socket_) core_.count_socket(-1);
}

// ---- http_session -----------------------------------------------------------

http_session::http_session(server_core& core, tcp::socket&& sock, bool control_only)
    : connection(core), stream_(std::move(sock)), control_only_(control_only) {}

void http_session::run() {
    if (core_.options().tls && !control_only_) return tls_accept();
    do_read();
}

// TLS: the first bytes tell a TLS ClientHello (a handshake record, type 22)
// from a plain HTTP request sent to the TLS port by mistake, which gets a
// 400 in plain text, as nginx answers it, instead of a failed handshake the
// client cannot read. The handshake must finish within the header timeout.
void http_session::tls_accept() {
    arm(core_.timeouts(core_.options().header_timeout));
    stream_.async_read_some(buffer_.prepare(512),
                            beast::bind_front_handler(&http_session::on_tls_first_bytes, shared_from_this()));
}

void http_session::on_tls_first_bytes(beast::error_code ec, std::size_t n) {
    if (ec) return do_close();
    buffer_.commit(n);
    auto first = static_cast<const unsigned char*>(buffer_.data().data())[0];
    if (first != 0x16) {
        buffer_.clear();
        return fail(http::status::bad_request, "plain HTTP request sent to the TLS port: use https:// or wss://\n");
    }
    stream_.start_tls(*core_.options().tls);
    stream_.async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                            beast::bind_front_handler(&http_session::on_tls_handshake, shared_from_this()));
}

void http_session::on_tls_handshake(beast::error_code ec, std::size_t) {
    // A TLS 1.2/1.3 client sends nothing after its ClientHello before the
    // server answers: what was read first is all handshake.
    buffer_.clear();
    if (ec) {
        ++core_.counters().tls_failed;
        return do_close();
    }
    ++core_.counters().tls_handshakes;
    if (SSL_session_reused(stream_.native_handle()) == 1) ++core_.counters().tls_resumed;
    do_read();
}

// Between requests a keep-alive connection may idle for --idle-timeout-ms;
// once the first byte of a request has come, its whole header must follow
// within --header-timeout-ms, so a client trickling a header (slowloris)
// holds its slot for seconds, not a minute. The body then gets the idle
// timeout again.
//
// An idle plain connection only waits for its socket to become readable:
// no buffer, no parser (server memory per idle connection). TLS must read
// a record to see a request, so it reads into 512 bytes, as Beast's own
// first read of an empty buffer (the header read grows it when needed).
void http_session::do_read() {
    parser_.reset();
    if (buffer_.size() > 0) return read_header(); // a pipelined request is already here
    arm(core_.timeouts(core_.options().idle_timeout));
    if (stream_.is_tls())
        return stream_.async_read_some(buffer_.prepare(512),
                                       beast::bind_front_handler(&http_session::on_first_bytes, shared_from_this()));
    buffer_.shrink_to_fit();
    stream_.stamped().async_wait_readable(beast::bind_front_handler(&http_session::on_readable, shared_from_this()));
}

void http_session::on_readable(beast::error_code ec) {
    if (ec) return do_close();
    std::size_t n = 0;
    ec = stream_.stamped().read_now(buffer_.prepare(512), n);
    if (ec == asio::error::would_block) // woken for nothing: wait on, same deadline
        return stream_.stamped().async_wait_readable(beast::bind_front_handler(&http_session::on_readable, shared_from_this()));
    on_first_bytes(ec, n);
}

void http_session::on_first_bytes(beast::error_code ec, std::size_t n) {
    if (ec) return do_close();
    buffer_.commit(n);
    read_header();
}

void http_session::read_header() {
    if (!parser_) {
        parser_ = std::make_unique<http::request_parser<http::string_body>>();
        parser_->header_limit(static_cast<std::uint32_t>(core_.options().max_header));
        // An upstream record is at most max_message plus its "to" and tag fields.
        parser_->body_limit(core_.options().max_message + 256);
    }
    arm(core_.timeouts(core_.options().header_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&http_session::on_header, shared_from_this()));
}

void http_session::on_header(beast::error_code ec, std::size_t n) {
    if (ec || parser_->is_done()) return on_read(ec, n);
    arm(core_.timeouts(core_.options().idle_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
    // A timeout closes the socket (expired()): the read ends aborted.
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == asio::error::bad_descriptor || ec == asio::error::connection_reset ||
        ec == asio::error::eof)
        return do_close();
    if (ec == http::error::header_limit)
        return fail(http::status::request_header_fields_too_large, "request header too large\n");
    if (ec == http::error::body_limit)
        return fail(http::status::payload_too_large, "request body too large\n");
    if (ec) return fail(http::status::bad_request, "malformed request\n");
    ++core_.counters().requests;
    disarm();
    auto req = parser_->release();
    parser_.reset();
    // A request's buffer is dropped with it unless the next one is here.
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
    core_.route(shared_from_this(), std::move(req));
}

void http_session::respond(response&& res) {
    if (released_) return;
    bool close = res.need_eof();
    res_ = std::make_unique<response>(std::move(res));
    arm(core_.timeouts(core_.options().idle_timeout));
    http::async_write(stream_, *res_,
                      beast::bind_front_handler(&http_session::on_write, shared_from_this(), close));
}

void http_session::fail(http::status status, std::string_view why) {
    ++core_.counters().bad_requests;
    response res{status, 11};
    res.set(http::field::content_type, "text/plain");
    res.keep_alive(false);
    res.body() = std::string(why);
    res.prepare_payload();
    respond(std::move(res));
}

void http_session::on_write(bool close, beast::error_code ec, std::size_t) {
    res_.reset();
    if (ec || close) return do_close();
    do_read();
}

void http_session::do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
}

flex_stream http_session::release() {
    released_ = true;
    disarm();
    return std::move(stream_);
}

void http_session::shut() {
    beast::error_code ec;
    if (!released_) stream_.socket().close(ec);
}

// A client that half-closes its side during a hold reads as gone (EOF):
// HTTP/1.1 clients do not do that while waiting for an answer.
void http_session::watch_for_close(std::function<void()> on_close) {
    watching_ = true;
    if (stream_.is_tls()) {
        // TLS cannot peek without reading a record: read into the request
        // buffer (early bytes are kept for the next request, as below).
        return stream_.async_read_some(
            buffer_.prepare(512), [self = shared_from_this(), f = std::move(on_close)](beast::error_code ec, std::size_t n) mutable {
                if (!self->watching_ || ec == asio::error::operation_aborted || self->released_) return;
                if (ec) return f();
                self->buffer_.commit(n);
                auto& o = self->core_.options();
                if (self->buffer_.size() > o.max_header + o.max_message + 256) return f();
                self->watch_for_close(std::move(f));
            });
    }
    stream_.stamped().async_wait_readable([self = shared_from_this(), f = std::move(on_close)](beast::error_code ec) mutable {
        // Stopped: the answer may already be on its way (a wakeup posted
        // before stop_watching() is not cancelled by it).
        if (!self->watching_ || ec == asio::error::operation_aborted || self->released_) return;
        if (ec) return f();
        // Readable: the client closed (EOF, reset) or sent its next
        // request early. Early bytes are kept for the next read; then keep
        // watching.
        std::size_t n = 0;
        auto rec = self->stream_.stamped().read_now(self->buffer_.prepare(512), n);
        if (rec && rec != asio::error::would_block) return f();
        self->buffer_.commit(n);
        auto& o = self->core_.options();
        if (self->buffer_.size() > o.max_header + o.max_message + 256) return f(); // not a request: a flood
        self->watch_for_close(std::move(f));
    });
}

void http_session::stop_watching() {
    watching_ = false;
    beast::error_code ec;
    stream_.socket().cancel(ec); // nothing else is pending while a request is held
}

// ---- server_core -------------------------------------------------------------

server_core::server_core(asio::io_context& io, server_options opt,
                         std::span<const transport_descriptor* const> transports)
    : io_(io), opt_(std::move(opt)), transports_(transports.begin(), transports.end()),
      hub_(opt_.history, opt_.history_bytes), acceptor_(io), control_acceptor_(io),
      pub_(io, [this](const target& to, std::string_view tag, std::string_view payload) {
          publish(to, tag, payload);
      }) {
    install_core_routes();
    install_page_routes(*this);
    if (opt_.control) install_control_routes(*this);
    for (auto* t : transports_) t->install(*this);
}

server_core::~server_core() = default;

timeout_list& server_core::timeouts(std::chrono::nanoseconds length) {
    for (auto& l : timeouts_)
        if (l->length() == length) return *l;
    timeouts_.push_back(std::make_unique<timeout_list>(io_, length));
    if (stopped_) timeouts_.back()->stop();
    return *timeouts_.back();
}

void server_core::add_route(std::string_view pattern, route_handler h) {
    routes_.add(pattern, std::move(h));
}

void server_core::start() {
    // Loops after the first listen on the first one's port.
    std::uint16_t port = group_ && shard_ > 0 ? group_->port() : opt_.port;
    tcp::endpoint ep{asio::ip::make_address(opt_.bind), port};
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    // Several loops: one listening socket each on the same port, and the
    // kernel hands each new connection to one of them (by a hash of its
    // addresses), so no loop accepts for another. Only sockets of this
    // user may join the port.
    if (group_) acceptor_.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    do_accept(acceptor_, false);
    if (opt_.tls && opt_.control && shard_ == 0) {
        // Loopback whatever --bind says: only the harness on this machine
        // calls it, and the token is still required.
        tcp::endpoint cep{asio::ip::make_address("127.0.0.1"), 0};
        control_acceptor_.open(cep.protocol());
        control_acceptor_.bind(cep);
        control_acceptor_.listen();
        control_port_ = control_acceptor_.local_endpoint().port();
        do_accept(control_acceptor_, true);
    }
}

void server_core::do_accept(tcp::acceptor& acc, bool control) {
    acc.async_accept(beast::bind_front_handler(&server_core::on_accept, this, std::ref(acc), control));
}

void server_core::on_accept(tcp::acceptor& acc, bool control, beast::error_code ec, tcp::socket sock) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
        // Out of file descriptors (or similar): back off instead of spinning.
        ++stats_.refused;
        // A timer per wait: the two listeners may back off at once.
        auto t = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
        t->async_wait([this, t, &acc, control](beast::error_code e) {
            if (!e && !stopped_) do_accept(acc, control);
        });
        return;
    }
    ++stats_.accepted;
    if (!admit()) {
        ++stats_.refused;
        beast::error_code ignored;
        sock.close(ignored);
    } else {
        sock.set_option(tcp::no_delay(true), ec);
        std::make_shared<http_session>(*this, std::move(sock), control)->run();
    }
    do_accept(acc, control);
}

void server_core::route(const std::shared_ptr<http_session>& s, request&& req) {
    auto q = parse_query(req.target());
    if (!q) return s->fail(http::status::bad_request, "bad request target\n");
    if (s->control_only() && q->path != "/stats" && q->path.rfind("/control/", 0) != 0)
        return s->fail(http::status::not_found, "the control port serves /control/* and /stats only\n");
    auto* h = routes_.match(q->path, q->route_params);
    if (!h) return s->fail(http::status::not_found, "unknown path\n");
    (*h)(s, std::move(req), *q);
}

std::uint64_t server_core::publish(const target& to, std::string_view tag,
                                   std::string_view payload) {
    ++stats_.published;
    if (group_) return group_->publish(to, tag, payload, opt_.test_drop_every);
    return hub_.publish(to, tag, payload, now_ns(), !dropped_by_test(hub_.head() + 1, opt_.test_drop_every))->seq;
}

void server_core::start_publisher(double rate_hz, std::size_t payload, const target& to, std::uint64_t count,
                                  payload_kind kind) {
    start_publisher(rate_hz, payload, to, count, kind, 0);
}

void server_core::start_publisher(double rate_hz, std::size_t payload, const target& to, std::uint64_t count,
                                  payload_kind kind, std::int64_t t0_ns) {
    pub_.start(rate_hz, payload, to, count, (group_ ? group_->head() : hub_.head()) + 1, kind, t0_ns);
}

void server_core::stop() {
    if (stopped_) return;
    stopped_ = true;
    beast::error_code ec;
    acceptor_.close(ec);
    control_acceptor_.close(ec);
    pub_.stop();
    for (auto& l : timeouts_) l->stop();
    // shut() may destroy a connection (and erase it from conns_): copy first.
    std::vector<connection*> all(conns_.begin(), conns_.end());
    for (auto* c : all)
        if (conns_.count(c)) c->shut();
}

std::size_t server_core::drop(std::string_view route) {
    std::vector<connection*> hit;
    for (auto* c : conns_)
        if (c->route == route) hit.push_back(c);
    for (auto* c : hit)
        if (conns_.count(c)) c->shut();
    return hit.size();
}

server_stats& server_stats::operator+=(const server_stats& o) {
    accepted += o.accepted, refused += o.refused, active += o.active, requests += o.requests;
    bad_requests += o.bad_requests, slow_consumers += o.slow_consumers;
    published += o.published, upstream += o.upstream, frames_sent += o.frames_sent, writes += o.writes;
    subscribers += o.subscribers;
    tls_handshakes += o.tls_handshakes, tls_resumed += o.tls_resumed, tls_failed += o.tls_failed;
    return *this;
}

server_stats server_core::stats() const {
    server_stats s = stats_;
    s.active = sockets_;
    s.subscribers = hub_.subscribers();
    return s;
}

stats_view server_core::view() const {
    auto s = stats();
    return {s, hub_.head(), hub_.history_size(), hub_.history_bytes(), pub_.status(), {s.active}};
}

std::string server_core::stats_json() const { return format_stats_json(view()); }

std::string format_stats_json(const stats_view& v) {
    auto& s = v.s;
    auto& p = v.pub;
    return fmt::format(
        "{{\"accepted\":{},\"refused\":{},\"active\":{},\"requests\":{},\"bad_requests\":{},"
        "\"slow_consumers\":{},\"published\":{},\"upstream\":{},\"frames_sent\":{},\"writes\":{},"
        "\"subscribers\":{},\"head_seq\":{},\"history_messages\":{},\"history_bytes\":{},"
        "\"pub_running\":{},\"pub_rate_hz\":{},\"pub_t0_ns\":{},\"pub_first_seq\":{},"
        "\"pub_count\":{},\"pub_max_behind_ns\":{},\"tls_handshakes\":{},\"tls_resumed\":{},\"tls_failed\":{},"
        "\"loop_active\":[{}]}}\n",
        s.accepted, s.refused, s.active, s.requests, s.bad_requests, s.slow_consumers,
        s.published, s.upstream, s.frames_sent, s.writes, s.subscribers, v.head, v.history_messages,
        v.history_bytes, p.running ? 1 : 0, p.schedule.rate_hz, p.schedule.t0_ns,
        p.first_seq, p.published, p.max_behind_ns, s.tls_handshakes, s.tls_resumed, s.tls_failed,
        fmt::join(v.loop_active, ","));
}

void server_core::with_stats_json(std::function<void(std::string)> then) {
    if (!group_) return then(stats_json());
    // Counters summed over the loops; the history is the same log on each
    // (the first's is shown), the head the sequencer's last number, and
    // the publisher the first loop's (the only one that runs one).
    group_->gather<stats_view>(*this, [](server_core& c) { return c.view(); },
                               [this, then = std::move(then)](std::vector<stats_view> all) {
                                   stats_view v = all[0];
                                   for (std::size_t i = 1; i < all.size(); ++i) {
                                       v.s += all[i].s;
                                       v.loop_active.push_back(all[i].s.active);
                                   }
                                   v.head = group_->head();
                                   then(format_stats_json(v));
                               });
}

void server_core::on_publisher_loop(std::function<void(server_core&)> fn, std::function<void()> then) {
    if (!group_) return fn(*this), then();
    group_->on_first(*this, std::move(fn), std::move(then));
}

void server_core::drop_everywhere(std::string route, std::function<void(std::size_t)> then) {
    if (!group_) return then(drop(route));
    group_->gather<std::size_t>(*this, [route](server_core& c) { return c.drop(route); },
                                [then = std::move(then)](std::vector<std::size_t> n) {
                                    std::size_t sum = 0;
                                    for (auto k : n) sum += k;
                                    then(sum);
                                });
}

void server_core::count_socket(int delta) {
    sockets_ += static_cast<std::size_t>(delta); // wraps back on -1
    if (!group_) return;
    if (delta > 0 && admitted_) admitted_ = false; // admit() counted it
    else group_->sockets += static_cast<std::size_t>(delta);
}

bool server_core::admit() {
    if (!group_) return sockets_ < opt_.max_connections;
    // Loops accept at once: reading the count and adding to it later would
    // let two loops each take the last slot. The slot is taken here, in one
    // step, and the session about to be made does not count it again.
    if (group_->sockets.fetch_add(1) >= opt_.max_connections) {
        group_->sockets.fetch_sub(1);
        return false;
    }
    admitted_ = true;
    return true;
}

void server_core::install_core_routes() {
    // Client -> server messages, for every HTTP transport: POST /send with an
    // upstream record (message.hpp) as the body; 204 once published.
    add_route("/send", [this](const std::shared_ptr<http_session>& s, request&& req, const query&) {
        if (req.method() != http::verb::post)
            return s->fail(http::status::method_not_allowed, "POST only\n");
        auto up = parse_upstream(req.body());
        auto to = up ? parse_target(up->to) : std::nullopt;
        if (!to) return s->fail(http::status::bad_request, "bad upstream record\n");
        if (up->payload.size() > opt_.max_message)
            return s->fail(http::status::payload_too_large, "message too large\n");
        ++stats_.upstream;
        publish(*to, up->tag, up->payload);
        s->respond(make_response(req, http::status::no_content, {}));
    });
    add_route("/stats", [this](const std::shared_ptr<http_session>& s, request&& req, const query&) {
        with_stats_json([s, version = req.version(), keep = req.keep_alive()](std::string json) {
            s->respond(make_response(version, keep, http::status::ok, std::move(json), "application/json"));
        });
    });
}

std::unique_ptr<server> make_server(asio::io_context& io, const server_options& opt,
                                    std::span<const transport_descriptor* const> transports) {
    return std::make_unique<server_core>(io, opt, transports);
}

} // namespace rtb
