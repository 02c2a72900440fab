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
// Both read the resume cursor from ?cursor=N.
inline constexpr cursor_source batch_cursor{"cursor"};
} // namespace rtb
