#include "harness/control_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

#include <boost/asio/ip/address.hpp>
#include <cstring>
#include <stdexcept>

namespace rtb {

std::string random_token() {
    unsigned char b[16];
    if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b))
        throw std::runtime_error("getrandom failed: cannot make a control token");
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    for (unsigned char c : b) s += hex[c >> 4], s += hex[c & 15];
    return s;
}

bool valid_token(std::string_view token) {
    if (token.size() < 16) return false;
    for (char c : token)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return true;
}

bool is_loopback(const std::string& address) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(address, ec);
    return !ec && a.is_loopback();
}

control_answer http_call(const std::string& host, std::uint16_t port, const std::string& method,
                         const std::string& target, const std::string& token, int timeout_ms) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("control: socket: " + std::string(std::strerror(errno)));
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        throw std::runtime_error("control: cannot connect to " + host + ":" + std::to_string(port));
    }
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                      "\r\nContent-Length: 0\r\nConnection: close\r\n";
    if (!token.empty()) req += std::string(control_token_header) + ": " + token + "\r\n";
    req += "\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        ::close(fd);
        throw std::runtime_error("control: send failed");
    }
    std::string resp;
    char buf[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        resp.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    control_answer ans;
    if (resp.size() < 12 || resp.compare(0, 5, "HTTP/") != 0)
        throw std::runtime_error("control: no HTTP answer to " + target);
    ans.status = std::atoi(resp.c_str() + 9);
    auto p = resp.find("\r\n\r\n");
    if (p != std::string::npos) ans.body = resp.substr(p + 4);
    return ans;
}

std::optional<double> json_number(const std::string& json, const std::string& key) {
    auto p = json.find("\"" + key + "\":");
    if (p == std::string::npos) return std::nullopt;
    const char* s = json.c_str() + p + key.size() + 3;
    char* end = nullptr;
    double v = std::strtod(s, &end);
    if (end == s) return std::nullopt;
    return v;
}

} // namespace rtb

namespace rtb {
std::optional<std::int64_t> json_int(const std::string& json, const std::string& key) {
    auto p = json.find("\"" + key + "\":");
    if (p == std::string::npos) return std::nullopt;
    const char* s = json.c_str() + p + key.size() + 3;
    char* end = nullptr;
    long long v = std::strtoll(s, &end, 10);
    if (end == s) return std::nullopt;
    return v;
}
} // namespace rtb
