// JSONP polling: GET /jsonp?callback=NAME&cursor=N, answered at once with a
// script that calls NAME with the cursor and the records since N — polling
// as browsers did it before CORS, through a <script> element, which may
// load from any origin. Wire format: README.md beside this file.
#include "transports/common/batch.hpp"
#include "transports/common/batch_client.hpp"
#include "transports/common/http_server.hpp"
#include "transports/jsonp-polling/jsonp_codec.hpp"

namespace rtb {
namespace {

using opt = transport_option;
// The same flag as polling's: one --poll-interval-ms drives both.
constexpr opt interval{"poll-interval-ms", opt::kind::number, opt::side::client, "ms", 1000, 3'600'000,
                       "polling: pause between an answer and the next poll"};
constexpr opt options[] = {interval};

// What Chrome sends for a <script src=...> of the same origin.
constexpr browser_request script_request{.fetch_mode = "no-cors", .fetch_dest = "script"};

void install(server_core& core) {
    core.add_route("/jsonp", [&core](const std::shared_ptr<http_session>& s, request&& req, const query& q) {
        auto sub = read_subscription(s, req, q, {"cursor"});
        if (!sub) return;
        auto* cb = q.get("callback");
        if (!cb || !jsonp::valid_callback(*cb))
            return s->fail(http::status::bad_request, "callback must be 1..64 of [A-Za-z0-9_$.]\n");
        auto& hub = core.messages();
        // No cursor: a new client; it learns where "now" is and gets nothing.
        // An answer holds at most max_answer_bytes of bodies (batch.hpp).
        hub::replay r = sub->cursor ? hub.since(*sub->cursor, sub->filter, SIZE_MAX, max_answer_bytes) : hub::replay{};
        std::vector<std::string> gap;
        std::vector<std::string_view> records;
        if (r.gap) records.push_back(gap.emplace_back(format_gap(r.gap->first, r.gap->last)));
        for (auto& m : r.messages) records.push_back(*m->body);
        auto next = sub->cursor ? r.next_cursor : hub.head();
        auto res = make_response(req, http::status::ok, jsonp::encode_answer(*cb, next, records),
                                 "application/javascript");
        res.set(http::field::cache_control, "no-store");
        s->respond(std::move(res));
    });
}

class jsonp_client final : public batch_client {
public:
    jsonp_client(asio::io_context& io, const client_config& cfg, client_events& ev)
        : batch_client(io, cfg, ev, "/jsonp", cfg.transport.ms(interval), false, script_request) {}

protected:
    std::string target() override {
        auto c = cursor();
        return make_target(path_, {"callback=cb", c ? "cursor=" + std::to_string(*c) : "", identity_query(cfg_)});
    }
    bool on_answer(const http::response<http::string_body>& res, std::int64_t kernel_ns) override {
        auto a = jsonp::decode_answer("cb", res.body());
        if (!a) return false;
        for (auto& r : a->records) emit(r, kernel_ns);
        advance_cursor(a->cursor);
        return true;
    }
};

std::shared_ptr<client_session> make_client(asio::io_context& io, const client_config& cfg,
                                            client_events& ev) {
    return std::make_shared<jsonp_client>(io, cfg, ev);
}

std::chrono::milliseconds max_wait(const option_values& client) { return client.ms(interval); }

} // namespace

extern const transport_descriptor jsonp_polling_transport{
    "jsonp-polling", "JSONP polling: GET /jsonp?callback=cb every interval, answered cb([cursor,\"msg\",...]);",
    "/jsonp", options, &install, &make_client, &max_wait};

} // namespace rtb
