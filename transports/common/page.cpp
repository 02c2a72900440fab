// The live page at "/" (every installed transport from the browser's own
// APIs), the server's CLOCK_MONOTONIC that it reads to estimate latency,
// and /transports, the list it builds its rows from.
#include <fmt/format.h>

#include "harness/clock.hpp"
#include "harness/report.hpp"
#include "transports/common/control_auth.hpp"
#include "transports/common/http_server.hpp"

namespace rtb {

extern const char page_html[]; // page_html.cpp, generated from page.html + transports/*/page.js

namespace {
std::string transports_json(const server_core& core) {
    std::string out = "[";
    for (auto* t : core.transports()) {
        if (out.size() > 1) out += ',';
        out += fmt::format(R"({{"name":"{}","path":"{}","description":"{}"}})",
                           json_escape(std::string(t->name)), json_escape(std::string(t->path)),
                           json_escape(std::string(t->description)));
    }
    return out + "]\n";
}

// The page, with the control token when control is on, the server listens
// on loopback only, and the request names this server: the page uses
// /control/drop to prove that clients resume. A page on another origin
// cannot read it (same-origin policy), a DNS-rebinding one names its own
// host, and on a non-loopback bind it is never given out (any client can
// write any Host header there).
std::string page_for(const server_core& core, const request& req) {
    std::string html = page_html;
    constexpr std::string_view marker = "%%CONTROL_TOKEN%%";
    std::string token;
    if (core.options().control && is_loopback(core.options().bind) &&
        foreign_host(req.base(), core.options().bind, core.port()).empty())
        token = core.options().control_token;
    if (auto at = html.find(marker); at != std::string::npos) html.replace(at, marker.size(), token);
    return html;
}
} // namespace

void install_page_routes(server_core& core) {
    core.add_route("/", [&core](const std::shared_ptr<http_session>& s, request&& req, const query&) {
        if (req.method() != http::verb::get) return s->fail(http::status::method_not_allowed, "GET only\n");
        auto res = make_response(req, http::status::ok, page_for(core, req), "text/html; charset=utf-8");
        res.set(http::field::cache_control, "no-store");
        s->respond(std::move(res));
    });
    core.add_route("/clock", [](const std::shared_ptr<http_session>& s, request&& req, const query&) {
        auto res = make_response(req, http::status::ok, std::to_string(now_ns()));
        res.set(http::field::cache_control, "no-store");
        s->respond(std::move(res));
    });
    core.add_route("/transports", [&core](const std::shared_ptr<http_session>& s, request&& req, const query&) {
        auto res = make_response(req, http::status::ok, transports_json(core), "application/json");
        res.set(http::field::cache_control, "no-store");
        s->respond(std::move(res));
    });
}

} // namespace rtb
