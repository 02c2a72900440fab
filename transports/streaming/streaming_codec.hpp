#pragma once
// The streaming wire encoding of one record (README.md beside this file):
// one HTTP/1.1 chunk holding the record and a LF. Exposed for bench/.
#include <string>
#include <string_view>

namespace rtb {
std::string streaming_encode(std::string_view record);
} // namespace rtb
