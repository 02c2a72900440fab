#pragma once
// Engine.IO v4 and Socket.IO v5 packets, as far as rtbench's Socket.IO
// client speaks them (peers/socketio/README.md has the bytes). No Beast,
// no JSON library: the client decodes one event per message on the load
// generator's hot path, and these are the only shapes it meets.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "peers/common/json_string.hpp"

namespace rtb::sio {

// Engine.IO packet types: the first character of every packet.
namespace eio {
inline constexpr char open = '0', close = '1', ping = '2', pong = '3', message = '4', upgrade = '5', noop = '6';
// The separator of packets in one HTTP long-polling body.
inline constexpr char record_separator = '\x1e';
} // namespace eio

// Socket.IO packet types: the first character of an Engine.IO message's data.
namespace type {
inline constexpr char connect = '0', disconnect = '1', event = '2', ack = '3', connect_error = '4';
} // namespace type

// A Socket.IO packet: <type>[<nsp>,][<ack id>]<data>; nsp "/" when absent.
struct packet {
    char type = 0;
    std::string_view nsp = "/";
    std::optional<std::uint64_t> id;
    std::string_view data; // JSON, or empty
};
std::optional<packet> parse_packet(std::string_view s);

// Whole Engine.IO packets (message type included): "40" or "40/nsp,",
// and an event with one string argument: 42[nsp,][id]["name","arg"].
std::string connect_packet(std::string_view nsp);
std::string event_packet(std::string_view nsp, std::string_view name, std::string_view arg,
                  std::optional<std::uint64_t> id = std::nullopt);

// The one string argument of an event whose data is ["<name>","<arg>"],
// unescaped into `out`. False for any other event or malformed JSON.
bool event_arg(std::string_view data, std::string_view name, std::string& out);

// JSON string literals: peers/common/json_string.hpp.
using rtb::json_quote;
using rtb::json_unquote;

// The Engine.IO open packet's JSON: {"sid":..,"upgrades":[..],
// "pingInterval":..,"pingTimeout":..,"maxPayload":..}.
struct open_info {
    std::string sid;
    std::int64_t ping_interval_ms = 0, ping_timeout_ms = 0, max_payload = 0;
    bool websocket_upgrade = false; // "websocket" is among the upgrades
};
std::optional<open_info> parse_open(std::string_view json);

} // namespace rtb::sio
