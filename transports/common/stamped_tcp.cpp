#include "transports/common/stamped_tcp.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <sys/socket.h>

#include "harness/clock.hpp"

namespace rtb {

namespace {
std::int64_t ns_of(const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

// The kernel stamps with CLOCK_REALTIME; rtbench's times are
// CLOCK_MONOTONIC. The stamp's age is the same on both clocks, read at one
// instant: the wall clock between two monotonic reads, retried when the
// thread was preempted in between (a step of the wall clock between the
// packet's arrival and this read would still shift it; a slew does not).
std::int64_t realtime_to_monotonic(const timespec& stamp) {
    std::int64_t mono = 0, rt = 0;
    for (int i = 0; i < 4; ++i) {
        std::int64_t before = now_ns();
        timespec t{};
        ::clock_gettime(CLOCK_REALTIME, &t);
        std::int64_t after = now_ns();
        mono = before + (after - before) / 2, rt = ns_of(t);
        if (after - before < 20'000) break;
    }
    return mono - std::max<std::int64_t>(0, rt - ns_of(stamp));
}

// The kernel stamps received packets only while some socket asks for it,
// and turns stamping on and off in a deferred work item: with our
// connections opening and closing (a poll's own connection), packets could
// arrive while it was off. One socket of the process keeps it on.
void keep_kernel_stamping_on() {
    static const int keeper = [] {
        int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        return fd;
    }();
    (void)keeper;
}
} // namespace

bool stamped_tcp::enable_stamps() {
    keep_kernel_stamping_on();
    ++connection_;
    int one = 1;
    stamps_ = ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;
    return stamps_;
}

boost::beast::error_code stamped_tcp::receive(iovec* iov, std::size_t count, std::size_t& got) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec)) * 2];
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = count;
    for (;;) {
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(sock_.native_handle(), &m, MSG_DONTWAIT);
        if (n > 0) {
            got = static_cast<std::size_t>(n);
            rx_ns_ = 0;
            for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
                timespec ts{};
                std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                rx_ns_ = realtime_to_monotonic(ts);
            }
            return {};
        }
        if (n == 0) return boost::asio::error::eof;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return boost::asio::error::would_block;
        return {errno, boost::system::system_category()};
    }
}

boost::beast::error_code stamped_tcp::read_now(boost::asio::mutable_buffer b, std::size_t& got) {
    got = 0;
    if (b.size() == 0) return {};
    for (;;) {
        ssize_t n = ::recv(sock_.native_handle(), b.data(), b.size(), MSG_DONTWAIT);
        if (n > 0) return got = static_cast<std::size_t>(n), boost::beast::error_code{};
        if (n == 0) return boost::asio::error::eof;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return boost::asio::error::would_block;
        return {errno, boost::system::system_category()};
    }
}

bool stamped_tcp::readable_now() {
    if (!sock_.is_open()) return false; // the wait fails at once (bad descriptor)
    char c;
    for (;;) {
        ssize_t n = ::recv(sock_.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n >= 0) return true;
        if (errno == EINTR) continue;
        return errno != EAGAIN && errno != EWOULDBLOCK;
    }
}

} // namespace rtb
