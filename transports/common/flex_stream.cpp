#include "transports/common/flex_stream.hpp"

#include "transports/common/wire.hpp"

namespace rtb {

void flex_stream::start_tls(boost::asio::ssl::context& ctx) {
    tls_ = std::make_shared<tls_layer>(std::move(*plain_), ctx);
    plain_.reset();
}

void flex_stream::renew(boost::asio::io_context& io, const tls_client* tls, std::shared_ptr<tls_session_slot> slot) {
    if (!tls) {
        if (!plain_) plain_.emplace(io);
        return;
    }
    tls_ = std::make_shared<tls_layer>(stamped_tcp(io), *tls->ctx);
    tls_->slot = std::move(slot);
    plain_.reset();
    tls_prepare_client(tls_->s.native_handle(), *tls, tls_->slot.get());
}

void flex_stream::async_handshake(boost::asio::ssl::stream_base::handshake_type type, boost::asio::const_buffer initial,
                                  std::function<void(boost::beast::error_code, std::size_t)> done) {
    auto layer = tls_;
    // Variadic on purpose: Beast 1.81 constrains the buffered handshake's
    // handler with the signature void(error_code) but calls it with
    // (error_code, bytes used); this handler satisfies both.
    layer->s.async_handshake(type, initial, [layer, done = std::move(done)](boost::beast::error_code ec, auto... used) {
        done(ec, (std::size_t{0} + ... + used));
    });
}

wire_bytes flex_stream::wire() {
    auto& sock = socket();
    if (!sock.is_open()) return {};
    wire_bytes w = socket_wire(sock.native_handle());
    w.down -= std::min(w.down, stamped().posted_bytes());
    if (tls_) {
        w.tls_down = w.down - std::min(w.down, tls_->plain_in);
        w.tls_up = w.up - std::min(w.up, tls_->plain_out);
    }
    return w;
}

std::string describe_error(const boost::beast::error_code& ec) {
    if (ec.category() == boost::asio::error::get_ssl_category() || ec == boost::asio::ssl::error::stream_truncated)
        return "TLS handshake: " + ec.message();
    return ec.message();
}

} // namespace rtb
