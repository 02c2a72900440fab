// rtbench relay: the impairment relay on its own (run --net starts one per point).
#include "tools/relay.hpp"

#include <fmt/format.h>

#include "harness/control_client.hpp"
#include "netem/relay.hpp"
#include "tools/cli_common.hpp"

namespace rtb {

std::function<int()> add_relay(CLI::App& app) {
    auto* cmd = app.add_subcommand("relay", "Run the impairment relay: listens on 127.0.0.1, applies --net to every "
                                            "connection on its way to --to-port (run --net starts one by itself). "
                                            "Prints 'port N'; reads 'stats' lines on stdin; exits when stdin closes");
    struct args {
        std::string net, to_host = "127.0.0.1";
        relay_config cfg;
    };
    auto a = std::make_shared<args>();
    cmd->add_option("--net", a->net, "One network profile (see run --help for the syntax and presets)")->required();
    cmd->add_option("--to-host", a->to_host, "The server's address (loopback only)")->capture_default_str();
    cmd->add_option("--to-port", a->cfg.to_port, "The server's port")->required()->check(CLI::Range(1, 65535));
    cmd->add_option("--port", a->cfg.listen_port, "Port to listen on, on 127.0.0.1 (0 = any free port)")->capture_default_str();
    cmd->add_option("--seed", a->cfg.seed, "Seed of the loss, jitter and reset draws")->capture_default_str();
    cmd->add_option("--max-held", a->cfg.max_held, "Bytes one direction of a connection may hold before the relay stops "
                                                   "reading it (a receive window)")->capture_default_str()->check(CLI::Range(1 << 16, 1 << 30));
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        std::vector<net_profile> nets;
        try {
            nets = parse_net(a->net);
        } catch (const std::invalid_argument& e) {
            throw usage_error(e.what());
        }
        if (nets.size() != 1 || !nets[0].relay) throw usage_error("relay --net takes one profile (not none, not a sweep)");
        if (!is_loopback(a->to_host)) throw usage_error("relay --to-host must be a loopback address");
        a->cfg.net = nets[0];
        a->cfg.to_host = a->to_host;
        return relay_main(a->cfg);
    };
}

} // namespace rtb
