#include "transports/common/batch.hpp"

namespace rtb {

response batch_response(const request& req, const hub::replay& r, std::uint64_t cursor) {
    std::string body;
    std::size_t n = r.gap ? 48 : 0;
    for (auto& m : r.messages) n += m->body->size() + 1;
    body.reserve(n);
    if (r.gap) body += format_gap(r.gap->first, r.gap->last) + '\n';
    for (auto& m : r.messages) {
        body += *m->body;
        body += '\n';
    }
    auto res = make_response(req, http::status::ok, std::move(body));
    res.set(http::field::cache_control, "no-store");
    res.set("Rtb-Cursor", std::to_string(cursor));
    return res;
}

bool read_cursor(const std::shared_ptr<http_session>& s, const query& q,
                 std::optional<std::uint64_t>& cursor) {
    auto* c = q.get("cursor");
    if (!c) return true;
    std::uint64_t v = 0;
    if (!parse_u64(*c, v)) {
        s->fail(http::status::bad_request, "bad cursor\n");
        return false;
    }
    cursor = v;
    return true;
}

} // namespace rtb
