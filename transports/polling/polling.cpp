// HTTP polling: GET /poll answers at once with every message newer than the
// cursor (possibly none). Wire format: README.md beside this file.
#include "transports/common/batch.hpp"
#include "transports/common/batch_client.hpp"

namespace rtb {
namespace {

using opt = transport_option;
constexpr opt interval{"poll-interval-ms", opt::kind::number, opt::side::client, "ms", 1000, 3'600'000,
                       "polling: pause between an answer and the next poll"};
constexpr opt per_poll{"new-connection-per-poll", opt::kind::flag, opt::side::client, "", 0, 1,
                       "polling: a new TCP connection per poll (no keep-alive)"};
constexpr opt options[] = {interval, per_poll};

void install(server_core& core) {
    core.add_route("/poll", [&core](const std::shared_ptr<http_session>& s, request&& req,
                                    const query& q) {
        auto sub = read_subscription(s, req, q, batch_cursor);
        if (!sub) return;
        auto& hub = core.messages();
        // No cursor: a new client; it learns where "now" is and gets nothing.
        if (!sub->cursor) return s->respond(batch_response(req, {}, hub.head()));
        auto r = hub.since(*sub->cursor, sub->filter, SIZE_MAX, max_answer_bytes);
        s->respond(batch_response(req, r, r.next_cursor));
    });
}

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev) {
    return std::make_shared<batch_client>(io, cfg, ev, "/poll", cfg.transport.ms(interval),
                                          cfg.transport.flag(per_poll));
}

// A message published just after an answer waits a whole interval.
std::chrono::milliseconds max_wait(const option_values& client) { return client.ms(interval); }

} // namespace

extern const transport_descriptor polling_transport{
    "polling", "HTTP polling: GET /poll every interval, answered at once (possibly empty)",
    "/poll", options, &install, &make_client, &max_wait};

} // namespace rtb
