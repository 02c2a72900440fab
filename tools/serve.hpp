#pragma once
#include <CLI/CLI.hpp>

namespace rtb {
// Adds `serve` to the app; returns a function that runs it after parsing.
std::function<int()> add_serve(CLI::App& app);
} // namespace rtb
