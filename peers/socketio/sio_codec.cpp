#include "peers/socketio/sio_codec.hpp"

#include "harness/control_client.hpp"
#include "harness/message.hpp"

namespace rtb::sio {

std::optional<packet> parse_packet(std::string_view s) {
    if (s.empty() || s[0] < '0' || s[0] > '6') return std::nullopt;
    packet p;
    p.type = s[0];
    s.remove_prefix(1);
    if (!s.empty() && s[0] == '/') {
        auto comma = s.find(',');
        p.nsp = s.substr(0, comma);
        s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
    }
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    if (digits) {
        std::uint64_t id = 0;
        if (!parse_u64(s.substr(0, digits), id)) return std::nullopt;
        p.id = id;
        s.remove_prefix(digits);
    }
    p.data = s;
    return p;
}

namespace {
std::string prefix(char t, std::string_view nsp) {
    std::string s{eio::message, t};
    if (nsp != "/") {
        s += nsp;
        s += ',';
    }
    return s;
}
} // namespace

std::string connect_packet(std::string_view nsp) { return prefix(type::connect, nsp); }

std::string event_packet(std::string_view nsp, std::string_view name, std::string_view arg, std::optional<std::uint64_t> id) {
    std::string s = prefix(type::event, nsp);
    if (id) s += std::to_string(*id);
    s += '[';
    s += json_quote(name);
    s += ',';
    s += json_quote(arg);
    s += ']';
    return s;
}


bool event_arg(std::string_view data, std::string_view name, std::string& out) {
    if (data.size() < 2 || data.front() != '[' || data.back() != ']') return false;
    data = data.substr(1, data.size() - 2);
    if (!json_take_string(data, out) || out != name) return false;
    if (data.empty() || data.front() != ',') return false;
    data.remove_prefix(1);
    return json_take_string(data, out) && data.empty();
}

std::optional<open_info> parse_open(std::string_view json) {
    open_info o;
    std::string j(json);
    auto key = j.find("\"sid\":");
    if (key == std::string::npos) return std::nullopt;
    std::string_view rest = std::string_view(j).substr(key + 6);
    if (!json_take_string(rest, o.sid) || o.sid.empty()) return std::nullopt;
    auto interval = json_int(j, "pingInterval"), timeout = json_int(j, "pingTimeout"), max = json_int(j, "maxPayload");
    if (!interval || !timeout || *interval <= 0 || *timeout <= 0) return std::nullopt;
    o.ping_interval_ms = *interval;
    o.ping_timeout_ms = *timeout;
    o.max_payload = max.value_or(0);
    auto up = j.find("\"upgrades\":[");
    o.websocket_upgrade = up != std::string::npos && j.substr(up, j.find(']', up) - up).find("\"websocket\"") != std::string::npos;
    return o;
}

} // namespace rtb::sio
