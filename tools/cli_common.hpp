#pragma once
// Helpers the subcommands share: comma lists, transport selection, exit codes.
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/transport.hpp"

namespace rtb {

// Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 measured loss.
inline constexpr int exit_usage = 2;
inline constexpr int exit_loss = 3;

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::vector<std::string> split_list(const std::string& s);
// "all" or a comma list of names; throws usage_error naming the unknown one.
std::vector<const transport_descriptor*> select_transports(const std::string& list);

} // namespace rtb
