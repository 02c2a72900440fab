#include "harness/message.hpp"

#include <charconv>

namespace rtb {
namespace {
constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Splits off the text up to the next space; false when there is none.
bool take_field(std::string_view& rest, std::string_view& field) noexcept {
    auto sp = rest.find(' ');
    if (sp == std::string_view::npos) return false;
    field = rest.substr(0, sp);
    rest.remove_prefix(sp + 1);
    return true;
}

} // namespace

bool parse_i64(std::string_view s, std::int64_t& out) noexcept {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty() || s.front() == '-' || s.front() == '+') return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

std::string make_payload(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = alphabet[i % alphabet.size()];
    return s;
}

bool payload_ok(std::string_view payload) noexcept {
    for (std::size_t i = 0; i < payload.size(); ++i)
        if (payload[i] != alphabet[i % alphabet.size()]) return false;
    return true;
}

std::string format_body(std::uint64_t seq, std::int64_t publish_ns, std::string_view tag,
                        std::string_view payload) {
    std::string s;
    s.reserve(48 + tag.size() + payload.size());
    s += std::to_string(seq);
    s += ' ';
    s += std::to_string(publish_ns);
    s += ' ';
    s += tag;
    s += ' ';
    s += payload;
    return s;
}

std::optional<message_view> parse_body(std::string_view body) noexcept {
    message_view m;
    std::string_view f;
    if (!take_field(body, f) || !parse_u64(f, m.seq) || m.seq == 0) return std::nullopt;
    if (!take_field(body, f) || !parse_i64(f, m.publish_ns)) return std::nullopt;
    if (!take_field(body, m.tag) || !valid_tag(m.tag)) return std::nullopt;
    m.payload = body;
    return m;
}

bool valid_tag(std::string_view tag) noexcept {
    if (tag.empty() || tag.size() > max_tag_size) return false;
    for (char c : tag)
        if (c <= ' ' || c > '~') return false;
    return true;
}

bool valid_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::optional<target> parse_target(std::string_view to) {
    if (to == "all") return target{};
    auto colon = to.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto kind = to.substr(0, colon);
    auto name = to.substr(colon + 1);
    if (!valid_name(name)) return std::nullopt;
    if (kind == "room") return target{target::kind::room, std::string(name)};
    if (kind == "client") return target{target::kind::client, std::string(name)};
    return std::nullopt;
}

std::string format_target(const target& t) {
    switch (t.k) {
    case target::kind::room: return "room:" + t.name;
    case target::kind::client: return "client:" + t.name;
    case target::kind::all: break;
    }
    return "all";
}

std::string format_upstream(std::string_view to, std::string_view tag, std::string_view payload) {
    std::string s;
    s.reserve(to.size() + tag.size() + payload.size() + 2);
    s += to;
    s += ' ';
    s += tag;
    s += ' ';
    s += payload;
    return s;
}

std::optional<upstream_view> parse_upstream(std::string_view record) noexcept {
    upstream_view u;
    if (!take_field(record, u.to) || !take_field(record, u.tag) || !valid_tag(u.tag))
        return std::nullopt;
    for (char c : record)
        if (c < ' ' || c > '~') return std::nullopt;
    u.payload = record;
    return u;
}

std::string format_gap(std::uint64_t first, std::uint64_t last) {
    return "!gap " + std::to_string(first) + " " + std::to_string(last);
}

std::optional<gap_view> parse_gap(std::string_view body) noexcept {
    constexpr std::string_view prefix = "!gap ";
    if (body.substr(0, prefix.size()) != prefix) return std::nullopt;
    body.remove_prefix(prefix.size());
    gap_view g;
    std::string_view f;
    if (!take_field(body, f) || !parse_u64(f, g.first) || !parse_u64(body, g.last))
        return std::nullopt;
    return g;
}

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace rtb
