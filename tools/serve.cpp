// rtbench serve: run transport servers standalone (or as run's server process).
#include "tools/serve.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "harness/control_client.hpp"
#include "harness/message.hpp"
#include "harness/server_settings.hpp"
#include "harness/tls.hpp"
#include "tools/cli_common.hpp"

namespace rtb {


std::function<int()> add_serve(CLI::App& app) {
    auto* cmd = app.add_subcommand("serve", "Run transport servers (bound to 127.0.0.1 unless --bind says otherwise)");
    struct args {
        std::string transports = "all", port_file, to = "all";
        double publish_rate = 0;
        std::size_t payload = 64;
        std::string payload_kind = "pattern";
        double duration = 0;
        std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
        server_options opt;
        option_flags flags;
        bool tls = false;
        std::string tls_version = "1.3", tls_cert = "ecdsa-p256", cert_file, key_file;
    };
    auto a = std::make_shared<args>();
    cmd->add_option("--transport", a->transports, "Transports to serve: NAME[,NAME...] or all")->capture_default_str();
    cmd->add_option("--port", a->opt.port, "TCP port (0 = any free port)")->capture_default_str();
    cmd->add_option("--bind", a->opt.bind, "Address to listen on")->capture_default_str();
    cmd->add_option("--threads", a->threads,
                    "Event loops, each on a thread of its own with its share of the connections (the kernel spreads "
                    "them over one port, SO_REUSEPORT); messages reach every connection in order, through one "
                    "sequence. Default: the number of cores")
        ->capture_default_str()->check(CLI::Range(1, 256));
    cmd->add_option("--publish-rate", a->publish_rate,
                    fmt::format("Publish this many messages/s to --to (0 = none; at most {:g})", max_publish_rate_hz))
        ->capture_default_str()->check(CLI::Range(0.0, max_publish_rate_hz));
    cmd->add_option("--payload", a->payload, "Payload bytes per published message")->capture_default_str();
    cmd->add_option("--payload-kind", a->payload_kind, "Published payloads: pattern, random or json (harness/payload.hpp)")
        ->capture_default_str()->check(CLI::IsMember({"pattern", "random", "json"}));
    cmd->add_option("--to", a->to, "Target of published messages: all, room:NAME or client:ID")->capture_default_str();
    cmd->add_option("--duration", a->duration, "Stop after this many seconds (0 = until SIGINT/SIGTERM)")->capture_default_str();
    cmd->add_option("--port-file", a->port_file, "Write the bound port number to this file once listening");
    cmd->add_flag("--control", a->opt.control,
                  fmt::format("Serve /control/* (remote control: publish, stop, drop clients) to requests carrying a "
                              "token in {}: ${} if set, else a random one printed at start. Refused on a "
                              "non-loopback --bind unless ${} is set", control_token_header, control_token_env,
                              control_token_env));
    add_tls_server_options(cmd, a->tls, a->tls_version, a->tls_cert);
    cmd->add_option("--tls-cert-file", a->cert_file, "With --tls: PEM certificate (chain) to serve instead of a "
                                                     "throw-away one")->group("TLS");
    cmd->add_option("--tls-key-file", a->key_file, "With --tls-cert-file: its PEM private key")->group("TLS");
    a->flags.add(cmd, settings::core, "Server limits", true);
    a->flags.add_transports(cmd, true);
    a->flags.add(cmd, settings::testing, "Testing", true);

    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        auto transports = select_transports(a->transports);
        for (auto* t : transports)
            if (!t->peer_script.empty())
                throw usage_error(fmt::format("{} is a peer, served by Node.js, not by rtbench: node {} (peers/README.md)",
                                              t->name, t->peer_script));
        auto to = parse_target(a->to);
        if (!to) throw usage_error("--to must be all, room:NAME or client:ID");
        settings::apply(a->flags.values(), a->opt);
        bool loopback = is_loopback(a->opt.bind);
        if (!loopback)
            std::cerr << fmt::format("rtbench serve: warning: --bind {} is not a loopback address: every transport "
                                     "is reachable from the network\n", a->opt.bind);
        if (a->opt.control) {
            const char* env = std::getenv(control_token_env);
            if (env && *env) {
                if (!valid_token(env)) throw usage_error(fmt::format("${} must be 16 or more of [A-Za-z0-9_-]", control_token_env));
                a->opt.control_token = env;
            } else if (!loopback) {
                throw usage_error(fmt::format("--control on a non-loopback address needs a token in ${}", control_token_env));
            } else {
                a->opt.control_token = random_token();
                std::cerr << fmt::format("rtbench serve: control token {} (send it in the {} header)\n",
                                         a->opt.control_token, control_token_header);
            }
        }
        if (a->payload > a->opt.max_message) throw usage_error("--payload exceeds --max-message");
        if (a->cert_file.empty() != a->key_file.empty()) throw usage_error("--tls-cert-file and --tls-key-file go together");
        if (!a->cert_file.empty()) a->tls = true;
        std::string fingerprint;
        if (a->tls) {
            tls_version v = parse_tls_version_arg(a->tls_version);
            cert_pair cert;
            try {
                cert = a->cert_file.empty() ? make_self_signed(a->tls_cert) : load_cert_files(a->cert_file, a->key_file);
                a->opt.tls = make_server_tls(cert, v);
                fingerprint = cert_fingerprint(cert);
            } catch (const std::invalid_argument& e) {
                throw usage_error(e.what());
            } catch (const std::exception& e) {
                std::cerr << "rtbench serve: " << e.what() << "\n";
                return 1;
            }
        }

        auto srv = make_server_group(a->opt, transports, a->threads);
        auto& io = srv->io();
        try {
            srv->start();
        } catch (const std::exception& e) {
            std::cerr << fmt::format("rtbench serve: cannot listen on {}:{}: {}\n", a->opt.bind, a->opt.port, e.what());
            return 1;
        }
        std::string names;
        for (auto* t : transports) names += fmt::format(" {}={}", t->name, t->path);
        std::cout << fmt::format("rtbench serve: listening on {}://{}:{} ({} ) on {} thread{}\n",
                                 a->tls ? "https" : "http", a->opt.bind, srv->port(), names, srv->threads(),
                                 srv->threads() == 1 ? "" : "s");
        if (a->tls)
            std::cout << fmt::format("rtbench serve: TLS {} with {} certificate, SHA-256 fingerprint {}\n",
                                     a->tls_version, a->cert_file.empty() ? "a throw-away " + a->tls_cert : a->cert_file,
                                     fingerprint);
        std::cout << std::flush;
        if (!a->port_file.empty()) {
            std::string tmp = a->port_file + ".tmp";
            // The port; with TLS and --control, the plain control port on a
            // second line (readers of the first line alone are unaffected).
            std::ofstream f(tmp);
            f << srv->port() << "\n";
            if (srv->control_port()) f << srv->control_port() << "\n";
            f.close();
            std::rename(tmp.c_str(), a->port_file.c_str()); // appears whole or not at all
        }
        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        boost::asio::steady_timer stop_timer(io);
        // One way down: stop the server (and its publisher) and every timer
        // of ours, so io.run() returns.
        auto shutdown = [&] {
            srv->stop();
            signals.cancel();
            stop_timer.cancel();
        };
        signals.async_wait([&](auto ec, int) { if (!ec) shutdown(); });
        if (a->duration > 0) {
            stop_timer.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(a->duration)));
            stop_timer.async_wait([&](auto ec) { if (!ec) shutdown(); });
        }
        // Publishing for people pointing curl or a browser at us.
        if (a->publish_rate > 0)
            srv->start_publisher(a->publish_rate, a->payload, *to, 0, *parse_payload_kind(a->payload_kind));
        srv->run();
        return 0;
    };
}

} // namespace rtb
