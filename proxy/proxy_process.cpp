#include "proxy/proxy_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "harness/procstat.hpp"

extern char** environ;

namespace rtb {
namespace fs = std::filesystem;

namespace {

std::string read_all(const std::string& path) {
    std::ifstream f(path);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

// A free loopback port: bound, read, closed (nginx binds it right after;
// a start that loses the race is retried with another).
std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (fd >= 0) ::close(fd);
        throw std::runtime_error("no free loopback port for nginx");
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

bool accepts(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (fd >= 0) ::close(fd);
    return ok;
}

std::string tls_lines(const std::string& cert, const std::string& key, const std::string& version) {
    if (cert.empty()) return {};
    std::string protocols = version == "1.2" ? "TLSv1.2" : version == "1.3" ? "TLSv1.3" : "TLSv1.2 TLSv1.3";
    return fmt::format("        # TLS ends here; the upstream is plain HTTP.\n"
                       "        ssl_certificate {};\n"
                       "        ssl_certificate_key {};\n"
                       "        ssl_protocols {};\n",
                       cert, key, protocols);
}

} // namespace

proxy_spec parse_proxy(const std::string& s, const std::string& root) {
    proxy_spec p;
    if (s == "none" || s.empty()) return p;
    std::string kind = s == "nginx" ? "tuned" : s.rfind("nginx:", 0) == 0 ? s.substr(6) : "";
    if (kind.empty()) throw std::invalid_argument("unknown --via '" + s + "' (none, nginx, nginx:default, nginx:tuned or nginx:FILE)");
    if (kind == "default" || kind == "tuned") {
        p.name = "nginx:" + kind;
        p.config = (fs::path(root) / "proxy" / ("nginx-" + kind + ".conf")).string();
    } else {
        p.name = "nginx:" + fs::path(kind).filename().string();
        p.config = kind;
    }
    if (!fs::is_regular_file(p.config)) throw std::invalid_argument("--via " + s + ": no config file " + p.config);
    return p;
}

std::string find_nginx() {
    if (const char* e = std::getenv("RTBENCH_NGINX"); e && *e) return e;
    for (const char* p : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"})
        if (::access(p, X_OK) == 0) return p;
    throw std::runtime_error("nginx not found (needed by --via nginx): install Debian's nginx package with tools/setup "
                             "(or apt-get install nginx), or set RTBENCH_NGINX to its path");
}

proxy_process::proxy_process(const proxy_spec& spec, const std::string& dir, std::uint16_t upstream,
                             std::size_t connections, const std::string& cert_file, const std::string& key_file,
                             const std::string& tls_version)
    : dir_(dir) {
    std::string nginx = find_nginx();
    fs::create_directories(dir);
    std::string tmpl = read_all(spec.config);
    if (tmpl.empty()) throw std::runtime_error("cannot read " + spec.config);
    std::size_t conns = 2 * connections + 64; // each client's connection and its upstream one
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_port();
        std::string conf = tmpl;
        replace_all(conf, "@DIR@", dir);
        replace_all(conf, "@LISTEN@", fmt::format("127.0.0.1:{}{}", port_, cert_file.empty() ? "" : " ssl"));
        replace_all(conf, "@UPSTREAM@", std::to_string(upstream));
        replace_all(conf, "@CONNECTIONS@", std::to_string(conns));
        replace_all(conf, "@FILES@", std::to_string(conns + 64));
        replace_all(conf, "@TLS@", tls_lines(cert_file, key_file, tls_version));
        std::string conf_file = dir + "/nginx.conf";
        std::ofstream(conf_file) << conf;
        std::string log = dir + "/nginx.out";
        std::vector<std::string> args = {nginx, "-p", dir, "-c", conf_file, "-e", dir + "/error.log"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        pid_t pid = 0;
        int rc = posix_spawn(&pid, nginx.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) throw std::runtime_error("cannot start " + nginx);
        pid_ = pid;
        for (int i = 0; i < 500; ++i) {
            if (accepts(port_)) return;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (pid_ > 0) {
            stop();
            throw std::runtime_error("nginx did not start listening within 5 s (see " + dir + "/error.log)");
        }
        std::string err = read_all(dir + "/error.log") + read_all(log);
        if (err.find("Address already in use") == std::string::npos) {
            while (!err.empty() && err.back() == '\n') err.pop_back();
            auto nl = err.rfind('\n');
            throw std::runtime_error("nginx exited at start: " + (nl == std::string::npos ? err : err.substr(nl + 1)));
        }
    }
    throw std::runtime_error("nginx found no free port in 5 tries");
}

proxy_process::~proxy_process() { stop(); }

void proxy_process::stop() { stop_child(pid_, SIGTERM, 5000); } // SIGTERM: nginx's fast shutdown

} // namespace rtb
