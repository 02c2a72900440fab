#pragma once
// One stream type for plain TCP and TLS, chosen per connection at run time,
// so every transport runs over both without a second copy of its code (the
// idea of Beast's "flex" examples, with a runtime branch instead of a
// template instance per stream type). A plain connection pays one branch
// per operation and no allocation; TLS keeps its OpenSSL state on the heap,
// owned also by its own pending operations, so a client may start a new
// connection while the old one's cancelled operations still finish.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "harness/tls.hpp"
#include "harness/wire_bytes.hpp"
#include "transports/common/stamped_tcp.hpp"

namespace rtb {

class flex_stream {
    using tcp = boost::asio::ip::tcp;
    using tls_stream = boost::beast::ssl_stream<stamped_tcp>;
    struct tls_layer {
        tls_layer(stamped_tcp&& s, boost::asio::ssl::context& ctx) : s(std::move(s), ctx) {}
        tls_stream s;
        std::uint64_t plain_in = 0, plain_out = 0; // application bytes through it
        std::shared_ptr<tls_session_slot> slot;    // client: where its next ticket goes
    };

public:
    using executor_type = stamped_tcp::executor_type;

    // A plain stream, not connected (a client's).
    explicit flex_stream(boost::asio::io_context& io) : plain_(std::in_place, io) {}
    // A plain stream over an accepted socket (a server's).
    explicit flex_stream(tcp::socket&& s) : plain_(std::in_place, std::move(s)) {}
    flex_stream(flex_stream&&) = default;

    executor_type get_executor() { return stamped().get_executor(); }
    // For beast::get_lowest_layer: the TCP stream underneath.
    stamped_tcp& next_layer() { return stamped(); }
    // The TCP stream under TLS (or the plain one), whose reads carry the
    // kernel's receive time once enable_stamps() was called on its socket.
    stamped_tcp& stamped() { return tls_ ? tls_->s.next_layer() : *plain_; }
    const stamped_tcp& stamped() const { return tls_ ? tls_->s.next_layer() : *plain_; }
    // The kernel's receive time of the newest bytes read from the socket
    // (stamped_tcp::rx_ns): with TLS, of the last record TLS read, which
    // completed whatever it decrypted. 0: none.
    std::int64_t rx_ns() const { return stamped().rx_ns(); }
    tcp::socket& socket() { return stamped().socket(); }
    bool is_tls() const { return tls_ != nullptr; }
    SSL* native_handle() { return tls_ ? tls_->s.native_handle() : nullptr; }

    // Server: this accepted connection speaks TLS from here on (before any
    // of its bytes were handed to TLS; see async_handshake's `initial`).
    void start_tls(boost::asio::ssl::context& ctx);
    // Client, before each connect: a new socket and, with TLS, a new TLS
    // state (a closed SSL object cannot be reused). Without TLS the closed
    // socket is simply reopened by the connect.
    void renew(boost::asio::io_context& io, const tls_client* tls, std::shared_ptr<tls_session_slot> slot);

    // TLS handshake. `initial`: bytes already read from the socket (the
    // server peeks at the first bytes to tell TLS from plain HTTP).
    void async_handshake(boost::asio::ssl::stream_base::handshake_type type, boost::asio::const_buffer initial,
                         std::function<void(boost::beast::error_code, std::size_t)> done);

    // Kernel byte counts of the socket, with the part TLS added (records,
    // handshakes, alerts, tickets) split out: kernel bytes minus the
    // application bytes that passed through TLS. Zero TLS bytes when plain.
    // Received bytes are those handed to a read handler by now (not those
    // still in the kernel's queue or in a posted completion), so they are
    // counted at the instant the harness counts messages.
    wire_bytes wire();

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& b, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                if (!tls_) return plain_->async_read_some(b, std::move(handler));
                auto layer = tls_;
                layer->s.async_read_some(b, [layer, h = std::move(handler)](boost::beast::error_code ec, std::size_t n) mutable {
                    layer->plain_in += n;
                    std::move(h)(ec, n);
                });
            },
            token, b);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& b, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& b) {
                if (!tls_) return plain_->async_write_some(b, std::move(handler));
                auto layer = tls_;
                layer->s.async_write_some(b, [layer, h = std::move(handler)](boost::beast::error_code ec, std::size_t n) mutable {
                    layer->plain_out += n;
                    std::move(h)(ec, n);
                });
            },
            token, b);
    }

    // TLS close (close_notify both ways) for WebSocket teardown.
    tls_stream* tls() { return tls_ ? &tls_->s : nullptr; }

private:
    std::optional<stamped_tcp> plain_;              // engaged when plain
    std::shared_ptr<tls_layer> tls_;                // set when TLS
};

// The error a failed TLS handshake reports, in words ("TLS handshake: tlsv1
// alert protocol version"), or the plain socket error's message.
std::string describe_error(const boost::beast::error_code& ec);

} // namespace rtb
