#include "tools/target.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "tools/cli_common.hpp"

namespace rtb {
std::vector<std::string_view> words(std::string_view list) {
    std::vector<std::string_view> out;
    while (!list.empty()) {
        auto sp = list.find(' ');
        out.push_back(list.substr(0, sp));
        list.remove_prefix(sp == std::string_view::npos ? list.size() : sp + 1);
    }
    return out;
}

bool lists(std::string_view list, std::string_view word) {
    auto w = words(list);
    return std::find(w.begin(), w.end(), word) != w.end();
}

bool tls_scheme(std::string_view scheme) { return scheme == "wss" || scheme == "https"; }

namespace {

// The schemes the transports' clients speak, for the message that lists them.
std::string known_schemes() {
    std::string out;
    for (auto* t : all_transports())
        if (!t->target_schemes.empty()) out += (out.empty() ? "" : " ") + std::string(t->target_schemes);
    return out;
}

// Every address `host` names (numeric or resolved), as text, IPv4 first:
// "localhost" is often ::1 first, and servers often listen on 127.0.0.1 only.
std::vector<std::string> resolve(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0)
        throw std::runtime_error(fmt::format("--target: cannot resolve '{}': {}", host, ::gai_strerror(rc)));
    std::vector<std::string> v4, v6;
    for (auto* a = res; a; a = a->ai_next) {
        char buf[NI_MAXHOST] = {};
        if (::getnameinfo(a->ai_addr, a->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) != 0) continue;
        auto& to = a->ai_family == AF_INET ? v4 : v6;
        if (std::find(to.begin(), to.end(), buf) == to.end()) to.push_back(buf);
    }
    ::freeaddrinfo(res);
    v4.insert(v4.end(), v6.begin(), v6.end());
    if (v4.empty()) throw std::runtime_error(fmt::format("--target: '{}' resolved to no address", host));
    return v4;
}

// One TCP connect within timeout_s: 0, or the errno that ended it.
int try_connect(const std::string& host, std::uint16_t port, double timeout_s) {
    addrinfo hints{};
    hints.ai_flags = AI_NUMERICHOST;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return EINVAL;
    int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0 && ::connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            int n = ::poll(&p, 1, static_cast<int>(timeout_s * 1000));
            socklen_t len = sizeof err;
            if (n == 0) err = ETIMEDOUT;
            else if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
    }
    ::freeaddrinfo(res);
    if (fd >= 0) ::close(fd);
    return err;
}

std::string host_port(const std::string& host, std::uint16_t port) {
    return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

} // namespace

const transport_descriptor* target_transport(const std::string& scheme) {
    for (auto* t : all_transports())
        if (lists(t->target_schemes, scheme)) return t;
    return nullptr;
}

external_target parse_target_url(const std::string& url, bool any_host) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed || !parsed->has_authority() || parsed->host_address().empty())
        throw usage_error(fmt::format("--target: '{}' is not a URL (scheme://host[:port][/path][?query])", url));
    const auto& u = *parsed;
    external_target t;
    t.url = url;
    t.scheme = std::string(u.scheme());
    for (auto& c : t.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!target_transport(t.scheme))
        throw usage_error(fmt::format("--target: rtbench's clients do not speak {}:// (they speak: {})", t.scheme,
                                      known_schemes()));
    if (u.has_userinfo()) throw usage_error("--target: user information in the URL is not supported: " + url);
    t.host_name = std::string(u.host_address());
    if (u.has_port()) {
        if (u.port_number() == 0) throw usage_error("--target: port 0 in " + url);
        t.port = u.port_number();
    } else {
        t.port = tls_scheme(t.scheme) ? 443 : 80;
    }
    std::string target = std::string(u.encoded_target());
    t.request_target = target.empty() ? "/" : target;
    t.authority = std::string(u.encoded_authority());
    t.addresses = resolve(t.host_name);
    // Every address it names must be on loopback: the run uses whichever answers.
    for (auto& address : t.addresses) {
        boost::system::error_code ec;
        auto a = boost::asio::ip::make_address(address, ec);
        if (ec) throw std::runtime_error(fmt::format("--target: '{}' resolved to '{}', not an address", t.host_name, address));
        if (!any_host && !a.is_loopback())
            throw usage_error(fmt::format("--target: {} ({}) is not a loopback address: rtbench sends load only to "
                                          "127.0.0.0/8 and ::1 unless --target-any-host says the server is yours to load",
                                          t.host_name, address));
    }
    t.host = t.addresses.front();
    return t;
}

void check_reachable(external_target& t, double timeout_s) {
    int err = EINVAL;
    for (auto& address : t.addresses) {
        err = try_connect(address, t.port, timeout_s);
        if (err == 0) {
            t.host = address;
            return;
        }
    }
    std::string where = host_port(t.addresses.back(), t.port);
    if (t.addresses.size() > 1) where = fmt::format("{} (nor at any of the {} addresses of {})", where, t.addresses.size(), t.host_name);
    if (err == ECONNREFUSED)
        throw std::runtime_error(fmt::format("target {}: nothing listens on {} (connection refused)", t.url, where));
    if (err == ETIMEDOUT)
        throw std::runtime_error(fmt::format("target {}: no answer from {} within {:g} s", t.url, where, timeout_s));
    throw std::runtime_error(fmt::format("target {}: cannot connect to {}: {}", t.url, where, std::strerror(err)));
}

namespace {

// The first outcome of one session: ready, or the reason it closed.
struct first_outcome final : client_events {
    explicit first_outcome(boost::asio::io_context& io) : io(io) {}
    void on_ready(client_session&) override { ready = true, io.stop(); }
    void on_message(client_session&, std::string_view, receive_times) override {}
    void on_closed(client_session&, std::string_view w) override { why = std::string(w), io.stop(); }
    boost::asio::io_context& io;
    bool ready = false;
    std::string why;
};

} // namespace

void check_target_client(const external_target& t, const transport_descriptor& client, client_config cfg,
                         double timeout_s) {
    boost::asio::io_context io;
    first_outcome ev(io);
    cfg.host = t.host;
    cfg.port = t.port;
    cfg.target = t.request_target;
    cfg.authority = t.authority;
    auto s = client.make_client(io, cfg, ev);
    s->start();
    io.run_for(std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000)));
    s->close();
    s.reset();
    if (ev.ready) return;
    if (!ev.why.empty()) throw std::runtime_error(fmt::format("target {}: {}", t.url, ev.why));
    throw std::runtime_error(fmt::format("target {}: not ready within {:g} s (TCP connected; no answer to the {} "
                                         "handshake)", t.url, timeout_s, client.name));
}

} // namespace rtb
