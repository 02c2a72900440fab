#pragma once
// The one message format every transport carries, byte for byte.
//
//   body     = seq SP publish_ns SP tag SP payload        (server -> client)
//   upstream = to SP tag SP payload                        (client -> server)
//   control  = "!" word *(SP arg)                          (e.g. "!gap 5 9")
//
// seq is a decimal > 0, publish_ns a decimal CLOCK_MONOTONIC timestamp, tag a
// token of 1..64 printable non-space ASCII characters chosen by whoever
// originates the message (the server's publisher writes "s<scheduled_ns>"),
// and payload printable ASCII from the base64url alphabet, so that SSE (which
// cannot carry newlines or raw binary) carries exactly the same bytes as the
// other four transports. No field contains a newline.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rtb {

inline constexpr std::size_t max_tag_size = 64;

// Deterministic payload of n bytes: the base64url alphabet repeated. The
// receiver can verify length and content without knowing anything else.
std::string make_payload(std::size_t n);
bool payload_ok(std::string_view payload) noexcept;

struct message_view {
    std::uint64_t seq = 0;
    std::int64_t publish_ns = 0;
    std::string_view tag;
    std::string_view payload;
};

std::string format_body(std::uint64_t seq, std::int64_t publish_ns, std::string_view tag,
                        std::string_view payload);
std::optional<message_view> parse_body(std::string_view body) noexcept;

// Where a message goes.
struct target {
    enum class kind : std::uint8_t { all, room, client };
    kind k = kind::all;
    std::string name; // room or client id; empty for all
};
std::optional<target> parse_target(std::string_view to);
std::string format_target(const target& t);

struct upstream_view {
    std::string_view to;
    std::string_view tag;
    std::string_view payload;
};
std::string format_upstream(std::string_view to, std::string_view tag, std::string_view payload);
std::optional<upstream_view> parse_upstream(std::string_view record) noexcept;

bool valid_tag(std::string_view tag) noexcept;
// Room and client names: 1..64 of [A-Za-z0-9_.-].
bool valid_name(std::string_view name) noexcept;

// Control records. "!gap a b": messages a..b (inclusive) were evicted from
// the server's history before this client could receive them.
std::string format_gap(std::uint64_t first, std::uint64_t last);
struct gap_view {
    std::uint64_t first = 0, last = 0;
};
std::optional<gap_view> parse_gap(std::string_view body) noexcept;

// Whole-string decimal parsers (no sign on u64, no spaces, no trailing text).
bool parse_u64(std::string_view s, std::uint64_t& out) noexcept;
bool parse_i64(std::string_view s, std::int64_t& out) noexcept;
// The value of one hexadecimal digit (either case), or -1.
int hex_digit(char c) noexcept;

} // namespace rtb
