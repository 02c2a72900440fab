#include "peers/sockjs/sockjs_codec.hpp"

#include <random>

#include <fmt/format.h>

namespace rtb::sockjs {

frame_kind kind_of(std::string_view f) {
    if (f == "o") return frame_kind::open;
    if (f == "h") return frame_kind::heartbeat;
    if (f.size() >= 3 && f[1] == '[' && f.back() == ']') {
        if (f[0] == 'a') return frame_kind::messages;
        if (f[0] == 'c') return frame_kind::close;
    }
    return frame_kind::bad;
}

bool parse_messages(std::string_view f, std::vector<std::string>& out) {
    out.clear();
    if (kind_of(f) != frame_kind::messages) return false;
    std::string_view s = f.substr(2, f.size() - 3); // between "a[" and "]"
    while (!s.empty()) {
        if (!out.empty()) {
            if (s.front() != ',' || s.size() == 1) return false;
            s.remove_prefix(1);
        }
        if (!json_take_string(s, out.emplace_back())) return false;
    }
    return !out.empty(); // SockJS never sends an empty a[]
}

std::string send_frame_of(std::string_view record) {
    std::string s = "[";
    s += json_quote(record);
    s += ']';
    return s;
}

bool is_prelude(std::string_view line) {
    return line.size() == prelude_bytes - 1 && line.find_first_not_of('h') == std::string_view::npos;
}

std::string session_path(std::string_view prefix, unsigned server, std::string_view session,
                         std::string_view transport) {
    return fmt::format("{}/{:03}/{}/{}", prefix, server % 1000, session, transport);
}

namespace {
std::mt19937_64& rng() {
    thread_local std::mt19937_64 g{std::random_device{}()};
    return g;
}
} // namespace

unsigned random_server_id() { return static_cast<unsigned>(rng()() % 1000); }

std::string random_session_id() {
    static constexpr char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    auto& g = rng();
    std::string s(8, 'a');
    for (auto& c : s) c = chars[g() % (sizeof chars - 1)];
    return s;
}

} // namespace rtb::sockjs
