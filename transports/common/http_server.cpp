#include "transports/common/http_server.hpp"

#include <cmath>

#include <fmt/format.h>

#include "harness/clock.hpp"

namespace rtb {

extern const char page_html[]; // page_html.cpp, generated from page.html

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::chrono::steady_clock::time_point to_time_point(std::int64_t ns) {
    // steady_clock is CLOCK_MONOTONIC on Linux, the clock now_ns() reads.
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}
} // namespace

const std::string* query::get(std::string_view key) const {
    for (auto& [k, v] : params)
        if (k == key) return &v;
    return nullptr;
}

std::optional<query> parse_query(std::string_view t) {
    query q;
    auto qm = t.find('?');
    auto path = percent_decode(t.substr(0, qm));
    if (!path || path->empty() || path->front() != '/') return std::nullopt;
    q.path = std::move(*path);
    if (qm == std::string_view::npos) return q;
    std::string_view rest = t.substr(qm + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        auto k = percent_decode(pair.substr(0, eq));
        auto v = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!k || !v) return std::nullopt;
        q.params.emplace_back(std::move(*k), std::move(*v));
    }
    return q;
}

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

response make_response(const request& req, http::status status, std::string body,
                       std::string_view content_type) {
    response res{status, req.version()};
    if (!body.empty() || status == http::status::ok)
        res.set(http::field::content_type, content_type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    // RFC 9110 8.6: no Content-Length in a 204 (prepare_payload would add 0).
    if (status != http::status::no_content) res.prepare_payload();
    return res;
}

// ---- connection -------------------------------------------------------------

connection::connection(server_core& core) : core_(core) {
    core_.conns_.insert(this);
    core_.stats_.active = core_.conns_.size();
}

connection::~connection() {
    core_.conns_.erase(this);
    core_.stats_.active = core_.conns_.size();
}

// ---- http_session -----------------------------------------------------------

http_session::http_session(server_core& core, tcp::socket&& sock)
    : connection(core), stream_(std::move(sock)) {}

void http_session::run() { do_read(); }

void http_session::do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_.options().max_header));
    // An upstream record is at most max_message plus its "to" and tag fields.
    parser_->body_limit(core_.options().max_message + 256);
    stream_.expires_after(core_.options().idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof)
        return do_close();
    if (ec == http::error::header_limit)
        return fail(http::status::request_header_fields_too_large, "request header too large\n");
    if (ec == http::error::body_limit)
        return fail(http::status::payload_too_large, "request body too large\n");
    if (ec) return fail(http::status::bad_request, "malformed request\n");
    ++core_.counters().requests;
    stream_.expires_never();
    core_.route(shared_from_this(), parser_->release());
}

void http_session::respond(response&& res) {
    if (released_) return;
    bool close = res.need_eof();
    res_.emplace(std::move(res));
    stream_.expires_after(core_.options().idle_timeout);
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

beast::tcp_stream http_session::release() {
    released_ = true;
    stream_.expires_never();
    return std::move(stream_);
}

void http_session::shut() {
    beast::error_code ec;
    if (!released_) stream_.socket().close(ec);
}

// ---- server_core -------------------------------------------------------------

server_core::server_core(asio::io_context& io, server_options opt)
    : io_(io), opt_(std::move(opt)), hub_(opt_.history), acceptor_(io), accept_retry_(io),
      pub_timer_(io) {
    install_common_routes();
}

server_core::~server_core() = default;

void server_core::add_route(std::string path, route_handler h) {
    routes_[std::move(path)] = std::move(h);
}

void server_core::start() {
    tcp::endpoint ep{asio::ip::make_address(opt_.bind), opt_.port};
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    do_accept();
}

void server_core::do_accept() {
    acceptor_.async_accept(beast::bind_front_handler(&server_core::on_accept, this));
}

void server_core::on_accept(beast::error_code ec, tcp::socket sock) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (ec) {
        // Out of file descriptors (or similar): back off instead of spinning.
        ++stats_.refused;
        accept_retry_.expires_after(std::chrono::milliseconds(50));
        accept_retry_.async_wait([this](beast::error_code e) {
            if (!e) do_accept();
        });
        return;
    }
    ++stats_.accepted;
    if (conns_.size() >= opt_.max_connections) {
        ++stats_.refused;
        beast::error_code ignored;
        sock.close(ignored);
    } else {
        sock.set_option(tcp::no_delay(true), ec);
        std::make_shared<http_session>(*this, std::move(sock))->run();
    }
    do_accept();
}

