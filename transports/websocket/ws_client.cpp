// WebSocket client side.
#include "transports/websocket/ws_common.hpp"

#include <fmt/format.h>

namespace rtb::ws {
namespace {

class ws_client final : public client_base {
public:
    ws_client(asio::io_context& io, const client_config& cfg, client_events& ev)
        : client_base(io, cfg, ev), deflate_(cfg.transport.flag(deflate)) {}

    void send(std::shared_ptr<const std::string> record) override {
        if (closed()) return;
        out_.push_back(std::move(record));
        if (open_ && !writing_) do_write();
    }
    std::uint64_t sent() const override { return sent_; }
    // A message being read: the payload received so far.
    std::uint64_t pending_bytes() const override { return buffer_.size(); }

protected:
    void connect() override {
        // Chrome offers permessage-deflate; with --ws-deflate Beast writes
        // its own offer instead. Not to an external server: it may accept,
        // and this client does not inflate unless asked to.
        ws_ = make_client_stream(io_, cfg_, cfg_.max_message + 256, !deflate_ && cfg_.target.empty());
        websocket::permessage_deflate pmd;
        pmd.client_enable = deflate_;
        ws_->set_option(pmd);
        meter_.watch(ws_->next_layer());
        open(ws_->next_layer(), beast::bind_front_handler(&ws_client::on_connect, self<ws_client>(), gen_, ws_));
    }

    void teardown() override {
        open_ = writing_ = false;
        if (!ws_) return;
        meter_.retire(ws_->next_layer());
        meter_.forget(ws_->next_layer());
        ws_.reset(); // pending handlers hold their own reference to the old stream
        buffer_.clear();
    }

private:
    using ws_ptr = std::shared_ptr<ws_stream>;

    void on_connect(std::uint64_t gen, ws_ptr ws, beast::error_code ec) {
        if (stale(gen)) return;
        if (ec) return lost("connect: " + describe_error(ec));
        auto c = cursor();
        auto target = !cfg_.target.empty()
                          ? cfg_.target
                          : make_target("/ws", {c ? "since=" + std::to_string(*c) : "", identity_query(cfg_)});
        // The answer is kept so that a refused upgrade says what the server
        // answered instead (an external target's 404, a 200 of a server
        // that is not a WebSocket one).
        auto res = std::make_shared<websocket::response_type>();
        ws->async_handshake(*res, cfg_.host + ":" + std::to_string(cfg_.port), target,
                            beast::bind_front_handler(&ws_client::on_handshake, self<ws_client>(), gen, ws, res));
    }

    void on_handshake(std::uint64_t gen, ws_ptr ws, std::shared_ptr<websocket::response_type> res, beast::error_code ec) {
        if (stale(gen)) return;
        if (ec && res->result_int() != 0 && res->result() != http::status::switching_protocols)
            return lost(fmt::format("handshake: the upgrade was refused: HTTP {} {}", res->result_int(),
                                    std::string(res->reason())));
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
        if (ec) return lost("read: " + ec.message());
        std::string_view rec(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        emit(rec, ws->next_layer().rx_ns());
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
    const bool deflate_;
    std::uint64_t sent_ = 0;
};

} // namespace

std::shared_ptr<ws_stream> make_client_stream(asio::io_context& io, const client_config& cfg, std::size_t read_max,
                                              bool chrome_deflate_offer) {
    auto ws = std::make_shared<ws_stream>(io);
    set_common(*ws, beast::role_type::client, std::chrono::milliseconds(0));
    ws->set_option(websocket::stream_base::decorator([cfg, chrome_deflate_offer](websocket::request_type& req) {
        add_profile_headers(req.base(), cfg, websocket_upgrade);
        if (cfg.headers == header_profile::minimal) req.set(http::field::user_agent, "rtbench");
        else if (chrome_deflate_offer)
            req.set(http::field::sec_websocket_extensions, "permessage-deflate; client_max_window_bits");
    }));
    ws->read_message_max(read_max);
    return ws;
}

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev) {
    return std::make_shared<ws_client>(io, cfg, ev);
}


} // namespace rtb::ws
