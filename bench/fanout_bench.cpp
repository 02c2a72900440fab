// What one delivery costs the server's thread, against the floor this
// machine allows, measured side by side in one process:
//
//   BM_Floor_Send/N/K   a bare sender: one send() per connection of K
//                       106-byte messages (K = 1: a message per system
//                       call; K = 10: ten per call) to N loopback TCP
//                       connections, kernel loopback work included.
//   BM_Fanout_<T>/N/G   rtbench's server publishing one 64-byte message to N
//                       subscribers of transport T (raw sockets that only
//                       drain), everything it does for it: the hub, the
//                       frame, the write, its completion; --max-gather G.
//
// Both report `cpu_ns_per_delivery`, the CPU time of the sending thread
// (CLOCK_THREAD_CPUTIME_ID) per message per connection; a drainer thread
// reads every connection on the other core so no send waits for space.
// BM_Fanout_* also reports `floor_ratio`: its figure over the floor's
// (K = 1, same N) measured just before it in the same process, the number
// issue 15 holds the server to (≤ 1.3).
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness/procstat.hpp"
#include "harness/transport.hpp"

namespace {
using namespace rtb;

std::int64_t thread_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
}

int connect_to(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    auto a = loopback(port);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        throw std::runtime_error("connect to 127.0.0.1 failed");
    return fd;
}

// Reads and discards everything that arrives on its sockets, on a thread
// of its own, until destroyed; closes them then.
class drainer {
public:
    drainer() : ep_(::epoll_create1(0)) {}
    ~drainer() {
        stop_ = true;
        if (t_.joinable()) t_.join();
        for (int fd : fds_) ::close(fd);
        ::close(ep_);
    }
    void add(int fd) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
        fds_.push_back(fd);
    }
    void start() {
        t_ = std::thread([this] {
            epoll_event evs[256];
            std::vector<char> buf(1 << 16);
            while (!stop_) {
                int n = ::epoll_wait(ep_, evs, 256, 20);
                for (int i = 0; i < n; ++i)
                    while (::read(evs[i].data.fd, buf.data(), buf.size()) > 0) {
                    }
            }
        });
    }

private:
    int ep_;
    std::vector<int> fds_;
    std::atomic<bool> stop_{false};
    std::thread t_;
};

// The floor: n loopback connections, k messages of 106 bytes per send().
// Returns the sender's CPU ns per message per connection over `rounds`.
double floor_ns(std::size_t n, std::size_t k, std::size_t rounds, std::vector<int>& tx) {
    std::string msg(106 * k, 'x');
    std::int64_t c0 = thread_cpu_ns();
    for (std::size_t r = 0; r < rounds; ++r)
        for (int fd : tx) ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
    return static_cast<double>(thread_cpu_ns() - c0) / static_cast<double>(rounds * n * k);
}

