#pragma once
// Request targets: path and percent-decoded query parameters. No Beast here,
// so the fuzzer (fuzz/) can take it alone.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "transports/common/router.hpp"

namespace rtb {

// Path and decoded query parameters of a request target, and the path
// parameters of the route it matched ("/x/{session}" -> session).
struct query {
    std::string path;
    std::vector<std::pair<std::string, std::string>> params;
    path_params route_params;
    const std::string* get(std::string_view key) const;
    const std::string* route_param(std::string_view name) const;
};
std::optional<query> parse_query(std::string_view target);

} // namespace rtb
