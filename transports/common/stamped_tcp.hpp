#pragma once
// A TCP stream whose reads can carry the kernel's receive time of their
// bytes (SO_TIMESTAMPNS through recvmsg), for the load generator: a message
// that waited in the socket while the client's thread was busy with others
// was received by the kernel when its bytes arrived, not when rtbench got to
// it, and the difference is the load generator's own delay (issue 17).
//
// Off (servers, and clients before the connect): every operation is Beast's
// tcp_stream's, timeouts included. On: reads are a non-blocking recvmsg
// (waiting for readiness with async_wait when there is nothing yet, as
// Asio's own reactive read does), without tcp_stream's timeouts, which no
// client uses. Writes are always tcp_stream's.
#include <array>
#include <cstdint>
#include <utility>

#include <sys/uio.h>

#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace rtb {

class stamped_tcp {
    using socket_type = boost::asio::ip::tcp::socket;

public:
    using executor_type = boost::beast::tcp_stream::executor_type;
    using lowest_layer_type = socket_type; // for asio::ssl::stream

    explicit stamped_tcp(boost::asio::io_context& io) : tcp_(io) {}
    explicit stamped_tcp(socket_type&& s) : tcp_(std::move(s)) {}
    stamped_tcp(stamped_tcp&&) = default;

    boost::beast::tcp_stream& tcp() { return tcp_; }
    boost::beast::tcp_stream& next_layer() { return tcp_; } // for beast::get_lowest_layer
    socket_type& lowest_layer() { return tcp_.socket(); }
    executor_type get_executor() { return tcp_.get_executor(); }

    // Asks the kernel to stamp what this (open) socket receives from now on;
    // false when it refused (reads then carry no stamp).
    bool enable_stamps();
    // The kernel's receive time (CLOCK_MONOTONIC ns, as now_ns()) of the
    // bytes the last read returned; 0 when the kernel gave none. TCP reports
    // one stamp per read, that of the last segment it read from, and the
    // kernel merges a segment into the one queued before it, taking the
    // newer stamp (tcp_try_coalesce). So the stamp is exact for bytes that
    // arrived together, and for bytes that queued behind later ones on the
    // same connection it is as late as the newest of them, never earlier
    // than the true arrival: a latency from it is an upper bound.
    std::int64_t rx_ns() const { return rx_ns_; }
    // Bytes taken from the kernel whose read handler has not run yet (a
    // read that found its bytes at once posts its completion): the kernel
    // no longer holds them and the application has not seen them, so the
    // byte counts leave them out until it has (flex_stream::wire), as they
    // leave out what still waits in the kernel.
    std::uint64_t posted_bytes() const { return posted_; }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& b, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                if (!stamps_) return tcp_.async_read_some(b, std::move(handler));
                boost::asio::async_compose<decltype(handler), void(boost::beast::error_code, std::size_t)>(
                    read_op<MutableBuffers>(this, b), handler, tcp_.socket());
            },
            token, b);
    }

    // Synchronous forms (a TLS shutdown in WebSocket's synchronous
    // teardown): Beast's, unstamped.
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& b, boost::beast::error_code& ec) {
        return tcp_.read_some(b, ec);
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& b, boost::beast::error_code& ec) {
        return tcp_.write_some(b, ec);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& b, Token&& token) {
        return tcp_.async_write_some(b, std::forward<Token>(token));
    }

private:
    // One non-blocking recvmsg into `iov`: bytes read, eof, would_block, or
    // the socket's error; sets rx_ns_ when it read something.
    boost::beast::error_code receive(iovec* iov, std::size_t count, std::size_t& got);

    // Only for an io_context run by one thread (each load thread has its
    // own): the readiness wait and the recvmsg after it are not one step.
    template <class MutableBuffers>
    struct read_op {
        read_op(stamped_tcp* s, const MutableBuffers& b) : s(s), b(b), connection(s->connection_) {}
        stamped_tcp* s;
        MutableBuffers b;
        std::uint64_t connection; // the connection this read is for (see connection_)
        int state = 0; // 0: first try; 1: woke from a wait; 2: posted result
        boost::beast::error_code ec0;
        std::size_t n0 = 0;

        template <class Self>
        void operator()(Self& self, boost::beast::error_code ec = {}) {
            if (state == 2) {
                s->posted_ -= n0;
                return self.complete(ec0, n0);
            }
            if (state == 1 && ec) return self.complete(ec, 0); // cancelled, closed
            // Woken for a connection that has since been closed (or closed
            // and replaced): never read the new one's bytes.
            if (state == 1 && (connection != s->connection_ || !s->tcp_.socket().is_open()))
                return self.complete(boost::asio::error::operation_aborted, 0);
            std::array<iovec, 16> iov{};
            std::size_t count = 0;
            for (auto it = boost::asio::buffer_sequence_begin(b); it != boost::asio::buffer_sequence_end(b) && count < iov.size(); ++it) {
                boost::asio::mutable_buffer mb(*it);
                if (mb.size()) iov[count++] = {mb.data(), mb.size()};
            }
            std::size_t got = 0;
            if (count) ec = s->receive(iov.data(), count, got);
            if (ec == boost::asio::error::would_block) {
                state = 1;
                return s->tcp_.socket().async_wait(socket_type::wait_read, std::move(self));
            }
            if (state == 1) return self.complete(ec, got);
            // Done without waiting: the handler must not run inside the
            // initiating call (Asio's rule), so it is posted.
            state = 2, ec0 = ec, n0 = got;
            s->posted_ += got;
            boost::asio::post(std::move(self));
        }
    };

    boost::beast::tcp_stream tcp_;
    bool stamps_ = false;
    std::uint64_t connection_ = 0; // counts enable_stamps(), called once per new connection
    std::uint64_t posted_ = 0;
    std::int64_t rx_ns_ = 0;
};

// WebSocket over TLS tears the TCP stream under it down (found by
// argument-dependent lookup from Beast's TLS teardown).
inline void teardown(boost::beast::role_type role, stamped_tcp& s, boost::beast::error_code& ec) {
    using boost::beast::websocket::teardown;
    teardown(role, s.tcp(), ec);
}
template <class Handler>
void async_teardown(boost::beast::role_type role, stamped_tcp& s, Handler&& h) {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, s.tcp(), std::forward<Handler>(h));
}

} // namespace rtb
