#pragma once
#include <CLI/CLI.hpp>

namespace rtb {
// Adds `relay` (the impairment relay, netem/) to the app; returns a function
// that runs it after parsing.
std::function<int()> add_relay(CLI::App& app);
} // namespace rtb
