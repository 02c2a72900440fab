#include "harness/sockmem.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <vector>

namespace rtb {

namespace {

constexpr std::uint32_t tcp_listen_state = 10; // TCP_LISTEN in the kernel's numbering

// One dump of `family`'s TCP sockets, summed into `out`; false on failure.
// `filtered`: the kernel keeps only the port's sockets (a bytecode filter,
// as `ss sport = :N` sends), so a run with 200,000 sockets on loopback
// does not copy them all to this process for each server port (seen: 2 s
// of the run process's CPU in a 3 s window at 100,000 connections).
bool dump(int fd, std::uint8_t family, std::uint16_t port, bool filtered, socket_memory& out) {
    struct {
        nlmsghdr nlh;
        inet_diag_req_v2 req;
        rtattr filter;
        // sport >= port, then sport <= port: each op is followed by one that
        // holds the port; a failed test jumps past the end (reject).
        inet_diag_bc_op ops[4];
    } q{};
    q.nlh.nlmsg_len = filtered ? sizeof q : offsetof(decltype(q), filter);
    q.filter.rta_type = INET_DIAG_REQ_BYTECODE;
    q.filter.rta_len = RTA_LENGTH(sizeof q.ops);
    q.ops[0] = {INET_DIAG_BC_S_GE, 2 * sizeof(inet_diag_bc_op), 4 * sizeof(inet_diag_bc_op) + 4};
    q.ops[1] = {0, 0, port};
    q.ops[2] = {INET_DIAG_BC_S_LE, 2 * sizeof(inet_diag_bc_op), 2 * sizeof(inet_diag_bc_op) + 4};
    q.ops[3] = {0, 0, port};
    q.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    q.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    q.req.sdiag_family = family;
    q.req.sdiag_protocol = IPPROTO_TCP;
    q.req.idiag_states = 0xfff & ~(1u << tcp_listen_state); // every state but LISTEN
    q.req.idiag_ext = 1 << (INET_DIAG_SKMEMINFO - 1);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd, &q, sizeof q, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) return false;
    std::vector<char> buf(64 * 1024);
    for (;;) {
        ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        auto* h = reinterpret_cast<nlmsghdr*>(buf.data());
        for (auto len = static_cast<unsigned>(n); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE) return true;
            if (h->nlmsg_type == NLMSG_ERROR) return false;
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) return false;
            auto* m = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
            if (ntohs(m->id.idiag_sport) != port) continue;
            ++out.sockets;
            auto alen = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
            for (auto* a = reinterpret_cast<rtattr*>(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                // A kernel older than these headers may send fewer counters:
                // the four read here are among the first of every version.
                if (a->rta_type != INET_DIAG_SKMEMINFO || RTA_PAYLOAD(a) < (SK_MEMINFO_OPTMEM + 1) * sizeof(std::uint32_t))
                    continue;
                std::uint32_t v[SK_MEMINFO_VARS] = {};
                std::memcpy(v, RTA_DATA(a), std::min<std::size_t>(RTA_PAYLOAD(a), sizeof v));
                out.bytes += std::uint64_t{v[SK_MEMINFO_RMEM_ALLOC]} + v[SK_MEMINFO_WMEM_QUEUED] +
                             v[SK_MEMINFO_FWD_ALLOC] + v[SK_MEMINFO_OPTMEM];
            }
        }
    }
}

} // namespace

std::optional<socket_memory> tcp_socket_memory(std::uint16_t local_port) {
    int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return std::nullopt;
    socket_memory m;
    bool ok = dump(fd, AF_INET, local_port, true, m) && dump(fd, AF_INET6, local_port, true, m);
    if (!ok) { // a kernel that refused the filter: every socket, filtered here
        m = {};
        ok = dump(fd, AF_INET, local_port, false, m) && dump(fd, AF_INET6, local_port, false, m);
    }
    ::close(fd);
    if (!ok) return std::nullopt;
    return m;
}

} // namespace rtb
