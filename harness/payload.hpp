#pragma once
// What a message's payload looks like (--payload-kind). Every kind is
// printable ASCII without line breaks, so SSE and the newline-delimited
// batches carry it unchanged, and every kind is a pure function of (size,
// key): the receiver regenerates what it should have got and compares every
// byte. The key is the message's scheduled time, so messages differ from one
// another, as real ones do (a compressor with a shared window cannot just
// point back at the previous message).
//
//   pattern  the base64url alphabet repeated (make_payload in message.hpp):
//            cheap to check, but compresses to almost nothing
//   random   base64url characters from a seeded generator: 6 bits of
//            entropy per byte, about the least a printable payload allows
//   json     a chat or ticker event with varied keys and values, padded
//            with words to the exact size: what permessage-deflate meets
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rtb {

enum class payload_kind : std::uint8_t { pattern, random, json };

std::optional<payload_kind> parse_payload_kind(std::string_view s);
const char* payload_kind_name(payload_kind k);

// Exactly n bytes. pattern ignores the key.
std::string make_payload(payload_kind k, std::size_t n, std::uint64_t key);

// Checks payloads against what make_payload gives, keeping the last one
// made: in push every client on a thread receives the same message in turn.
class payload_checker {
public:
    payload_checker(payload_kind k, std::size_t n);
    bool ok(std::string_view payload, std::uint64_t key);

private:
    payload_kind kind_;
    std::size_t n_;
    std::uint64_t key_ = 0;
    bool have_ = false;
    std::string expected_;
};

} // namespace rtb
