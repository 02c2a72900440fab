#pragma once
#include <CLI/CLI.hpp>

namespace rtb {
// Adds `load-worker` (one load process of run --client-procs; hidden) to
// the app; returns a function that runs it after parsing.
std::function<int()> add_load_worker(CLI::App& app);
} // namespace rtb
