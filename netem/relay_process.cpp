#include "netem/relay_process.hpp"

#include "harness/procstat.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "harness/clock.hpp"

extern char** environ;

namespace rtb {

relay_process::relay_process(const std::string& rtbench_bin, const net_profile& net, std::uint16_t to_port,
                             const std::string& log, std::uint64_t seed) {
    // A relay that died must not kill us with SIGPIPE on the next command:
    // the write fails with EPIPE and says so.
    ::signal(SIGPIPE, SIG_IGN);
    int to_child[2], from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0) throw std::runtime_error("relay: cannot create a pipe");
    if (::pipe2(from_child, O_CLOEXEC) != 0) {
        ::close(to_child[0]), ::close(to_child[1]);
        throw std::runtime_error("relay: cannot create a pipe");
    }
    std::vector<std::string> args = {rtbench_bin, "relay", "--to-port", std::to_string(to_port),
                                     "--net", net_to_spec(net), "--seed", std::to_string(seed)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
    std::string err = log.empty() ? "/dev/null" : log;
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, rtbench_bin.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(to_child[0]);
    ::close(from_child[1]);
    in_ = to_child[1];
    out_ = from_child[0];
    if (rc != 0) {
        stop();
        throw std::runtime_error("cannot start the relay process " + rtbench_bin);
    }
    pid_ = pid;
    try {
        std::string first = read_line(10'000);
        if (first.rfind("port ", 0) != 0) throw std::runtime_error("no port");
        port_ = static_cast<std::uint16_t>(std::stoul(first.substr(5)));
    } catch (const std::exception& e) {
        stop(); // the destructor will not run: no child or pipe may outlive this
        throw std::runtime_error("the relay process did not start (" + std::string(e.what()) + "; see " + err + ")");
    }
}

relay_process::~relay_process() { stop(); }

std::string relay_process::read_line(int timeout_ms) {
    std::int64_t end = now_ns() + std::int64_t{timeout_ms} * 1'000'000;
    for (;;) {
        if (auto nl = pending_.find('\n'); nl != std::string::npos) {
            std::string line = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            return line;
        }
        std::int64_t left = end - now_ns();
        if (left <= 0) throw std::runtime_error("the relay process did not answer within " + std::to_string(timeout_ms) + " ms");
        pollfd p{out_, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left / 1'000'000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(out_, buf, sizeof buf);
        if (n <= 0) throw std::runtime_error("the relay process exited");
        pending_.append(buf, static_cast<std::size_t>(n));
    }
}

std::string relay_process::command(const std::string& cmd, bool answer) {
    std::string line = cmd + "\n";
    if (::write(in_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        throw std::runtime_error("the relay process is gone");
    return answer ? read_line(5'000) : std::string();
}

void relay_process::stop() {
    // Closing its stdin is the relay's signal to exit.
    if (in_ >= 0) ::close(in_), in_ = -1;
    stop_child(pid_, 0, 2000);
    if (out_ >= 0) ::close(out_), out_ = -1;
}

} // namespace rtb