void server_core::route(const std::shared_ptr<http_session>& s, request&& req) {
    auto q = parse_query(req.target());
    if (!q) return s->fail(http::status::bad_request, "bad request target\n");
    auto it = routes_.find(q->path);
    if (it == routes_.end()) return s->fail(http::status::not_found, "unknown path\n");
    it->second(s, std::move(req), *q);
}

std::uint64_t server_core::publish(const target& to, std::string_view tag,
                                   std::string_view payload) {
    ++stats_.published;
    // Test hook (--test-drop-every N): every Nth message is kept in the
    // history but not delivered live, so the harness's loss detection can
    // be shown to catch a server that loses messages.
    bool deliver = !(opt_.test_drop_every && (hub_.head() + 1) % opt_.test_drop_every == 0);
    return hub_.publish(to, tag, payload, now_ns(), deliver)->seq;
}

void server_core::stop() {
    if (stopped_) return;
    stopped_ = true;
    beast::error_code ec;
    acceptor_.close(ec);
    accept_retry_.cancel();
    stop_publisher();
    // shut() may destroy a connection (and erase it from conns_): copy first.
    std::vector<connection*> all(conns_.begin(), conns_.end());
    for (auto* c : all)
        if (conns_.count(c)) c->shut();
}

server_stats server_core::stats() const {
    server_stats s = stats_;
    s.active = conns_.size();
    s.subscribers = hub_.subscribers();
    return s;
}

std::string server_core::stats_json() const {
    auto s = stats();
    return fmt::format(
        "{{\"accepted\":{},\"refused\":{},\"active\":{},\"requests\":{},\"bad_requests\":{},"
        "\"slow_consumers\":{},\"published\":{},\"upstream\":{},\"frames_sent\":{},"
        "\"subscribers\":{},\"head_seq\":{},\"pub_running\":{},\"pub_rate_hz\":{},"
        "\"pub_t0_ns\":{},\"pub_first_seq\":{},\"pub_count\":{}}}\n",
        s.accepted, s.refused, s.active, s.requests, s.bad_requests, s.slow_consumers,
        s.published, s.upstream, s.frames_sent, s.subscribers, hub_.head(),
        pub_.running ? 1 : 0, pub_.rate_hz, pub_.t0_ns, pub_.first_seq,
        pub_.published);
}

