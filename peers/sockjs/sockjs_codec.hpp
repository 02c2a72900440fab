#pragma once
// SockJS frames (the sockjs-protocol 0.3.x document), as far as rtbench's
// SockJS client speaks them (README.md beside this file has the bytes). No
// Beast, no JSON library: the client decodes every frame on the load
// generator's hot path, and these are the only shapes it meets.
#include <string>
#include <string_view>
#include <vector>

namespace rtb::sockjs {

// A frame from the server: its first character says what it is.
//   o          the session is open
//   h          a heartbeat
//   a[...]     messages: a JSON array of strings
//   c[...]     the session is closed: [code,"reason"]
enum class frame_kind { open, heartbeat, messages, close, bad };
frame_kind kind_of(std::string_view frame);

// The messages of an a[...] frame, unescaped, into `out` (cleared first).
// False for a malformed frame.
bool parse_messages(std::string_view frame, std::vector<std::string>& out);

// What a client sends (a WebSocket message, an xhr_send body): a JSON array
// of the records, each a string.
template <class Records>
std::string send_frame(const Records& records);
std::string send_frame_of(std::string_view record);

// The line the xhr_streaming transport sends first: 2048 'h' (SockJS's
// prelude, so that old browsers start handing the response to the page),
// then '\n'. Not a frame: the client skips it.
inline constexpr std::size_t prelude_bytes = 2049;
bool is_prelude(std::string_view line);

// A session's transport URL: /<prefix>/<server>/<session>/<transport>.
// The server id is 3 digits and the session id 8 characters of [a-z0-9], as
// sockjs-client makes them.
std::string session_path(std::string_view prefix, unsigned server, std::string_view session,
                         std::string_view transport);
unsigned random_server_id();
std::string random_session_id();

} // namespace rtb::sockjs

#include "peers/common/json_string.hpp"

namespace rtb::sockjs {
template <class Records>
std::string send_frame(const Records& records) {
    std::string s = "[";
    for (const auto& r : records) {
        if (s.size() > 1) s += ',';
        s += json_quote(*r);
    }
    s += ']';
    return s;
}
} // namespace rtb::sockjs
