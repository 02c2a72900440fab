// The harness's remote control of a server process: start and stop the
// constant-rate publisher, drop every connection of one route.
#include <fmt/format.h>

#include "harness/clock.hpp"
#include "transports/common/control_auth.hpp"
#include "transports/common/http_server.hpp"

namespace rtb {

namespace {

// Every control route: POST only (it changes state), and only for a
// request control_refusal() lets through (token, Host, Origin).
void add_control_route(server_core& core, std::string_view path, route_handler h) {
    core.add_route(path, [&core, h = std::move(h)](const std::shared_ptr<http_session>& s, request&& req,
                                                    const query& q) {
        unsigned port = s->control_only() ? core.control_port() : core.port();
        if (auto why = control_refusal(req.base(), core.options().control_token, core.options().bind, port))
            return s->fail(http::status::forbidden, "control refused: " + *why + "\n");
        if (req.method() != http::verb::post) return s->fail(http::status::method_not_allowed, "POST only\n");
        h(s, std::move(req), q);
    });
}

// Answers with the process's figures once the change is made (with several
// loops: on the publisher's loop, and the figures gathered from all).
std::function<void()> answer_with_stats(server_core& core, const std::shared_ptr<http_session>& s,
                                        const request& req) {
    return [&core, s, version = req.version(), keep = req.keep_alive()] {
        core.with_stats_json([s, version, keep](std::string json) {
            s->respond(make_response(version, keep, http::status::ok, std::move(json), "application/json"));
        });
    };
}

void publish_route(server_core& core, const std::shared_ptr<http_session>& s, request&& req,
                   const query& q) {
    // POST /control/publish?rate=HZ&payload=BYTES[&to=T][&count=N][&kind=pattern|random|json][&t0=NS]
    // t0: the first message's due time on CLOCK_MONOTONIC (the harness's
    // now_ns()), so that server processes on one machine publish on one
    // schedule: each message number is due at the same instant on all.
    double rate = 0;
    std::uint64_t payload = 0, count = 0;
    auto* r = q.get("rate");
    auto* p = q.get("payload");
    try {
        std::size_t used = 0;
        rate = r ? std::stod(*r, &used) : 0;
        if (r && used != r->size()) rate = 0;
    } catch (...) {
        rate = 0;
    }
    if (!publisher::valid_rate(rate))
        return s->fail(http::status::bad_request,
                       fmt::format("rate must be a number in (0, {:g}] messages/s\n", publisher::max_rate_hz));
    if (!p || !parse_u64(*p, payload) || payload > core.options().max_message)
        return s->fail(http::status::bad_request, "payload must be a byte count up to --max-message\n");
    if (auto* c = q.get("count"); c && !parse_u64(*c, count))
        return s->fail(http::status::bad_request, "bad count\n");
    auto to = parse_target(q.get("to") ? *q.get("to") : std::string("all"));
    if (!to) return s->fail(http::status::bad_request, "bad target\n");
    auto kind = parse_payload_kind(q.get("kind") ? *q.get("kind") : std::string("pattern"));
    if (!kind) return s->fail(http::status::bad_request, "kind must be pattern, random or json\n");
    std::int64_t t0 = 0;
    if (auto* t = q.get("t0")) {
        // Far from now is a clock from elsewhere, not this machine's.
        constexpr std::int64_t slack = 10'000'000'000;
        if (!parse_i64(*t, t0) || t0 <= 0 || t0 < now_ns() - slack || t0 > now_ns() + slack)
            return s->fail(http::status::bad_request, "t0 must be a CLOCK_MONOTONIC time in ns within 10 s of now\n");
    }
    core.on_publisher_loop([rate, payload, to = *to, count, kind = *kind, t0](server_core& c) {
        c.start_publisher(rate, payload, to, count, kind, t0);
    }, answer_with_stats(core, s, req));
}

} // namespace

void install_control_routes(server_core& core) {
    if (core.options().control_token.empty())
        throw std::invalid_argument("control needs a token (server_options::control_token)");
    add_control_route(core, "/control/publish",
                      [&core](const std::shared_ptr<http_session>& s, request&& req, const query& q) {
                          publish_route(core, s, std::move(req), q);
                      });
    // Server-side disconnect of every connection on one route (tests resume).
    add_control_route(core, "/control/drop",
                      [&core](const std::shared_ptr<http_session>& s, request&& req, const query& q) {
                          auto* path = q.get("path");
                          if (!path) return s->fail(http::status::bad_request, "POST /control/drop?path=/route\n");
                          core.drop_everywhere(*path, [s, version = req.version(), keep = req.keep_alive()](std::size_t n) {
                              s->respond(make_response(version, keep, http::status::ok, std::to_string(n) + "\n"));
                          });
                      });
    add_control_route(core, "/control/stop",
                      [&core](const std::shared_ptr<http_session>& s, request&& req, const query&) {
                          core.on_publisher_loop([](server_core& c) { c.pub().stop(); },
                                                 answer_with_stats(core, s, req));
                      });
}

} // namespace rtb