void server_core::install_common_routes() {
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
        s->respond(make_response(req, http::status::ok, stats_json(), "application/json"));
    });
    // The live page (every transport from the browser's own APIs) and the
    // server's CLOCK_MONOTONIC, which the page reads to estimate latency.
    add_route("/", [](const std::shared_ptr<http_session>& s, request&& req, const query&) {
        if (req.method() != http::verb::get) return s->fail(http::status::method_not_allowed, "GET only\n");
        auto res = make_response(req, http::status::ok, page_html, "text/html; charset=utf-8");
        res.set(http::field::cache_control, "no-store");
        s->respond(std::move(res));
    });
    add_route("/clock", [](const std::shared_ptr<http_session>& s, request&& req, const query&) {
        auto res = make_response(req, http::status::ok, std::to_string(now_ns()));
        res.set(http::field::cache_control, "no-store");
        s->respond(std::move(res));
    });
    if (!opt_.control) return;
    // Harness remote control. /control/publish?rate=HZ&payload=BYTES[&to=T][&count=N]
    add_route("/control/publish",
              [this](const std::shared_ptr<http_session>& s, request&& req, const query& q) {
                  double rate = 0;
                  std::uint64_t payload = 0, count = 0;
                  auto* r = q.get("rate");
                  auto* p = q.get("payload");
                  try {
                      rate = r ? std::stod(*r) : 0;
                  } catch (...) {
                      rate = 0;
                  }
                  if (req.method() != http::verb::post || !(rate > 0 && rate <= 1e7) || !p ||
                      !parse_u64(*p, payload) || payload > opt_.max_message)
                      return s->fail(http::status::bad_request, "bad publish control\n");
                  if (auto* c = q.get("count"); c && !parse_u64(*c, count))
                      return s->fail(http::status::bad_request, "bad count\n");
                  auto to = parse_target(q.get("to") ? *q.get("to") : std::string("all"));
                  if (!to) return s->fail(http::status::bad_request, "bad target\n");
                  start_publisher(rate, payload, *to, count);
                  s->respond(make_response(req, http::status::ok, stats_json(), "application/json"));
              });
    // Server-side disconnect of every connection on one route (tests resume).
    add_route("/control/drop",
              [this](const std::shared_ptr<http_session>& s, request&& req, const query& q) {
                  auto* path = q.get("path");
                  if (req.method() != http::verb::post || !path)
                      return s->fail(http::status::bad_request, "POST /control/drop?path=/route\n");
                  auto n = drop(*path);
                  s->respond(make_response(req, http::status::ok, std::to_string(n) + "\n"));
              });
    add_route("/control/stop",
              [this](const std::shared_ptr<http_session>& s, request&& req, const query&) {
                  stop_publisher();
                  s->respond(make_response(req, http::status::ok, stats_json(), "application/json"));
              });
}

// A constant-rate schedule: message i is due at t0 + i/rate. When the timer
// fires late, every message already due goes out at once, each stamped with
// its own scheduled time, so latency measured from the scheduled time counts
// the server's own lateness too (no coordinated omission on the server side).
void server_core::start_publisher(double rate_hz, std::size_t payload, const target& to,
                                  std::uint64_t count) {
    stop_publisher();
    pub_ = publisher_state{};
    pub_.running = true;
    pub_.rate_hz = rate_hz;
    pub_.t0_ns = now_ns() + 1'000'000; // first message 1 ms from now
    pub_.first_seq = hub_.head() + 1;
    pub_.count = count;
    pub_.payload = make_payload(payload);
    pub_.to = to;
    pub_timer_.expires_at(to_time_point(pub_.t0_ns));
    pub_timer_.async_wait(beast::bind_front_handler(&server_core::on_publish_timer, this));
}

void server_core::stop_publisher() {
    pub_.running = false;
    pub_timer_.cancel();
}

void server_core::on_publish_timer(beast::error_code ec) {
    if (ec || !pub_.running) return;
    auto due = [this](std::uint64_t i) {
        return pub_.t0_ns + std::llround(static_cast<double>(i) * 1e9 / pub_.rate_hz);
    };
    std::int64_t now = now_ns();
    while (pub_.running && due(pub_.published) <= now) {
        if (pub_.count && pub_.published >= pub_.count) break;
        publish(pub_.to, "s" + std::to_string(due(pub_.published)), pub_.payload);
        ++pub_.published;
        now = now_ns();
    }
    if (pub_.count && pub_.published >= pub_.count) {
        pub_.running = false;
        return;
    }
    pub_timer_.expires_at(to_time_point(due(pub_.published)));
    pub_timer_.async_wait(beast::bind_front_handler(&server_core::on_publish_timer, this));
}

std::size_t server_core::drop(std::string_view route) {
    std::vector<connection*> hit;
    for (auto* c : conns_)
        if (c->route == route) hit.push_back(c);
    for (auto* c : hit)
        if (conns_.count(c)) c->shut();
    return hit.size();
}

std::unique_ptr<server> make_server(asio::io_context& io, const server_options& opt,
                                    std::span<const transport_descriptor* const> transports) {
    auto core = std::make_unique<server_core>(io, opt);
    for (auto* t : transports) t->install(*core);
    return core;
}

} // namespace rtb
