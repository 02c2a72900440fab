#pragma once
// The answer format polling and long polling share.
//
//   HTTP/1.1 200 OK
//   Content-Type: text/plain
//   Cache-Control: no-store
//   Rtb-Cursor: <seq to send as ?cursor= next time>
//   Content-Length: <n>
//
//   [!gap a b LF] *(body LF)
#include "transports/common/http_server.hpp"

namespace rtb {
response batch_response(const request& req, const hub::replay& r, std::uint64_t cursor);
// The same for a request no longer at hand (a held long poll): its HTTP
// version and keep-alive.
response batch_response(unsigned version, bool keep_alive, const hub::replay& r, std::uint64_t cursor);
// Both read the resume cursor from ?cursor=N.
inline constexpr cursor_source batch_cursor{"cursor"};
// One answer carries at most this many bytes of message bodies (and at least
// one message): a client far behind catches up over several polls instead
// of making the server build one answer the size of the whole history. The
// answer's cursor is where the next poll must start (hub::replay::next_cursor).
inline constexpr std::size_t max_answer_bytes = 1 << 20;
} // namespace rtb
