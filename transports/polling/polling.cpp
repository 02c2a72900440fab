// HTTP polling: GET /poll answers at once with every message newer than the
// cursor (possibly none). Wire format: README.md beside this file.
#include "transports/common/batch.hpp"
#include "transports/common/batch_client.hpp"

namespace rtb {
namespace {

void install(server_core& core) {
    core.add_route("/poll", [&core](const std::shared_ptr<http_session>& s, request&& req,
                                    const query& q) {
        if (req.method() != http::verb::get) return s->fail(http::status::method_not_allowed, "GET only\n");
        subscription_filter f;
        if (!read_filter(q, f)) return s->fail(http::status::bad_request, "bad id or rooms\n");
        std::optional<std::uint64_t> cursor;
        if (!read_cursor(s, q, cursor)) return;
        auto& hub = core.messages();
        // No cursor: a new client; it learns where "now" is and gets nothing.
        hub::replay r = cursor ? hub.since(*cursor, f) : hub::replay{};
        s->respond(batch_response(req, r, hub.head()));
    });
}

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev) {
    return std::make_shared<batch_client>(io, cfg, ev, "/poll", cfg.poll_interval,
                                          cfg.new_connection_per_poll);
}

} // namespace

extern const transport_descriptor polling_transport{
    "polling", "HTTP polling: GET /poll every interval, answered at once (possibly empty)",
    "/poll", false, true, &install, &make_client};

} // namespace rtb
