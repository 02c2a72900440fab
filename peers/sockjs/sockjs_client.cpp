// rtbench's SockJS client: GET /info, then one session over the transport
// the row names — a raw WebSocket of SockJS frames, an xhr_streaming POST
// whose answer streams frames (a new POST when the server ends it at its
// response_limit), or xhr polling (a POST per answer) — with records sent
// up in the same session: a WebSocket message each, or xhr_send POSTs.
// What sockjs-client does with its `transports` option pinned to one.
// Wire format and costs: README.md beside this file.
#include <fmt/format.h>

#include "peers/sockjs/sockjs_codec.hpp"
#include "peers/sockjs/sockjs_options.hpp"
#include "transports/common/stream_client.hpp"
#include "transports/websocket/ws_common.hpp"

namespace rtb::sockjs {
namespace {

namespace websocket = beast::websocket;
using ws::ws_stream;

constexpr std::string_view prefix = "/sockjs";

class sockjs_client final : public client_base {
public:
    sockjs_client(asio::io_context& io, const client_config& cfg, client_events& ev, mode m)
        : client_base(io, cfg, ev), mode_(m), get_(io), post_(io) {
        meter_.watch(get_);
        meter_.watch(post_.stream);
    }

    // sockjs-client buffers what is sent before the session is open; so
    // does this one (a new session after a reconnect takes what is left).
    void send(std::shared_ptr<const std::string> record) override {
        if (closed()) return;
        up_.push_back(std::move(record));
        flush();
    }
    std::uint64_t sent() const override { return sent_; }
    std::uint64_t pending_bytes() const override {
        std::uint64_t n = ws_buffer_.size() + get_buffer_.size() + lines_.pending();
        if (mode_ == mode::xhr_polling && get_parser_ && !get_parser_->is_done())
            n += get_parser_->get().body().size();
        return n;
    }

protected:
    // Each (re)connect is a new SockJS session: a new server and session id.
    void connect() override {
        server_id_ = random_server_id();
        session_ = random_session_id();
        open(get_, beast::bind_front_handler(&sockjs_client::on_get_connect, self<sockjs_client>(), gen_));
    }

    void teardown() override {
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
        lines_.reset();
        // Records in an xhr_send not answered are gone with the session (the
        // server may have taken them): sockjs-client does not send them
        // again either, and the harness counts what did not come back.
        in_post_.clear();
        open_ = posting_ = ws_open_ = ws_writing_ = false;
    }

private:
    using ws_ptr = std::shared_ptr<ws_stream>;

    // A session's URL, with the base URL's query (id, rooms), which
    // sockjs-client keeps on every URL it makes (/info and xhr_send too).
    std::string url(std::string_view transport) const {
        return make_target(session_path(prefix, server_id_, session_, transport), {identity_query(cfg_)});
    }

    // ---- frames, whichever transport brought them --------------------------------------

    void on_frame(std::string_view f, std::int64_t kernel_ns) {
        switch (kind_of(f)) {
        case frame_kind::open:
            if (open_) return lost("a second SockJS open frame");
            open_ = true;
            ready();
            return flush();
        case frame_kind::heartbeat: return;
        case frame_kind::messages:
            if (!open_) return lost("messages before the SockJS open frame");
            if (!parse_messages(f, msgs_)) return lost("a malformed SockJS frame: " + std::string(f.substr(0, 200)));
            for (auto& m : msgs_) emit(m, kernel_ns);
            return;
        case frame_kind::close:
            return lost("the server closed the SockJS session: " + std::string(f.substr(0, 200)));
        case frame_kind::bad: return lost("a malformed SockJS frame: " + std::string(f.substr(0, 200)));
        }
    }

    // ---- GET /info, then the session's transport ---------------------------------------

    void on_get_connect(std::uint64_t gen, beast::error_code ec) {
        if (stale(gen)) return;
        if (ec) return lost("connect: " + describe_error(ec));
        get_req_ = {http::verb::get, make_target(std::string(prefix) + "/info", {identity_query(cfg_)}), 11};
        add_profile_headers(get_req_.base(), cfg_, fetch_get);
        http::async_write(get_, get_req_, [self = self<sockjs_client>(), gen](beast::error_code ec, std::size_t) {
            if (self->stale(gen)) return;
            if (ec) return self->lost("write: " + ec.message());
            self->info_res_ = {};
            http::async_read(self->get_, self->get_buffer_, self->info_res_,
                             beast::bind_front_handler(&sockjs_client::on_info, self, gen));
        });
    }

