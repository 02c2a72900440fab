// Our WebSocket client against an independent server (Debian's
// python3-websockets, tests/ws_interop.py server): it must receive the
// server's messages in order and get its upstream records echoed.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "tests/loopback.hpp"

extern char** environ;

using namespace rtb;
using namespace rtb::test;

namespace {

struct python_server {
    explicit python_server(const std::string& port_file) {
        std::string script = std::string(RTBENCH_SOURCE_DIR) + "/tests/ws_interop.py";
        std::vector<std::string> args = {"/usr/bin/python3", script, "server", port_file};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid = -1;
    }
    ~python_server() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            int st = 0;
            ::waitpid(pid, &st, 0);
        }
    }
    pid_t pid = -1;
};

TEST(Interop, OurWebSocketClientWithPythonWebsocketsServer) {
    auto port_file = std::filesystem::temp_directory_path() / ("rtbench-ws-peer-" + std::to_string(::getpid()));
    std::filesystem::remove(port_file);
    python_server peer(port_file.string());
    ASSERT_GT(peer.pid, 0) << "cannot start /usr/bin/python3 (tools/setup installs python3-websockets)";
    unsigned port = 0;
    for (int i = 0; i < 1000 && !port; ++i) {
        std::ifstream f(port_file);
        f >> port;
        if (!port) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GT(port, 0u) << "the python3-websockets server did not start (is python3-websockets installed?)";

    io_thread ct;
    collector ev;
    client_config cfg;
    cfg.port = static_cast<std::uint16_t>(port);
    auto s = on(ct.io, [&] {
        auto c = find_transport("websocket")->make_client(ct.io, cfg, ev);
        c->start();
        return c;
    });
    ASSERT_TRUE(ev.wait_ready(1));
    ASSERT_TRUE(ev.wait_messages(20));
    EXPECT_EQ(ev.seqs(), iota_seq(1, 20));
    auto big = make_payload(60000);
    on(ct.io, [&] {
        s->send(std::make_shared<const std::string>(format_upstream("all", "up1", make_payload(50))));
        s->send(std::make_shared<const std::string>(format_upstream("all", "up2", big)));
    });
    ASSERT_TRUE(ev.wait_messages(22));
    auto recs = ev.records();
    auto m21 = parse_body(recs[20]), m22 = parse_body(recs[21]);
    ASSERT_TRUE(m21 && m22);
    EXPECT_EQ(m21->tag, "up1");
    EXPECT_EQ(m22->tag, "up2");
    EXPECT_EQ(m22->payload, big);
    EXPECT_EQ(on(ct.io, [&] { return s->sent(); }), 2u);
    on(ct.io, [&] { s->close(); });
    std::filesystem::remove(port_file);
}

} // namespace
