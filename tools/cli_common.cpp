#include "tools/cli_common.hpp"

namespace rtb {

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto c = s.find(',', start);
        auto item = s.substr(start, c == std::string::npos ? std::string::npos : c - start);
        if (!item.empty()) out.push_back(item);
        if (c == std::string::npos) break;
        start = c + 1;
    }
    return out;
}

std::vector<const transport_descriptor*> select_transports(const std::string& list) {
    std::vector<const transport_descriptor*> out;
    if (list == "all") {
        for (auto* t : all_transports()) out.push_back(t);
        return out;
    }
    for (auto& name : split_list(list)) {
        auto* t = find_transport(name);
        if (!t) {
            std::string known;
            for (auto* k : all_transports()) known += (known.empty() ? "" : ", ") + std::string(k->name);
            throw usage_error("unknown transport '" + name + "' (known: " + known + ", or all)");
        }
        out.push_back(t);
    }
    if (out.empty()) throw usage_error("--transport needs at least one name");
    return out;
}

} // namespace rtb