    void on_info(std::uint64_t gen, beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        if (ec) return lost("read /info: " + ec.message());
        if (info_res_.result() != http::status::ok)
            return lost(fmt::format("GET {}/info answered {}: {}", prefix, info_res_.result_int(),
                                    info_res_.body().substr(0, 200)));
        if (mode_ == mode::websocket) {
            if (info_res_.body().find("\"websocket\":true") == std::string::npos)
                return lost("the server's /info says it has no websocket transport: " + info_res_.body().substr(0, 200));
            meter_.retire(get_); // the page's XHR is done; the WebSocket is a connection of its own
            return open_ws();
        }
        if (!info_res_.keep_alive()) return reopen_get(gen);
        receive();
    }

    void reopen_get(std::uint64_t gen) {
        meter_.retire(get_);
        get_buffer_.clear();
        open(get_, [self = self<sockjs_client>(), gen](beast::error_code ec) {
            if (self->stale(gen)) return;
            if (ec) return self->lost("connect: " + describe_error(ec));
            self->receive();
        });
    }

    // ---- xhr_streaming and xhr polling: the receiving POST ----------------------------

    void receive() {
        bool streaming = mode_ == mode::xhr_streaming;
        recv_req_ = {http::verb::post, url(streaming ? "xhr_streaming" : "xhr"), 11};
        add_profile_headers(recv_req_.base(), cfg_, fetch_post);
        recv_req_.prepare_payload(); // Content-Length: 0, as an XHR's empty POST
        lines_.reset();
        http::async_write(get_, recv_req_, [self = self<sockjs_client>(), gen = gen_](beast::error_code ec, std::size_t) {
            if (self->stale(gen)) return;
            if (ec) return self->lost("write: " + ec.message());
            self->get_parser_.emplace();
            if (self->mode_ == mode::xhr_streaming) {
                self->get_parser_->body_limit(boost::none); // records are bounded by max_message below
                self->get_parser_->on_chunk_body(self->on_chunk_);
                return http::async_read_header(self->get_, self->get_buffer_, *self->get_parser_,
                                               beast::bind_front_handler(&sockjs_client::on_stream_header, self, gen));
            }
            self->get_parser_->body_limit(self->cfg_.max_message * 64);
            http::async_read(self->get_, self->get_buffer_, *self->get_parser_,
                             beast::bind_front_handler(&sockjs_client::on_poll, self, gen));
        });
    }

    void on_poll(std::uint64_t gen, beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        std::int64_t kernel_ns = get_.rx_ns();
        if (ec) return lost("read: " + ec.message());
        auto res = get_parser_->release();
        get_parser_.reset();
        if (res.result() != http::status::ok)
            return lost(fmt::format("an xhr poll answered {}: {}", res.result_int(), res.body().substr(0, 200)));
        on_lines(res.body(), kernel_ns, gen);
        if (stale(gen)) return;
        if (lines_.pending()) return lost("an xhr poll's answer ended inside a frame");
        next_receive(res.keep_alive(), gen);
    }

    // A streaming answer's chunks as they arrive: lines, each a frame but
    // the prelude.
    std::function<std::size_t(std::uint64_t, std::string_view, beast::error_code&)> on_chunk_ =
        [this](std::uint64_t, std::string_view body, beast::error_code&) {
            on_lines(body, get_.rx_ns(), gen_);
            return body.size();
        };

    void on_lines(std::string_view data, std::int64_t kernel_ns, std::uint64_t gen) {
        lines_.feed(data, [&](std::string_view line) {
            if (stale(gen)) return;
            if (is_prelude(line)) return;
            on_frame(line, kernel_ns);
        });
        if (!stale(gen) && lines_.pending() > cfg_.max_message * 6 + 256)
            lost("a SockJS frame longer than the largest record allows");
    }

    void on_stream_header(std::uint64_t gen, beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        if (ec) return lost("read header: " + ec.message());
        auto& res = get_parser_->get();
        if (res.result() != http::status::ok)
            return lost(fmt::format("xhr_streaming answered {}", res.result_int()));
        stream_read(gen);
    }

    void stream_read(std::uint64_t gen) {
        http::async_read_some(get_, get_buffer_, *get_parser_, [self = self<sockjs_client>(), gen](beast::error_code ec, std::size_t) {
            if (self->stale(gen)) return;
            if (ec) return self->lost("read: " + ec.message());
            if (!self->get_parser_->is_done()) return self->stream_read(gen);
            // The server ended the answer at its response_limit: the same
            // session goes on in a new POST (what sockjs-client does).
            if (self->lines_.pending()) return self->lost("an xhr_streaming answer ended inside a frame");
            bool keep = self->get_parser_->get().keep_alive();
            self->get_parser_.reset();
            self->next_receive(keep, gen);
        });
    }

    void next_receive(bool keep_alive, std::uint64_t gen) {
        if (keep_alive) return receive();
        reopen_get(gen);
    }

    // ---- records up: xhr_send POSTs, or WebSocket messages ----------------------------

