#pragma once
// The impairment relay: a TCP relay on loopback that sits between every
// client and the server and applies a network profile to each connection,
// per direction (netem/line.hpp decides when bytes move; this file moves
// them). It runs in a process of its own (`rtbench relay`), so its CPU and
// memory are measured apart from the server's and the load generator's.
//
// Control is a pipe, never a socket: the parent writes a command line to
// the relay's stdin and reads one JSON line back from its stdout:
//   open   -> starts the measure window (lateness histogram and peaks reset)
//   stats  -> {"accepted":..,"open":..,"resets":..,"lost_segments":..,
//              "bytes_down":..,"bytes_up":..,"held_peak":..,"late_*":..}
// The relay's first stdout line is "port N" once it listens; it exits when
// its stdin closes (the parent went away) or on SIGTERM.
#include <cstdint>
#include <string>

#include "netem/net_profile.hpp"

namespace rtb {

struct relay_config {
    net_profile net;
    std::string to_host = "127.0.0.1";
    std::uint16_t to_port = 0;
    std::uint16_t listen_port = 0; // on 127.0.0.1 only
    std::uint64_t seed = 1;
    // Bytes one direction of a connection may hold (the relay stops reading
    // past it, as a TCP receive window would): 4 MiB, Linux's default
    // tcp_rmem maximum is 6 MiB.
    std::uint64_t max_held = 4u << 20;
};

// Runs the relay until stdin closes or SIGTERM; returns the exit code.
int relay_main(const relay_config& cfg);

} // namespace rtb
