#include "transports/common/stream_route.hpp"

namespace rtb {

bool since_cursor(const std::shared_ptr<http_session>& s, const request&, const query& q,
                  std::optional<std::uint64_t>& out) {
    auto* v = q.get("since");
    if (!v) return true;
    std::uint64_t n = 0;
    if (!parse_u64(*v, n)) {
        s->fail(http::status::bad_request, "bad since\n");
        return false;
    }
    out = n;
    return true;
}

void serve_stream(server_core& core, const stream_route& r, const std::shared_ptr<http_session>& s,
                  request&& req, const query& q) {
    if (req.method() != http::verb::get) return s->fail(http::status::method_not_allowed, "GET only\n");
    if (req.version() != 11) return s->fail(http::status::bad_request, "HTTP/1.1 required (chunked)\n");
    subscription_filter f;
    if (!read_filter(q, f)) return s->fail(http::status::bad_request, "bad id or rooms\n");
    std::optional<std::uint64_t> cursor;
    if (!r.cursor(s, req, q, cursor)) return;
    auto& hub = core.messages();
    hub::replay replay = cursor ? hub.since(*cursor, f) : hub::replay{};
    std::optional<std::uint64_t> head;
    if (!cursor) head = hub.head();
    auto ps = std::make_shared<push_stream>(core, s->release(), r.slot, r.encode);
    ps->filter = std::move(f);
    ps->route = r.path;
    ps->start(r.preamble(core.options(), head), std::move(replay), r.heartbeat,
              core.options().sse_heartbeat);
}

} // namespace rtb
