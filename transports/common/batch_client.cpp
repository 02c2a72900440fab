#include "transports/common/batch_client.hpp"


namespace rtb {

batch_client::batch_client(asio::io_context& io, const client_config& cfg, client_events& ev,
                           std::string path, std::chrono::milliseconds pause, bool reconnect_each,
                           const browser_request& kind)
    : client_base(io, cfg, ev), path_(std::move(path)), pause_(pause),
      reconnect_each_(reconnect_each), stream_(io), pause_timer_(io), kind_(kind) {
    meter_.watch(stream_);
}

void batch_client::connect() {
    subscribed_ = false;
    open(stream_, beast::bind_front_handler(&batch_client::on_connect, self<batch_client>(), gen_));
}

void batch_client::on_connect(std::uint64_t gen, beast::error_code ec) {
    if (stale(gen)) return;
    if (ec) return lost("connect: " + describe_error(ec));
    do_request();
}

std::string batch_client::target() {
    auto c = cursor();
    return make_target(path_, {c ? "cursor=" + std::to_string(*c) : "", identity_query(cfg_)});
}

void batch_client::do_request() {
    req_ = {http::verb::get, target(), 11};
    add_profile_headers(req_.base(), cfg_, kind_);
    if (reconnect_each_) req_.keep_alive(false);
    http::async_write(stream_, req_, beast::bind_front_handler(&batch_client::on_write,
                                                               self<batch_client>(), gen_));
}

void batch_client::on_write(std::uint64_t gen, beast::error_code ec, std::size_t) {
    if (stale(gen)) return;
    if (ec) return lost("write: " + ec.message());
    parser_.emplace();
    parser_->body_limit(cfg_.max_message * 64);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&batch_client::on_read, self<batch_client>(), gen));
}

void batch_client::on_read(std::uint64_t gen, beast::error_code ec, std::size_t) {
    if (stale(gen)) return;
    std::int64_t kernel_ns = stream_.rx_ns();
    if (ec) return lost("read: " + ec.message());
    auto& res = parser_->get();
    if (res.result() != http::status::ok) return lost("status " + std::to_string(res.result_int()));
    if (!on_answer(res, kernel_ns)) return lost("malformed answer");
    if (stale(gen)) return;
    bool first_answer = !subscribed_;
    if (!subscribed_) {
        subscribed_ = true;
        ready();
        if (stale(gen)) return;
    }
    bool reconnect = reconnect_each_ || !res.keep_alive();
    if (reconnect) meter_.retire(stream_);
    auto next = [self = self<batch_client>(), gen, reconnect](beast::error_code e) {
        if (e || self->stale(gen)) return;
        if (!reconnect) return self->do_request();
        self->buffer_.clear();
        self->open(self->stream_, beast::bind_front_handler(&batch_client::on_connect, self, gen));
    };
    if (pause_.count() == 0) return next({});
    auto pause = pause_;
    if (first_answer) {
        // Clients started together would otherwise poll in lockstep forever;
        // real pollers have random phases. Each client waits a fraction of
        // one interval (fixed by its id, so runs repeat) after subscribing.
        auto frac = static_cast<double>(std::hash<std::string>{}(cfg_.id) % 1000) / 1000.0;
        pause = std::chrono::duration_cast<std::chrono::milliseconds>(pause_ * frac);
    }
    pause_timer_.expires_after(pause);
    pause_timer_.async_wait(std::move(next));
}

bool batch_client::on_answer(const http::response<http::string_body>& res, std::int64_t kernel_ns) {
    std::string_view body = res.body();
    while (!body.empty()) {
        auto nl = body.find('\n');
        emit(body.substr(0, nl), kernel_ns);
        if (nl == std::string_view::npos) break;
        body.remove_prefix(nl + 1);
    }
    // The server's cursor covers messages filtered out for this client too.
    std::uint64_t server_cursor = 0;
    parse_u64(res["Rtb-Cursor"], server_cursor);
    advance_cursor(server_cursor);
    return true;
}

void batch_client::teardown() {
    pause_timer_.cancel();
    meter_.retire(stream_);
    buffer_.clear();
}

} // namespace rtb
