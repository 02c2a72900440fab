// What the server does with a request's bytes before any transport sees
// them: Beast's request parser with rtbench's limits, then the target
// parser and the router. Whatever the bytes, nothing crashes or reads out of
// bounds, and a request that parses has a target the router can take.
#include <cstdint>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "transports/common/query.hpp"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    http::request_parser<http::string_body> p;
    p.header_limit(8 * 1024);
    p.body_limit(64 * 1024 + 256);
    p.eager(true);
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    boost::beast::error_code ec;
    while (!rest.empty() && !p.is_done()) {
        auto n = p.put(boost::asio::buffer(rest.data(), rest.size()), ec);
        if (ec) break; // need_more (truncated) or a malformed request: the server answers 4xx
        rest.remove_prefix(n);
    }
    if (!p.is_header_done()) return 0;
    auto& req = p.get();
    if (auto q = rtb::parse_query(req.target())) {
        rtb::router<int> r;
        r.add("/sse", 1);
        r.add("/sockjs/{server}/{session}/xhr", 2);
        rtb::path_params params;
        (void)r.match(q->path, params);
    }
    for (auto& f : req) (void)f.value().size();
    return 0;
}
