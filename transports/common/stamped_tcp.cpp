#include "transports/common/stamped_tcp.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

#include <sys/socket.h>

#include "harness/clock.hpp"

namespace rtb {

namespace {
// The kernel stamps with CLOCK_REALTIME; rtbench's times are
// CLOCK_MONOTONIC. The age of the stamp is the same on both clocks (read
// now, within nanoseconds of each other), barring a step of the wall clock
// between the packet's arrival and this read.
std::int64_t realtime_to_monotonic(const timespec& stamp) {
    timespec rt{};
    ::clock_gettime(CLOCK_REALTIME, &rt);
    std::int64_t mono = now_ns();
    std::int64_t age = (static_cast<std::int64_t>(rt.tv_sec) - stamp.tv_sec) * 1'000'000'000 + (rt.tv_nsec - stamp.tv_nsec);
    return mono - std::max<std::int64_t>(0, age);
}
} // namespace

bool stamped_tcp::enable_stamps() {
    int one = 1;
    stamps_ = ::setsockopt(tcp_.socket().native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;
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
        ssize_t n = ::recvmsg(tcp_.socket().native_handle(), &m, MSG_DONTWAIT);
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

} // namespace rtb
