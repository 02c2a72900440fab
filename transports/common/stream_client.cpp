#include "transports/common/stream_client.hpp"

#include <fmt/format.h>

namespace rtb {

stream_client::stream_client(asio::io_context& io, const client_config& cfg, client_events& ev,
                             const browser_request& kind)
    : client_base(io, cfg, ev), kind_(kind), stream_(io) {
    meter_.watch(stream_);
    on_chunk_ = [this](std::uint64_t, std::string_view body, beast::error_code&) {
        on_data(body, stream_.rx_ns());
        return body.size();
    };
}

void stream_client::connect() {
    reset_decoder();
    open(stream_, beast::bind_front_handler(&stream_client::on_connect, self<stream_client>(), gen_));
}

void stream_client::on_connect(std::uint64_t gen, beast::error_code ec) {
    if (stale(gen)) return;
    if (ec) return lost("connect: " + describe_error(ec));
    req_ = {http::verb::get, target(), 11};
    add_profile_headers(req_.base(), cfg_, kind_);
    decorate(req_);
    http::async_write(stream_, req_, beast::bind_front_handler(&stream_client::on_write,
                                                               self<stream_client>(), gen));
}

void stream_client::on_write(std::uint64_t gen, beast::error_code ec, std::size_t) {
    if (stale(gen)) return;
    if (ec) return lost("write: " + ec.message());
    parser_.emplace();
    parser_->body_limit(boost::none); // an endless stream; records are bounded below
    parser_->on_chunk_body(on_chunk_);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&stream_client::on_header,
                                                      self<stream_client>(), gen));
}

void stream_client::on_header(std::uint64_t gen, beast::error_code ec, std::size_t) {
    if (stale(gen)) return;
    if (ec) return lost("read header: " + ec.message());
    auto& res = parser_->get();
    if (res.result() != http::status::ok)
        return lost(fmt::format("the stream was refused: HTTP {} {}", res.result_int(), std::string_view(res.reason())));
    if (auto why = refuse_answer(res.base()); !why.empty()) return lost(why);
    bool until_close = !parser_->chunked() && !parser_->content_length();
    if (!parser_->chunked() && !until_close)
        return lost("the stream's answer has a Content-Length: it ends, it does not stream");
    if (ready_on_header()) ready();
    if (until_close) return do_read_raw(gen);
    do_read(gen);
}

void stream_client::do_read(std::uint64_t gen) {
    if (stale(gen)) return;
    http::async_read_some(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&stream_client::on_read,
                                                    self<stream_client>(), gen));
}

void stream_client::on_read(std::uint64_t gen, beast::error_code ec, std::size_t) {
    if (stale(gen)) return;
    if (ec) return lost("read: " + ec.message());
    if (parser_->is_done()) return lost("stream ended by server");
    do_read(gen);
}

void stream_client::do_read_raw(std::uint64_t gen) {
    if (stale(gen)) return; // ready() may have closed the session
    // What came with the head is the stream's first bytes.
    if (buffer_.size()) {
        std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        on_data(data, stream_.rx_ns());
        buffer_.consume(buffer_.size());
        if (stale(gen)) return;
    }
    stream_.async_read_some(buffer_.prepare(16 * 1024),
                            beast::bind_front_handler(&stream_client::on_read_raw, self<stream_client>(), gen));
}

void stream_client::on_read_raw(std::uint64_t gen, beast::error_code ec, std::size_t n) {
    if (stale(gen)) return;
    buffer_.commit(n);
    if (ec == asio::error::eof) return lost("stream ended by server");
    if (ec) return lost("read: " + ec.message());
    do_read_raw(gen);
}

void stream_client::teardown() {
    meter_.retire(stream_);
    buffer_.clear();
}

} // namespace rtb
