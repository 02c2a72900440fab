#include "transports/common/query.hpp"

#include "harness/message.hpp"

namespace rtb {

namespace {
std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

const std::string* find_param(const std::vector<std::pair<std::string, std::string>>& v,
                              std::string_view key) {
    for (auto& [k, val] : v)
        if (k == key) return &val;
    return nullptr;
}

} // namespace

const std::string* query::get(std::string_view key) const { return find_param(params, key); }
const std::string* query::route_param(std::string_view name) const {
    return find_param(route_params, name);
}

std::optional<query> parse_query(std::string_view t) {
    query q;
    auto qm = t.find('?');
    auto path = percent_decode(t.substr(0, qm));
    if (!path || path->empty() || path->front() != '/') return std::nullopt;
    q.path = std::move(*path);
    if (qm == std::string_view::npos) return q;
    std::string_view rest = t.substr(qm + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        auto k = percent_decode(pair.substr(0, eq));
        auto v = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!k || !v) return std::nullopt;
        q.params.emplace_back(std::move(*k), std::move(*v));
    }
    return q;
}

} // namespace rtb
