#pragma once
// JSON string literals (RFC 8259 7), for the peers' clients (Socket.IO's
// events, SockJS's frames). No JSON library: the clients decode one literal
// per message on the load generator's hot path, and strings are the only
// JSON they meet there.
#include <string>
#include <string_view>

namespace rtb {

// quote escapes '"', '\\' and control characters; unquote reads one
// literal, "..." included, decoding every escape (\uXXXX as UTF-8,
// surrogate pairs joined); take_string reads the literal at the start of
// `s` into `out` and leaves `s` after it.
std::string json_quote(std::string_view s);
bool json_unquote(std::string_view literal, std::string& out);
bool json_take_string(std::string_view& s, std::string& out);

} // namespace rtb
