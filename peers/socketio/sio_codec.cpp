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

std::string json_quote(std::string_view in) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    s.reserve(in.size() + 2);
    s += '"';
    for (char c : in) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            s += '\\';
            s += c;
        } else if (u < 0x20) {
            switch (c) {
            case '\b': s += "\\b"; break;
            case '\f': s += "\\f"; break;
            case '\n': s += "\\n"; break;
            case '\r': s += "\\r"; break;
            case '\t': s += "\\t"; break;
            default: s += "\\u00"; s += hex[u >> 4]; s += hex[u & 15];
            }
        } else {
            s += c;
        }
    }
    s += '"';
    return s;
}

namespace {
bool hex4(std::string_view s, std::uint32_t& v) {
    if (s.size() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
        int d = hex_digit(s[static_cast<std::size_t>(i)]);
        if (d < 0) return false;
        v = v * 16 + static_cast<std::uint32_t>(d);
    }
    return true;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Reads the literal at the start of `s` into `out`; `s` is left after it.
bool take_string(std::string_view& s, std::string& out) {
    out.clear();
    if (s.empty() || s[0] != '"') return false;
    std::size_t i = 1;
    while (i < s.size()) {
        // Runs without escapes are copied whole: the common case by far.
        std::size_t run = i;
        while (run < s.size() && s[run] != '"' && s[run] != '\\' && static_cast<unsigned char>(s[run]) >= 0x20) ++run;
        out.append(s.substr(i, run - i));
        i = run;
        if (i == s.size()) return false;
        if (s[i] == '"') {
            s.remove_prefix(i + 1);
            return true;
        }
        if (s[i] != '\\' || i + 1 == s.size()) return false; // a raw control character
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
            std::uint32_t cp = 0;
            if (!hex4(s.substr(i), cp)) return false;
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) { // a high surrogate: its low half must follow
                std::uint32_t lo = 0;
                if (s.substr(i, 2) != "\\u" || !hex4(s.substr(i + 2), lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
                i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                return false; // a lone low surrogate
            }
            append_utf8(out, cp);
            break;
        }
        default: return false;
        }
    }
    return false;
}
} // namespace

bool json_unquote(std::string_view literal, std::string& out) { return take_string(literal, out) && literal.empty(); }

bool event_arg(std::string_view data, std::string_view name, std::string& out) {
    if (data.size() < 2 || data.front() != '[' || data.back() != ']') return false;
    data = data.substr(1, data.size() - 2);
    if (!take_string(data, out) || out != name) return false;
    if (data.empty() || data.front() != ',') return false;
    data.remove_prefix(1);
    return take_string(data, out) && data.empty();
}

std::optional<open_info> parse_open(std::string_view json) {
    open_info o;
    std::string j(json);
    auto key = j.find("\"sid\":");
    if (key == std::string::npos) return std::nullopt;
    std::string_view rest = std::string_view(j).substr(key + 6);
    if (!take_string(rest, o.sid) || o.sid.empty()) return std::nullopt;
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
