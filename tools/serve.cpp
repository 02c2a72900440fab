// rtbench serve: run transport servers standalone (or as run's server process).
#include "tools/serve.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "harness/message.hpp"
#include "tools/cli_common.hpp"

namespace rtb {

std::function<int()> add_serve(CLI::App& app) {
    auto* cmd = app.add_subcommand("serve", "Run transport servers (bound to 127.0.0.1 unless --bind says otherwise)");
    struct args {
        std::string transports = "all", port_file, to = "all";
        double publish_rate = 0;
        std::size_t payload = 64;
        double duration = 0;
        std::size_t idle_ms = 60000, lp_hold_ms = 30000, hb_ms = 0, retry_ms = 1000, ping_ms = 0;
        server_options opt;
    };
    auto a = std::make_shared<args>();
    cmd->add_option("--transport", a->transports, "Transports to serve: NAME[,NAME...] or all")->capture_default_str();
    cmd->add_option("--port", a->opt.port, "TCP port (0 = any free port)")->capture_default_str();
    cmd->add_option("--bind", a->opt.bind, "Address to listen on")->capture_default_str();
    cmd->add_option("--publish-rate", a->publish_rate, "Publish this many messages/s to --to (0 = none)")->capture_default_str()->check(CLI::Range(0.0, 1e7));
    cmd->add_option("--payload", a->payload, "Payload bytes per published message")->capture_default_str();
    cmd->add_option("--to", a->to, "Target of published messages: all, room:NAME or client:ID")->capture_default_str();
    cmd->add_option("--duration", a->duration, "Stop after this many seconds (0 = until SIGINT/SIGTERM)")->capture_default_str();
    cmd->add_option("--port-file", a->port_file, "Write the bound port number to this file once listening");
    cmd->add_option("--history", a->opt.history, "Messages kept for resume (per server)")->capture_default_str();
    cmd->add_option("--max-message", a->opt.max_message, "Largest client->server record / WebSocket message, bytes")->capture_default_str();
    cmd->add_option("--max-header", a->opt.max_header, "Largest request header block, bytes (431 beyond)")->capture_default_str();
    cmd->add_option("--max-queue", a->opt.max_queue, "Messages queued per connection before it is dropped as a slow consumer")->capture_default_str();
    cmd->add_option("--max-connections", a->opt.max_connections, "Connections refused beyond this")->capture_default_str();
    cmd->add_option("--idle-timeout-ms", a->idle_ms, "Close a keep-alive connection idle this long, ms")->capture_default_str();
    cmd->add_option("--lp-hold-ms", a->lp_hold_ms, "Long polling: hold a request this long before an empty answer, ms")->capture_default_str();
    cmd->add_option("--sse-heartbeat-ms", a->hb_ms, "SSE: comment heartbeat interval, ms (0 = off)")->capture_default_str();
    cmd->add_option("--sse-retry-ms", a->retry_ms, "SSE: retry: value sent to clients, ms")->capture_default_str();
    cmd->add_option("--ws-ping-ms", a->ping_ms, "WebSocket: ping interval, ms (0 = off)")->capture_default_str();
    cmd->add_flag("--ws-deflate", a->opt.ws_deflate, "WebSocket: accept permessage-deflate");
    cmd->add_flag("!--no-control", a->opt.control, "Do not serve /control/* (remote publish control)");
    cmd->add_option("--test-drop-every", a->opt.test_drop_every, "Test hook: do not deliver every Nth message live (proves loss detection)")->group("Testing");

    return [cmd, a]() -> int {
        if (!cmd->parsed()) return -1;
        auto transports = select_transports(a->transports);
        auto to = parse_target(a->to);
        if (!to) throw usage_error("--to must be all, room:NAME or client:ID");
        if (a->payload > a->opt.max_message) throw usage_error("--payload exceeds --max-message");
        a->opt.idle_timeout = std::chrono::milliseconds(a->idle_ms);
        a->opt.lp_hold = std::chrono::milliseconds(a->lp_hold_ms);
        a->opt.sse_heartbeat = std::chrono::milliseconds(a->hb_ms);
        a->opt.sse_retry = std::chrono::milliseconds(a->retry_ms);
        a->opt.ws_ping = std::chrono::milliseconds(a->ping_ms);

        boost::asio::io_context io(1);
        auto srv = make_server(io, a->opt, transports);
        try {
            srv->start();
        } catch (const std::exception& e) {
            std::cerr << fmt::format("rtbench serve: cannot listen on {}:{}: {}\n", a->opt.bind, a->opt.port, e.what());
            return 1;
        }
        std::string names;
        for (auto* t : transports) names += fmt::format(" {}={}", t->name, t->path);
        std::cout << fmt::format("rtbench serve: listening on http://{}:{} ({} )\n", a->opt.bind, srv->port(), names) << std::flush;
        if (!a->port_file.empty()) {
            std::string tmp = a->port_file + ".tmp";
            std::ofstream(tmp) << srv->port() << "\n";
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
        if (a->publish_rate > 0) srv->start_publisher(a->publish_rate, a->payload, *to, 0);
        io.run();
        return 0;
    };
}

} // namespace rtb
