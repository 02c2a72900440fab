// rtbench: one harness, five real-time web transports, honest numbers.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/transport.hpp"
#include "tools/cli_common.hpp"
#include "tools/load_worker.hpp"
#include "tools/relay.hpp"
#include "tools/run.hpp"
#include "tools/serve.hpp"

namespace rtb {
extern std::string g_argline;
}

int main(int argc, char** argv) {
    using namespace rtb;
    CLI::App app{"rtbench: measure HTTP polling, long polling, HTTP streaming, SSE and WebSocket "
                 "side by side (latency, wire overhead, connection cost)",
                 "rtbench"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("rtbench 0.1.0"));

    auto* list = app.add_subcommand("list", "List the transports with a one-line description");
    auto* plot = app.add_subcommand("plot", "Draw charts, report.md and report.html for a run folder");
    std::string plot_dir;
    plot->add_option("DIR", plot_dir, "Run folder (results.csv, spectra/, manifest.json)")->required();
    std::vector<std::function<int()>> commands;
    commands.push_back(add_serve(app));
    commands.push_back(add_run(app));
    commands.push_back(add_compare(app));
    commands.push_back(add_relay(app));
    commands.push_back(add_load_worker(app));
    for (int i = 0; i < argc; ++i) g_argline += (i ? " " : "") + std::string(i ? argv[i] : "rtbench");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "rtbench: " << e.what() << " (see rtbench --help)\n";
        return exit_usage;
    }
    try {
        if (list->parsed()) {
            // Names first, as --transport takes them; a peer's library and version after its description.
            for (auto table : {all_transports(), all_peers()})
                for (auto* t : table)
                    std::cout << fmt::format("{:<20} {:<11} {}{}\n", t->name, t->path, t->description,
                                             t->label.empty() ? "" : fmt::format(" [{}]", t->label));
            return 0;
        }
        if (plot->parsed()) return run_plot(plot_dir);
        for (auto& c : commands)
            if (int rc = c(); rc >= 0) return rc;
    } catch (const usage_error& e) {
        std::cerr << "rtbench: " << e.what() << " (see rtbench --help)\n";
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "rtbench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
