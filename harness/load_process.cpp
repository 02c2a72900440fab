#include "harness/load_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "harness/clock.hpp"
#include "harness/message.hpp"
#include "harness/procstat.hpp"
#include "harness/split.hpp"

extern char** environ;

namespace rtb {

namespace {

std::uint64_t u64(std::string_view s) {
    std::uint64_t v = 0;
    if (!parse_u64(s, v)) throw std::invalid_argument(fmt::format("'{}' is not a count", s));
    return v;
}

std::int64_t i64(std::string_view s) {
    std::int64_t v = 0;
    if (!parse_i64(s, v)) throw std::invalid_argument(fmt::format("'{}' is not a number", s));
    return v;
}

double real(std::string_view s) {
    std::string t(s);
    char* end = nullptr;
    double v = std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size()) throw std::invalid_argument(fmt::format("'{}' is not a number", s));
    return v;
}

bool send_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string wire_text(const wire_bytes& w) {
    return fmt::format("{} {} {} {} {} {}", w.down, w.up, w.segs_in, w.segs_out, w.tls_down, w.tls_up);
}

} // namespace

std::string encode_windows(const std::vector<publisher_window>& wins) {
    std::string out;
    for (auto& w : wins) out += fmt::format("{}{}:{}:{}", out.empty() ? "" : " ", w.index, w.first, w.last);
    return out;
}

std::vector<publisher_window> decode_windows(std::string_view text) {
    std::vector<publisher_window> out;
    for (auto f : split_on(text, ' ')) {
        auto a = f.find(':'), b = f.rfind(':');
        if (a == std::string_view::npos || a == b) throw std::invalid_argument(fmt::format("'{}' is not I:F:L", f));
        out.push_back({static_cast<std::size_t>(u64(f.substr(0, a))), u64(f.substr(a + 1, b - a - 1)), u64(f.substr(b + 1))});
    }
    return out;
}

// ---- the harness's side ---------------------------------------------------------

load_process::load_process(const std::string& bin, const std::vector<std::string>& args, const std::string& log,
                           std::string name)
    : name_(std::move(name)), log_(log.empty() ? "/dev/null" : log) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        throw std::runtime_error(fmt::format("{}: socketpair: {}", name_, std::strerror(errno)));
    std::vector<std::string> all = {bin, "load-worker"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 0); // dup2 clears close-on-exec
    posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(sv[1]);
    if (rc != 0) {
        ::close(sv[0]);
        throw std::runtime_error(fmt::format("{}: cannot start {}: {}", name_, bin, std::strerror(rc)));
    }
    pid_ = pid;
    fd_ = sv[0];
    // Its clients are made before it answers: a bad argument shows here.
    try {
        ask("hello", 60);
    } catch (...) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        stop_child(pid_, SIGKILL, 1000);
        throw;
    }
}

load_process::~load_process() {
    if (fd_ >= 0) {
        send_all(fd_, "exit\n");
        ::close(fd_);
    }
    stop_child(pid_, 0, 10000); // it ends on "exit" or on its input closing
}

std::string load_process::ask(const std::string& command, double timeout_s) {
    if (fd_ < 0 || !send_all(fd_, command + "\n"))
        throw std::runtime_error(fmt::format("{} (pid {}) is gone; its log: {}", name_, pid_, log_));
    std::int64_t deadline = now_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
    for (;;) {
        if (auto nl = buf_.find('\n'); nl != std::string::npos) {
            std::string line = buf_.substr(0, nl);
            buf_.erase(0, nl + 1);
            if (line.rfind("error ", 0) == 0)
                throw std::runtime_error(fmt::format("{}: {}: {}", name_, command.substr(0, command.find(' ')), line.substr(6)));
            return line;
        }
        std::int64_t left = deadline - now_ns();
        if (left <= 0) {
            // A late answer must not pass for the next command's: no more commands.
            ::close(fd_);
            fd_ = -1;
            throw std::runtime_error(fmt::format("{} (pid {}) did not answer '{}' within {} s", name_, pid_,
                                                 command.substr(0, command.find(' ')), timeout_s));
        }
        pollfd p{fd_, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left / 1'000'000 + 1, 1000)));
        if (n < 0 && errno != EINTR) throw std::runtime_error(fmt::format("{}: poll: {}", name_, std::strerror(errno)));
        if (n <= 0) continue;
        char tmp[65536];
        ssize_t got = ::recv(fd_, tmp, sizeof tmp, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            ::close(fd_);
            fd_ = -1;
            throw std::runtime_error(fmt::format("{} (pid {}) exited during '{}'; its log: {}", name_, pid_,
                                                 command.substr(0, command.find(' ')), log_));
        }
        buf_.append(tmp, static_cast<std::size_t>(got));
    }
}

void load_process::start(std::size_t concurrency, double rate_hz) { ask(fmt::format("start {} {}", concurrency, rate_hz)); }

