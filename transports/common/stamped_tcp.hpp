#pragma once
// A TCP stream whose reads can carry the kernel's receive time of their
// bytes (SO_TIMESTAMPNS through recvmsg), for the load generator: a message
// that waited in the socket while the client's thread was busy with others
// was received by the kernel when its bytes arrived, not when rtbench got to
// it, and the difference is the load generator's own delay (issue 17).
//
// Off (servers, and clients before the connect): reads are the socket's
// own. On: reads are a non-blocking recvmsg (waiting for readiness with
// async_wait when there is nothing yet, as Asio's own reactive read does).
// Writes are always the socket's.
//
// A plain socket, not Beast's tcp_stream: tcp_stream keeps a shared state
// with two timers (~530 B per connection) for timeouts that servers now
// keep on shared lists (timeouts.hpp) and clients never set.
#include <array>
#include <memory>
#include <cstdint>
#include <utility>

#include <sys/uio.h>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace rtb {

// Not std::allocator, so Asio allocates an operation bound to it at its own
// size from malloc. With std::allocator, Asio takes the block from its
// per-thread recycling cache, which hands over the last freed operation's
// block whenever it is big enough: an idle connection's 150-byte wait would
// then hold the ~580-byte block of the answer written just before it, for
// as long as the connection idles.
template <class T>
struct exact_allocator {
    using value_type = T;
    exact_allocator() = default;
    template <class U>
    exact_allocator(const exact_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
    template <class U>
    bool operator==(const exact_allocator<U>&) const noexcept { return true; }
};

class stamped_tcp {
    using socket_type = boost::asio::ip::tcp::socket;

public:
    using executor_type = socket_type::executor_type;
    using lowest_layer_type = socket_type; // for asio::ssl::stream

    explicit stamped_tcp(boost::asio::io_context& io) : sock_(io) {}
    explicit stamped_tcp(socket_type&& s) : sock_(std::move(s)) {}
    stamped_tcp(stamped_tcp&&) = default;

    socket_type& socket() { return sock_; }
    socket_type& lowest_layer() { return sock_; }
    executor_type get_executor() { return sock_.get_executor(); }

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

    // Reads what the kernel holds now into `b`, without waiting: the bytes
    // (`got`), eof, would_block, or the socket's error. Unstamped.
    boost::beast::error_code read_now(boost::asio::mutable_buffer b, std::size_t& got);

    // Calls `h(error_code)` once the socket has bytes, an EOF or an error
    // to read (posted at once when it has them now, which saves the epoll
    // round trip when a keep-alive client's next request is already here).
    // Asio's epoll is edge-triggered; Asio 1.81 re-arms the descriptor
    // (EPOLL_CTL_MOD) when it queues a wait, so bytes that came while
    // nothing waited wake it too (StampedTcp.WaitReadableSeesWhatCame...
    // checks both ways). A wait holds no buffer, and its operation is
    // allocated at its own size (exact_allocator): how an idle connection
    // watches its socket.
    template <class Handler>
    void async_wait_readable(Handler&& h) {
        if (readable_now()) return boost::asio::post(sock_.get_executor(), [h = std::forward<Handler>(h)]() mutable { h(boost::beast::error_code{}); });
        sock_.async_wait(socket_type::wait_read, boost::asio::bind_allocator(exact_allocator<void>{}, std::forward<Handler>(h)));
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& b, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& b) {
                if (!stamps_) return sock_.async_read_some(b, std::move(handler));
                boost::asio::async_compose<decltype(handler), void(boost::beast::error_code, std::size_t)>(
                    read_op<MutableBuffers>(this, b), handler, sock_);
            },
            token, b);
    }

    // Synchronous forms (a TLS shutdown in WebSocket's synchronous
    // teardown): the socket's, unstamped.
    template <class MutableBuffers>
    std::size_t read_some(const MutableBuffers& b, boost::beast::error_code& ec) {
        return sock_.read_some(b, ec);
    }
    template <class ConstBuffers>
    std::size_t write_some(const ConstBuffers& b, boost::beast::error_code& ec) {
        return sock_.write_some(b, ec);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& b, Token&& token) {
        return sock_.async_write_some(b, std::forward<Token>(token));
    }

private:
    // One non-blocking recvmsg into `iov`: bytes read, eof, would_block, or
    // the socket's error; sets rx_ns_ when it read something.
    boost::beast::error_code receive(iovec* iov, std::size_t count, std::size_t& got);
    // Whether a read would not wait now (bytes, EOF or an error queued).
    bool readable_now();

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
            if (state == 1 && (connection != s->connection_ || !s->sock_.is_open()))
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
                return s->sock_.async_wait(socket_type::wait_read, std::move(self));
            }
            if (state == 1) return self.complete(ec, got);
            // Done without waiting: the handler must not run inside the
            // initiating call (Asio's rule), so it is posted.
            state = 2, ec0 = ec, n0 = got;
            s->posted_ += got;
            boost::asio::post(std::move(self));
        }
    };

    socket_type sock_;
    bool stamps_ = false;
    std::uint64_t connection_ = 0; // counts enable_stamps(), called once per new connection
    std::uint64_t posted_ = 0;
    std::int64_t rx_ns_ = 0;
};

// Beast closes the lowest layer through this (a WebSocket's own timeout).
inline void beast_close_socket(stamped_tcp& s) {
    boost::beast::error_code ec;
    s.socket().close(ec);
}

// WebSocket over TLS tears the TCP socket under it down (found by
// argument-dependent lookup from Beast's TLS teardown).
inline void teardown(boost::beast::role_type role, stamped_tcp& s, boost::beast::error_code& ec) {
    using boost::beast::websocket::teardown;
    teardown(role, s.socket(), ec);
}
template <class Handler>
void async_teardown(boost::beast::role_type role, stamped_tcp& s, Handler&& h) {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, s.socket(), std::forward<Handler>(h));
}

} // namespace rtb