    void flush() {
        if (!open_) return;
        if (mode_ == mode::websocket) return ws_write();
        post_waiting();
    }

    // Every record waiting, in one xhr_send (sockjs-client batches so too),
    // one POST at a time; the server answers 204.
    void post_waiting() {
        if (posting_ || up_.empty()) return;
        in_post_.assign(std::make_move_iterator(up_.begin()), std::make_move_iterator(up_.end()));
        up_.clear();
        auto& req = post_.req;
        req = {http::verb::post, url("xhr_send"), 11};
        add_profile_headers(req.base(), cfg_, fetch_post);
        req.set(http::field::content_type, "text/plain;charset=UTF-8");
        req.body() = send_frame(in_post_);
        req.prepare_payload();
        posting_ = true;
        client_base::post(post_, [this](const http::response<http::string_body>& res) {
            if (res.result() != http::status::no_content)
                return lost(fmt::format("xhr_send answered {}: {}", res.result_int(), res.body().substr(0, 200)));
            sent_ += in_post_.size();
            in_post_.clear();
            posting_ = false;
            flush();
        });
    }

    // ---- the websocket transport ---------------------------------------------------------

    void open_ws() {
        ws_ = ws::make_client_stream(io_, cfg_, cfg_.max_message * 6 + 256); // JSON may escape every character of a record
        meter_.watch(ws_->next_layer());
        open(ws_->next_layer(), beast::bind_front_handler(&sockjs_client::on_ws_connect, self<sockjs_client>(), gen_, ws_));
    }

    void on_ws_connect(std::uint64_t gen, ws_ptr ws, beast::error_code ec) {
        if (stale(gen)) return;
        if (ec) return lost("connect: " + describe_error(ec));
        ws->async_handshake(cfg_.host + ":" + std::to_string(cfg_.port), url("websocket"),
                            beast::bind_front_handler(&sockjs_client::on_ws_handshake, self<sockjs_client>(), gen, ws));
    }

    void on_ws_handshake(std::uint64_t gen, ws_ptr ws, beast::error_code ec) {
        if (stale(gen)) return;
        if (ec) return lost("WebSocket handshake: " + ec.message());
        ws_open_ = true;
        ws_read(gen, ws);
    }

    void ws_read(std::uint64_t gen, const ws_ptr& ws) {
        ws->async_read(ws_buffer_, beast::bind_front_handler(&sockjs_client::on_ws_read, self<sockjs_client>(), gen, ws));
    }

    void on_ws_read(std::uint64_t gen, ws_ptr ws, beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        if (ec) return lost("read: " + ec.message());
        std::string_view text(static_cast<const char*>(ws_buffer_.data().data()), ws_buffer_.size());
        on_frame(text, ws->next_layer().rx_ns());
        if (stale(gen)) return;
        ws_buffer_.clear();
        ws_read(gen, ws);
    }

    // One WebSocket message per record, ["<record>"], as sockjs-client's
    // websocket transport sends each send(). The record being written
    // leaves up_: one whose write a lost session interrupted is gone with
    // it (the server may have it), as an unanswered xhr_send's are.
    void ws_write() {
        if (!ws_open_ || ws_writing_ || up_.empty()) return;
        ws_writing_ = true;
        ws_->text(true);
        auto text = std::make_shared<const std::string>(send_frame_of(*up_.front()));
        up_.pop_front();
        ws_->async_write(asio::buffer(*text),
                         [self = self<sockjs_client>(), gen = gen_, ws = ws_, text](beast::error_code ec, std::size_t) {
                             if (self->stale(gen)) return;
                             self->ws_writing_ = false;
                             if (ec) return self->lost("write: " + ec.message());
                             ++self->sent_;
                             self->ws_write();
                         });
    }

    const mode mode_;
    unsigned server_id_ = 0;
    std::string session_;
    flex_stream get_;   // /info and the receiving POSTs
    post_channel post_; // xhr_send (a browser uses two connections too)
    beast::flat_buffer get_buffer_, ws_buffer_;
    http::request<http::empty_body> get_req_;
    http::request<http::string_body> recv_req_;
    http::response<http::string_body> info_res_;
    std::optional<http::response_parser<http::string_body>> get_parser_;
    line_splitter lines_;
    ws_ptr ws_;
    std::deque<std::shared_ptr<const std::string>> up_; // records not yet sent
    std::vector<std::shared_ptr<const std::string>> in_post_; // in the xhr_send on its way
    std::vector<std::string> msgs_;                     // the last a[...] frame's messages
    std::uint64_t sent_ = 0;
    bool open_ = false, posting_ = false, ws_open_ = false;
    bool ws_writing_ = false;
};

} // namespace

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg, client_events& ev, mode m) {
    return std::make_shared<sockjs_client>(io, cfg, ev, m);
}

} // namespace rtb::sockjs
