#pragma once
#include <functional>

#include <CLI/CLI.hpp>

namespace rtb {
// Adds `run` and `compare`; each returns -1 when its subcommand was not chosen.
std::function<int()> add_run(CLI::App& app);
std::function<int()> add_compare(CLI::App& app);
} // namespace rtb
