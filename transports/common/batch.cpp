#include "transports/common/batch.hpp"

namespace rtb {

response batch_response(const request& req, const hub::replay& r, std::uint64_t cursor) {
    return batch_response(req.version(), req.keep_alive(), r, cursor);
}

response batch_response(unsigned version, bool keep_alive, const hub::replay& r, std::uint64_t cursor) {
    std::string body;
    std::size_t n = r.gap ? 48 : 0;
    for (auto& m : r.messages) n += m->body->size() + 1;
    body.reserve(n);
    if (r.gap) body += format_gap(r.gap->first, r.gap->last) + '\n';
    for (auto& m : r.messages) {
        body += *m->body;
        body += '\n';
    }
    auto res = make_response(version, keep_alive, http::status::ok, std::move(body));
    res.set(http::field::cache_control, "no-store");
    res.set("Rtb-Cursor", std::to_string(cursor));
    return res;
}

} // namespace rtb
