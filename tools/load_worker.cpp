// rtbench load-worker: one load process of `run --client-procs` (not for
// people to start: the run builds its arguments with load_worker_args and
// drives it over stdin/stdout, harness/load_process.hpp).
#include "tools/load_worker.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "harness/load_process.hpp"
#include "harness/message.hpp"
#include "harness/procstat.hpp"
#include "harness/runner.hpp"
#include "tools/cli_common.hpp"

namespace rtb {

std::function<int()> add_load_worker(CLI::App& app) {
    auto* cmd = app.add_subcommand("load-worker", "One load process of run --client-procs (started by run)");
    cmd->group(""); // not in --help: run starts it
    struct args {
        std::string transport, scenario, kind = "pattern", headers = "minimal", host, target_path, authority;
        std::size_t clients = 0, payload = 0, threads = 1, max_message = 1 << 20, publishers = 1, proc = 0, procs = 1;
        double work_us = 0;
        std::string ports;
        std::size_t source_addrs = 0;
        std::vector<std::string> options;
    };
    auto a = std::make_shared<args>();
    cmd->add_option("--transport", a->transport)->required();
    cmd->add_option("--scenario", a->scenario)->required();
    cmd->add_option("--clients", a->clients)->required();
    cmd->add_option("--payload", a->payload);
    cmd->add_option("--payload-kind", a->kind);
    cmd->add_option("--client-threads", a->threads)->check(CLI::Range(1, 64));
    cmd->add_option("--client-work-us", a->work_us);
    cmd->add_option("--headers", a->headers)->check(CLI::IsMember({"minimal", "browser"}));
    cmd->add_option("--max-message", a->max_message);
    cmd->add_option("--publishers", a->publishers);
    cmd->add_option("--ports", a->ports, "The ports client i connects to: the (i mod N)-th of the list")->required();
    cmd->add_option("--source-addrs", a->source_addrs)->check(CLI::Range(0, 254));
    cmd->add_option("--proc", a->proc);
    cmd->add_option("--procs", a->procs)->check(CLI::Range(1, 4096));
    cmd->add_option("--host", a->host, "An external target's address (its clients speak its protocol bare)");
    cmd->add_option("--target-path", a->target_path);
    cmd->add_option("--authority", a->authority);
    cmd->add_option("--option", a->options, "NAME=VALUE: a transport option's value, as run was given it");
    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        auto* t = find_transport(a->transport);
        if (!t) throw usage_error("load-worker: unknown transport '" + a->transport + "'");
        auto kind = parse_payload_kind(a->kind);
        if (!kind) throw usage_error("load-worker: unknown payload kind '" + a->kind + "'");
        if (a->proc >= a->procs) throw usage_error("load-worker: --proc must be below --procs");
        point p{t, parse_scenario(a->scenario), a->clients, 0, a->payload, *kind};
        run_settings s;
        s.client_threads = a->threads;
        s.client_work_us = a->work_us;
        s.publishers = a->publishers;
        s.client.headers = a->headers == "browser" ? header_profile::browser : header_profile::minimal;
        s.client.max_message = a->max_message;
        for (auto& o : a->options) {
            auto eq = o.find('=');
            std::uint64_t v = 0;
            if (eq == std::string::npos || !parse_u64(std::string_view(o).substr(eq + 1), v))
                throw usage_error("load-worker: --option takes NAME=NUMBER, not '" + o + "'");
            s.client.transport.set(o.substr(0, eq), v);
        }
        if (!a->host.empty()) {
            s.target.url = "external"; // bare records, the target's own path
            s.target.host = a->host;
            s.target.request_target = a->target_path;
            s.target.authority = a->authority;
        }
        std::vector<std::uint16_t> ports;
        for (auto& v : split_list(a->ports)) {
            std::uint64_t n = 0;
            if (!parse_u64(v, n) || n == 0 || n > 65535) throw usage_error("load-worker: --ports takes port numbers, not '" + v + "'");
            ports.push_back(static_cast<std::uint16_t>(n));
        }
        if (ports.empty()) throw usage_error("load-worker: --ports needs a port");
        s.source_addrs = a->source_addrs;
        raise_fd_limit();
        auto load = make_load_threads(p, s, ports, a->proc, a->procs);
        int rc = serve_load_commands(*load, STDIN_FILENO, STDOUT_FILENO);
        load->stop(); // a no-op when the run already stopped it
        return rc;
    };
}

} // namespace rtb
