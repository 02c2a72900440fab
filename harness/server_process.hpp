#pragma once
// The server of a measured point: `rtbench serve` in its own process, so
// its CPU and memory are measured apart from the load generator's; for a
// peer, its Node.js server (peers/README.md), started the same way.
#include <cstdint>
#include <string>
#include <vector>

namespace rtb {

struct run_settings;
struct transport_descriptor;

// A `rtbench serve` (or peer) child process.
class server_process {
public:
    // Throws std::runtime_error naming what is missing or what failed.
    server_process(const run_settings& s, const transport_descriptor& t, std::size_t clients);
    // A server rtbench did not start (`run --target`): nothing to start or
    // stop, no control endpoint; pid is the target's --target-pid, or -1.
    explicit server_process(const struct external_target& t);
    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;
    std::uint16_t port() const { return port_; }
    // Where the harness's control calls go: the port, or with TLS the
    // server's plain control port.
    std::uint16_t control_port() const { return control_port_ ? control_port_ : port_; }
    int pid() const { return pid_; }
    bool external() const { return external_; }
    // A control call; throws when the server does not answer in timeout_ms.
    std::string call(const std::string& method, const std::string& target, int timeout_ms = 5000);
    void stop();

private:
    int pid_ = -1;
    bool external_ = false;
    std::uint16_t port_ = 0, control_port_ = 0;
    std::string dir_, port_file_, token_;
};

} // namespace rtb