load_worker::progress load_process::connect_progress() {
    auto line = ask("progress");
    auto f = split_on(line, ' ');
    if (f.size() < 2) throw std::runtime_error(name_ + ": progress: '" + line + "'");
    progress p{u64(f[0]), u64(f[1]), {}};
    // The failure is the rest of the line after the two counts.
    auto at = static_cast<std::size_t>(f[1].data() - line.data()) + f[1].size();
    if (at < line.size()) p.failure = line.substr(at + 1);
    return p;
}

void load_process::set_window(std::int64_t ms, std::int64_t me) { ask(fmt::format("window {} {}", ms, me)); }

void load_process::start_echo(double rate_hz, std::int64_t t0, std::int64_t spread_ns) {
    ask(fmt::format("echo {} {} {}", rate_hz, t0, spread_ns));
}

std::vector<publisher_window> load_process::publisher_windows() { return decode_windows(ask("publishers")); }

wire_bytes load_process::mark_window(bool open) {
    auto line = ask(fmt::format("mark {}", open ? 1 : 0));
    auto f = split_on(line, ' ');
    if (f.size() != 6) throw std::runtime_error(name_ + ": mark: '" + line + "'");
    return {u64(f[0]), u64(f[1]), u64(f[2]), u64(f[3]), u64(f[4]), u64(f[5])};
}

std::uint64_t load_process::min_highest() { return u64(ask("min_highest")); }
bool load_process::echo_drained() { return ask("echo_drained") == "1"; }
bool load_process::broadcast_drained(const std::vector<publisher_window>& wins) {
    return ask("broadcast_drained " + encode_windows(wins)) == "1";
}
void load_process::close_all() { ask("close"); }
void load_process::stop() { ask("stop", 60); }

load_results load_process::results(const due_window& due) {
    return load_results::decode(ask(fmt::format("results {} {} {}", due.first, due.last, encode_windows(due.publishers)), 60));
}

// ---- the load process's side ------------------------------------------------------

namespace {

// Publisher windows placed at their publishers' indices, as the scenario keeps them.
std::vector<publisher_window> by_index(std::string_view text) {
    std::vector<publisher_window> out;
    for (auto& p : decode_windows(text)) {
        if (p.index >= out.size()) out.resize(p.index + 1);
        out[p.index] = p;
    }
    for (std::size_t i = 0; i < out.size(); ++i) out[i].index = i;
    return out;
}

std::string answer(load_worker& w, std::string_view line) {
    auto f = split_on(line, ' ');
    if (f.empty()) return "error an empty command";
    auto cmd = f[0];
    auto need = [&](std::size_t n) {
        if (f.size() < n + 1) throw std::invalid_argument(fmt::format("{} takes {} arguments", cmd, n));
    };
    auto rest = [&](std::size_t from) {
        if (f.size() <= from) return std::string_view();
        return line.substr(static_cast<std::size_t>(f[from].data() - line.data()));
    };
    if (cmd == "hello") return "ok";
    if (cmd == "start") return need(2), w.start(u64(f[1]), real(f[2])), "ok";
    if (cmd == "progress") {
        auto p = w.connect_progress();
        std::string why = p.failure;
        for (auto& c : why)
            if (c == '\n' || c == '\r') c = ' ';
        return fmt::format("{} {} {}", p.ready, p.stuck, why);
    }
    if (cmd == "window") return need(2), w.set_window(i64(f[1]), i64(f[2])), "ok";
    if (cmd == "echo") return need(3), w.start_echo(real(f[1]), i64(f[2]), i64(f[3])), "ok";
    if (cmd == "publishers") return encode_windows(w.publisher_windows());
    if (cmd == "mark") return need(1), wire_text(w.mark_window(f[1] == "1"));
    if (cmd == "min_highest") return std::to_string(w.min_highest());
    if (cmd == "echo_drained") return w.echo_drained() ? "1" : "0";
    if (cmd == "broadcast_drained") return w.broadcast_drained(by_index(rest(1))) ? "1" : "0";
    if (cmd == "close") return w.close_all(), "ok";
    if (cmd == "stop") return w.stop(), "ok";
    if (cmd == "results") {
        need(2);
        return w.results({u64(f[1]), u64(f[2]), by_index(rest(3))}).encode();
    }
    return fmt::format("error unknown command '{}'", cmd);
}

} // namespace

int serve_load_commands(load_worker& w, int in, int out) {
    std::string buf;
    char tmp[65536];
    for (;;) {
        auto nl = buf.find('\n');
        if (nl == std::string::npos) {
            ssize_t got = ::read(in, tmp, sizeof tmp);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) return 0; // the harness is gone: stop
            buf.append(tmp, static_cast<std::size_t>(got));
            continue;
        }
        std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (line == "exit") {
            send_all(out, "ok\n");
            return 0;
        }
        std::string reply;
        try {
            reply = answer(w, line);
        } catch (const std::exception& e) {
            reply = std::string("error ") + e.what();
        }
        if (!send_all(out, reply + "\n")) return 0;
    }
}

} // namespace rtb
