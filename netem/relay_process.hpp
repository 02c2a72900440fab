#pragma once
// The impairment relay of a measured point: `rtbench relay` in its own
// process (its CPU and memory are its own columns), controlled through a
// pipe (netem/relay.hpp).
#include <cstdint>
#include <string>

#include "netem/net_profile.hpp"

namespace rtb {

class relay_process {
public:
    // Starts a relay to 127.0.0.1:`to_port`; its stderr goes to `log`.
    // Throws std::runtime_error naming what failed.
    relay_process(const std::string& rtbench_bin, const net_profile& net, std::uint16_t to_port,
                  const std::string& log, std::uint64_t seed);
    ~relay_process();
    relay_process(const relay_process&) = delete;
    relay_process& operator=(const relay_process&) = delete;

    std::uint16_t port() const { return port_; }
    int pid() const { return pid_; }
    // Sends one command line; returns the relay's one-line answer ("" for
    // commands without one). Throws if the relay does not answer in 5 s.
    std::string command(const std::string& cmd, bool answer);
    void stop();

private:
    std::string read_line(int timeout_ms);

    int pid_ = -1, in_ = -1, out_ = -1;
    std::uint16_t port_ = 0;
    std::string pending_;
};

} // namespace rtb
