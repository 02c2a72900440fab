#include "transports/common/control_auth.hpp"

#include <fmt/format.h>

namespace rtb {

namespace http = boost::beast::http;

namespace {
// Compares without an early exit, so the time taken says nothing about how
// much of a guessed token was right.
bool same_secret(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}
} // namespace

std::string foreign_host(const http::fields& h, std::string_view bind, unsigned port) {
    auto it = h.find(http::field::host);
    if (it == h.end()) return "no Host header";
    std::string_view host = it->value();
    // An IPv6 address names itself in brackets in a Host header.
    std::string bound = bind.find(':') == std::string_view::npos ? std::string(bind) : fmt::format("[{}]", bind);
    for (std::string_view name : {std::string_view("127.0.0.1"), std::string_view("localhost"),
                                  std::string_view("[::1]"), std::string_view(bound)})
        if (host == fmt::format("{}:{}", name, port)) return {};
    return fmt::format("Host '{}' is not this server", host);
}

std::optional<std::string> control_refusal(const http::fields& h, std::string_view token,
                                           std::string_view bind, unsigned port) {
    auto given = h.find(control_token_header);
    if (given == h.end() || !same_secret(given->value(), token))
        return fmt::format("missing or wrong {}", control_token_header);
    if (auto why = foreign_host(h, bind, port); !why.empty()) return why;
    // The page may come over TLS (serve --tls): a port serves one scheme, so
    // http:// and https:// with this Host both name this server.
    if (auto o = h.find(http::field::origin); o != h.end()) {
        auto host = h[http::field::host];
        if (o->value() != fmt::format("http://{}", host) && o->value() != fmt::format("https://{}", host))
            return fmt::format("foreign Origin '{}'", o->value());
    }
    return std::nullopt;
}

} // namespace rtb
