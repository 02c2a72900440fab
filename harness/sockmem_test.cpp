// tcp_socket_memory on a case with a known answer: three connections to
// a listener, each holding 10,000 bytes its server side never reads; and
// the same figure as ss computes from the same kernel counters.
#include "harness/sockmem.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

// What `ss -tm` shows for the connected sockets on local port `port`,
// summed as tcp_socket_memory sums them (skmem r + w + f + o).
std::uint64_t ss_bytes(std::uint16_t port, int& sockets) {
    std::string cmd = "ss -tmnH state connected '( sport = :" + std::to_string(port) + " )' 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (p && std::fgets(buf, sizeof buf, p)) out += buf;
    if (p) ::pclose(p);
    std::uint64_t sum = 0;
    sockets = 0;
    // skmem:(r<rmem_alloc>,rb<rcvbuf>,t<wmem_alloc>,tb<sndbuf>,f<fwd_alloc>,w<wmem_queued>,o<optmem>,...)
    for (auto at = out.find("skmem:("); at != std::string::npos; at = out.find("skmem:(", at + 1)) {
        unsigned long long r = 0, rb = 0, t = 0, tb = 0, f = 0, w = 0, o = 0;
        if (std::sscanf(out.c_str() + at, "skmem:(r%llu,rb%llu,t%llu,tb%llu,f%llu,w%llu,o%llu", &r, &rb, &t, &tb, &f,
                        &w, &o) != 7)
            continue;
        ++sockets;
        sum += r + f + w + o;
    }
    return sum;
}

} // namespace

TEST(SocketMemory, CountsUnreadDataAndAgreesWithSs) {
    int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(ls, 8), 0);
    ASSERT_EQ(::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len), 0);
    std::uint16_t port = ntohs(a.sin_port);

    auto idle = rtb::tcp_socket_memory(port);
    ASSERT_TRUE(idle) << "NETLINK_SOCK_DIAG unavailable";
    EXPECT_EQ(idle->sockets, 0u) << "the listener is not a connection";

    std::vector<int> clients, servers;
    std::string data(10'000, 'x');
    for (int i = 0; i < 3; ++i) {
        int c = ::socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        servers.push_back(::accept(ls, nullptr, nullptr));
        ASSERT_EQ(::send(c, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
        clients.push_back(c);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // on loopback the bytes are there at once
    auto m = rtb::tcp_socket_memory(port);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->sockets, 3u) << "the server's side of each connection, not the clients'";
    EXPECT_GE(m->bytes, 3 * data.size()) << "each holds its unread 10,000 bytes (as their truesize)";
    int ss_sockets = 0;
    std::uint64_t ss = ss_bytes(port, ss_sockets);
    EXPECT_EQ(ss_sockets, 3) << "ss (iproute2) sees the same sockets";
    EXPECT_EQ(m->bytes, ss) << "and the same memory";

    for (int fd : clients) ::close(fd);
    for (int fd : servers) ::close(fd);
    ::close(ls);
}
