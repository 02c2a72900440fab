#include "transports/xhr-multipart/multipart_codec.hpp"

namespace rtb::multipart {

namespace {
constexpr std::string_view part_head = "Content-Type: text/plain\r\n\r\n";
std::string delimiter_line() { return "--" + std::string(boundary) + "\r\n"; }
} // namespace

std::string opening() { return delimiter_line(); }

std::string encode_part(std::string_view record) {
    std::string s;
    s.reserve(part_bytes(record.size()));
    s += part_head;
    s += record;
    s += "\r\n";
    s += delimiter_line();
    return s;
}

std::uint64_t part_bytes(std::uint64_t record) { return part_head.size() + record + 2 + 2 + boundary.size() + 2; }

} // namespace rtb::multipart
