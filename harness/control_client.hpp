#pragma once
// A tiny blocking HTTP/1.1 client for the harness's remote control of its
// server process (/control/*, /stats). Loopback only; one request per
// connection. No Beast here on purpose: this file is the harness's.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rtb {

// The control API's guard (the server side: transports/common/control_auth):
// every /control/* request carries the run's token in this header; `run`
// hands the token to the server it starts through this environment variable
// (argv would show it to every user in `ps`).
inline constexpr const char* control_token_header = "Rtb-Control-Token";
inline constexpr const char* control_token_env = "RTBENCH_CONTROL_TOKEN";
// 128 bits from the kernel's CSPRNG, as 32 hex digits.
std::string random_token();
// A token an operator may set: 16 or more of [A-Za-z0-9_-] (it goes into a
// header and into the live page's script, so nothing that needs quoting).
bool valid_token(std::string_view token);
bool is_loopback(const std::string& address);

struct control_answer {
    int status = 0;
    std::string body;
};
// Throws std::runtime_error when the server cannot be reached.
// `token`, when not empty, goes in the control token header.
control_answer http_call(const std::string& host, std::uint16_t port, const std::string& method,
                         const std::string& target, const std::string& token = {}, int timeout_ms = 5000);

// The number after "key": in a flat JSON object (our /stats), or nullopt.
std::optional<double> json_number(const std::string& json, const std::string& key);
// The same for an integer that must stay exact (ns timestamps exceed 2^53).
std::optional<std::int64_t> json_int(const std::string& json, const std::string& key);

} // namespace rtb