// n connected pairs: the sending ends (TCP_NODELAY, as rtbench's server
// sets) returned, the receiving ends handed to `d`.
std::vector<int> floor_pairs(std::size_t n, drainer& d) {
    int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    auto a = loopback(0);
    socklen_t len = sizeof a;
    if (::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(ls, 1024) != 0 ||
        ::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("listen on 127.0.0.1 failed");
    std::vector<int> tx;
    for (std::size_t i = 0; i < n; ++i) {
        d.add(connect_to(ntohs(a.sin_port)));
        int s = ::accept(ls, nullptr, nullptr);
        int one = 1;
        ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        tx.push_back(s);
    }
    ::close(ls);
    return tx;
}

void BM_Floor_Send(benchmark::State& st) {
    raise_fd_limit(); // 1,000 connections are 2,000 descriptors
    auto n = static_cast<std::size_t>(st.range(0)), k = static_cast<std::size_t>(st.range(1));
    drainer d;
    auto tx = floor_pairs(n, d);
    d.start();
    double cpu = 0;
    std::size_t rounds = 0;
    for (auto _ : st) {
        cpu += floor_ns(n, k, 1, tx);
        ++rounds;
    }
    st.counters["cpu_ns_per_delivery"] = cpu / static_cast<double>(rounds);
    st.SetItemsProcessed(static_cast<std::int64_t>(rounds * n * k));
    for (int fd : tx) ::close(fd);
}
BENCHMARK(BM_Floor_Send)->Args({100, 1})->Args({100, 10})->Args({1000, 1})->Args({1000, 10})->UseRealTime();

// The subscription request of each transport, raw.
std::string subscribe_request(std::string_view transport) {
    if (transport == "websocket")
        return "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (transport == "sse") return "GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    return "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

void fanout(benchmark::State& st, const char* transport) {
    raise_fd_limit();
    auto n = static_cast<std::size_t>(st.range(0));
    server_options opt;
    opt.max_gather = static_cast<std::size_t>(st.range(1));
    // The floor first, same N, in this process and moment: 200,000 sends
    // (about 0.6 s here; more only lengthened the smoke test by minutes
    // without moving the figure past its run-to-run spread).
    double floor = 0;
    {
        drainer d;
        auto tx = floor_pairs(n, d);
        d.start();
        std::size_t rounds = std::max<std::size_t>(50, 200'000 / n);
        floor_ns(n, 1, rounds / 10, tx); // warm
        floor = floor_ns(n, 1, rounds, tx);
        for (int fd : tx) ::close(fd);
    }
    boost::asio::io_context io(1);
    auto srv = make_server(io, opt, all_transports());
    srv->start();
    drainer d;
    auto req = subscribe_request(transport);
    for (std::size_t i = 0; i < n; ++i) {
        int fd = connect_to(srv->port());
        ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        d.add(fd);
    }
    d.start();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (srv->stats().subscribers < n) {
        if (std::chrono::steady_clock::now() > deadline) {
            st.SkipWithError("not every subscriber was accepted within 30 s (the open-file limit?)");
            for (auto _ : st) {
            }
            return;
        }
        io.run_for(std::chrono::milliseconds(10));
    }
    io.run_for(std::chrono::milliseconds(50)); // the answers' heads written
    auto to = *parse_target("all");
    std::string payload = make_payload(64);
    auto before = srv->stats();
    std::int64_t c0 = thread_cpu_ns();
    for (auto _ : st) {
        srv->publish(to, "b", payload);
        io.poll();
    }
    auto deliveries = static_cast<std::uint64_t>(st.iterations()) * n;
    while (srv->stats().frames_sent - before.frames_sent < deliveries && io.run_one_for(std::chrono::seconds(1))) {
    }
    double cpu = static_cast<double>(thread_cpu_ns() - c0) / static_cast<double>(deliveries);
    auto after = srv->stats();
    st.counters["cpu_ns_per_delivery"] = cpu;
    st.counters["floor_ns"] = floor;
    st.counters["floor_ratio"] = cpu / floor;
    st.counters["msgs_per_write"] = static_cast<double>(after.frames_sent - before.frames_sent) /
                                    static_cast<double>(std::max<std::uint64_t>(1, after.writes - before.writes));
    if (after.slow_consumers) st.SkipWithError("subscribers dropped as slow consumers: the drainer fell behind");
    st.SetItemsProcessed(static_cast<std::int64_t>(deliveries));
    srv->stop();
    io.run_for(std::chrono::milliseconds(100));
}

void BM_Fanout_Websocket(benchmark::State& st) { fanout(st, "websocket"); }
void BM_Fanout_Sse(benchmark::State& st) { fanout(st, "sse"); }
void BM_Fanout_Streaming(benchmark::State& st) { fanout(st, "streaming"); }
// N subscribers, --max-gather G (1: a message per write, as the floor's K = 1).
#define RTB_FANOUT_ARGS ->Args({100, 1})->Args({1000, 1})->Args({1000, 64})->UseRealTime()
BENCHMARK(BM_Fanout_Websocket) RTB_FANOUT_ARGS;
BENCHMARK(BM_Fanout_Sse) RTB_FANOUT_ARGS;
BENCHMARK(BM_Fanout_Streaming) RTB_FANOUT_ARGS;

} // namespace
