#include "transports/jsonp-polling/jsonp_codec.hpp"

#include <fmt/format.h>

#include "harness/message.hpp"

namespace rtb::jsonp {

bool valid_callback(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '$' || c == '.'))
            return false;
    return true;
}

void append_json_string(std::string& out, std::string_view record) {
    out += '"';
    for (char ch : record) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c == '<' || c < 0x20 || c >= 0x7f) {
            out += fmt::format("\\u{:04x}", c);
        } else {
            out += ch;
        }
    }
    out += '"';
}

std::string encode_answer(std::string_view callback, std::uint64_t cursor,
                          const std::vector<std::string_view>& records) {
    std::size_t n = callback.size() + 26;
    for (auto r : records) n += r.size() + 3;
    std::string out;
    out.reserve(n);
    out += callback;
    out += "([";
    out += std::to_string(cursor);
    for (auto r : records) {
        out += ',';
        append_json_string(out, r);
    }
    out += "]);";
    return out;
}

std::optional<std::string> take_json_string(std::string_view& s) {
    if (s.empty() || s.front() != '"') return std::nullopt;
    std::string out;
    for (std::size_t i = 1; i < s.size(); ++i) {
        char c = s[i];
        if (c == '"') {
            s.remove_prefix(i + 1);
            return out;
        }
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i >= s.size()) return std::nullopt;
        switch (s[i]) {
        case '"': case '\\': case '/': out += s[i]; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
            if (i + 4 >= s.size()) return std::nullopt;
            int v = 0;
            for (int k = 1; k <= 4; ++k) {
                int h = hex_digit(s[i + k]);
                if (h < 0) return std::nullopt;
                v = v * 16 + h;
            }
            if (v > 0xff) return std::nullopt; // our records are bytes
            out += static_cast<char>(v);
            i += 4;
            break;
        }
        default: return std::nullopt;
        }
    }
    return std::nullopt;
}

std::optional<answer> decode_answer(std::string_view callback, std::string_view body) {
    if (body.substr(0, callback.size()) != callback) return std::nullopt;
    body.remove_prefix(callback.size());
    if (body.substr(0, 2) != "([") return std::nullopt;
    body.remove_prefix(2);
    auto end = body.find_first_not_of("0123456789");
    answer a;
    if (end == 0 || end == std::string_view::npos || !parse_u64(body.substr(0, end), a.cursor)) return std::nullopt;
    body.remove_prefix(end);
    while (!body.empty() && body.front() == ',') {
        body.remove_prefix(1);
        auto r = take_json_string(body);
        if (!r) return std::nullopt;
        a.records.push_back(std::move(*r));
    }
    if (body != "]);") return std::nullopt;
    return a;
}

} // namespace rtb::jsonp
