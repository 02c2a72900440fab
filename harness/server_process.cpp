#include "harness/server_process.hpp"

#include "harness/procstat.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "harness/control_client.hpp"
#include "harness/runner.hpp"
#include "harness/server_settings.hpp"

extern char** environ;

namespace rtb {

namespace fs = std::filesystem;

namespace {

// The server options given to `run` that this server takes: the core
// limits, the test hook, and the transport options its server declares
// (`rtbench serve`: every rtbench transport's; a peer: its own). Another
// option (a peer's, for `rtbench serve`) would stop it at start.
std::vector<std::string> options_for(const transport_descriptor& t, const std::vector<std::string>& given) {
    std::vector<std::span<const transport_option>> decls = {settings::core, settings::testing};
    if (t.peer_script.empty())
        for (auto* own : all_transports()) decls.push_back(own->options);
    else
        decls.push_back(t.options);
    auto takes = [&](std::string_view name) {
        for (auto d : decls)
            for (auto& o : d)
                if (o.name == name) return true;
        return false;
    };
    std::vector<std::string> out;
    for (std::size_t i = 0; i < given.size(); ++i) {
        bool value = i + 1 < given.size() && given[i + 1].substr(0, 2) != "--";
        if (takes(std::string_view(given[i]).substr(2))) {
            out.push_back(given[i]);
            if (value) out.push_back(given[i + 1]);
        }
        if (value) ++i;
    }
    return out;
}

// What a peer needs before it can start, as one line naming what is missing.
void check_peer(const run_settings& s, const transport_descriptor& t) {
    auto script = fs::path(s.root) / t.peer_script;
    if (!fs::exists(script))
        throw std::runtime_error(fmt::format("{}: its server {} is missing", t.name, script.string()));
    if (!fs::exists(fs::path(s.root) / "peers/node_modules/.package-lock.json"))
        throw std::runtime_error(fmt::format("{}: peers/node_modules is missing: run tools/setup (npm ci in peers/)", t.name));
    if (!s.tls.server_args.empty())
        throw std::runtime_error(fmt::format("{}: TLS to a peer is not built (its server speaks plain HTTP; "
                                             "--via nginx with --tls ends TLS in front of it)", t.name));
}

} // namespace

server_process::server_process(const run_settings& s, const transport_descriptor& t, std::size_t clients) {
    bool peer = !t.peer_script.empty();
    if (peer) check_peer(s, t);
    // The port file lives in a directory of our own (0700): a file name in
    // shared /tmp could be planted by another user, pointing the harness
    // (and its control token) at their server.
    char tmpl[] = "/tmp/rtbench-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("cannot create a private temporary directory");
    dir_ = tmpl;
    port_file_ = dir_ + "/port";
    // Control on, with a token of this server's own handed over in the
    // environment (argv would show it in `ps`).
    token_ = random_token();
    std::vector<std::string> env_strings = {std::string(control_token_env) + "=" + token_};
    for (char** e = environ; *e; ++e)
        if (std::string_view(*e).substr(0, std::strlen(control_token_env) + 1) != std::string(control_token_env) + "=")
            env_strings.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = {s.rtbench_bin, "serve", "--transport", std::string(t.name), "--threads",
                                     std::to_string(s.server_threads)};
    if (peer) args = {"node", (fs::path(s.root) / t.peer_script).string()};
    args.insert(args.end(), {"--port", "0", "--port-file", port_file_, "--control",
                             // a client holds three at most (a Socket.IO upgrade: GET,
                             // POST and the WebSocket) + slack
                             "--max-connections", std::to_string(std::max<std::size_t>(19000, clients * 3 + 16))});
    auto given = options_for(t, s.server_args);
    args.insert(args.end(), given.begin(), given.end());
    args.insert(args.end(), s.tls.server_args.begin(), s.tls.server_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    std::string log = s.server_log.empty() ? "/dev/null" : s.server_log;
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = 0;
    // A peer's node is looked up in PATH, as a shell would.
    int rc = peer ? posix_spawnp(&pid, "node", &fa, nullptr, argv.data(), envp.data())
                  : posix_spawn(&pid, s.rtbench_bin.c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0 && peer)
        throw std::runtime_error(fmt::format("{}: cannot start node ({}): Node.js is needed for peers (tools/setup)",
                                             t.name, std::strerror(rc)));
    if (rc != 0) throw std::runtime_error("cannot start the server process " + s.rtbench_bin);
    pid_ = pid;
    // The server writes its port to the file (atomically) once listening.
    for (int i = 0; i < 1000; ++i) {
        std::ifstream f(port_file_);
        unsigned p = 0, cp = 0;
        if (f >> p && p > 0) {
            port_ = static_cast<std::uint16_t>(p);
            if (f >> cp) control_port_ = static_cast<std::uint16_t>(cp);
            return;
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("the server process exited at start (see " + log + ")");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    throw std::runtime_error("the server process did not start listening within 10 s");
}

server_process::server_process(const external_target& t) : pid_(t.pid > 0 ? t.pid : -1), external_(true), port_(t.port) {}

server_process::~server_process() { stop(); }

std::string server_process::call(const std::string& method, const std::string& target, int timeout_ms) {
    if (external_) throw std::runtime_error("an external target has no control endpoint (" + target + ")");
    auto a = http_call("127.0.0.1", control_port(), method, target, token_, timeout_ms);
    if (a.status != 200) throw std::runtime_error(fmt::format("server answered {} to {}", a.status, target));
    return a.body;
}

void server_process::stop() {
    if (external_) return; // not ours: never signalled
    stop_child(pid_, SIGTERM, 5000);
    if (!port_file_.empty()) ::unlink(port_file_.c_str());
    if (!dir_.empty()) {
        ::unlink((port_file_ + ".tmp").c_str());
        ::rmdir(dir_.c_str());
    }
}

} // namespace rtb
