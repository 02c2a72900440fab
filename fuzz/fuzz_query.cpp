// The request-target parser and the router: any target either fails to
// parse or gives a path starting with '/', and routing it never crashes;
// a matched route's parameters are non-empty segments of the path.
#include <cstdint>
#include <string_view>

#include "transports/common/query.hpp"

namespace {
const rtb::router<int>& routes() {
    static const rtb::router<int> r = [] {
        rtb::router<int> x;
        int i = 0;
        for (auto p : {"/", "/poll", "/lp", "/stream", "/sse", "/ws", "/jsonp", "/send", "/stats", "/clock",
                       "/transports", "/control/publish", "/control/drop", "/control/stop", "/sockjs/info",
                       "/sockjs/{server}/{session}/xhr", "/sockjs/{server}/{session}/xhr_streaming",
                       "/sockjs/{server}/{session}/websocket", "/static/{file*}"})
            x.add(p, i++);
        return x;
    }();
    return r;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view target(reinterpret_cast<const char*>(data), size);
    auto q = rtb::parse_query(target);
    if (!q) return 0;
    if (q->path.empty() || q->path.front() != '/') __builtin_trap();
    rtb::path_params params;
    if (routes().match(q->path, params))
        for (auto& [name, value] : params)
            if (name.empty() || (value.empty() && name != "file")) __builtin_trap();
    for (auto& [k, v] : q->params) (void)q->get(k);
    return 0;
}
