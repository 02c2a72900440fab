#pragma once
// The SSE wire encoding of one record (README.md beside this file): an event
// "id: <seq>\ndata: <record>\n\n" (no id line when seq is 0) in one chunk.
// Exposed for bench/.
#include <cstdint>
#include <string>
#include <string_view>

namespace rtb {
std::string sse_encode(std::string_view record, std::uint64_t seq);
} // namespace rtb
