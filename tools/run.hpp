#pragma once
#include <functional>

#include <CLI/CLI.hpp>

namespace rtb {
// Adds `run` and `compare`; each returns -1 when its subcommand was not chosen.
std::function<int()> add_run(CLI::App& app);
std::function<int()> add_compare(CLI::App& app);
// Runs tools/plot on a run folder; returns its exit code.
int run_plot(const std::string& dir);
} // namespace rtb
