#pragma once
// The route both chunked push streams share: validate, compute the replay,
// hand the socket to a push_stream.
#include "transports/common/push_stream.hpp"

namespace rtb {

struct stream_route {
    std::string_view path;
    frame_slot slot;
    push_stream::encoder encode;
    // Response header + preamble; `head` is set when the client sent no
    // cursor (it is told the current sequence number instead).
    std::string (*preamble)(const server_options& opt, std::optional<std::uint64_t> head);
    // Reads the resume cursor: false (after answering 400) when malformed.
    bool (*cursor)(const std::shared_ptr<http_session>& s, const request& req, const query& q,
                   std::optional<std::uint64_t>& out);
    std::string heartbeat; // written every sse_heartbeat when non-empty
};

void serve_stream(server_core& core, const stream_route& r, const std::shared_ptr<http_session>& s,
                  request&& req, const query& q);

// ?since=N (absent: start from now).
bool since_cursor(const std::shared_ptr<http_session>& s, const request& req, const query& q,
                  std::optional<std::uint64_t>& out);

} // namespace rtb
