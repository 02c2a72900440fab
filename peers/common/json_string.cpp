// JSON string literals (RFC 8259 7), for the peers' clients: Socket.IO's
// events and SockJS's frames both carry rtbench's records as JSON strings.
#include "peers/common/json_string.hpp"

#include "harness/message.hpp"

#include <cstdint>

namespace rtb {

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

} // namespace

bool json_take_string(std::string_view& s, std::string& out) {
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

bool json_unquote(std::string_view literal, std::string& out) { return json_take_string(literal, out) && literal.empty(); }

} // namespace rtb
