#pragma once
// A network profile: what the impairment relay does to every connection
// between a client and the server (netem/README.md), and the `--net SPEC`
// syntax that names one profile or a sweep of them.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtb {

struct net_profile {
    // The label of the CSV's `net` column: a preset's name or the spec in
    // canonical form, words separated by spaces (never a comma).
    std::string name = "none";
    bool relay = false; // false: "none", clients connect straight to the server
    double rtt_ms = 0;    // round trip added, split evenly between the directions
    double jitter_ms = 0; // each segment's one-way delay varies by up to +-jitter/2
    double down_bps = 0;  // server -> client line rate, bits/s; 0 = unlimited
    double up_bps = 0;    // client -> server
    double loss = 0;      // probability that a segment is lost, 0 .. 0.5
    double resets_per_min = 0; // per connection: aborted (RST) at this mean rate
    double queue_ms = 100; // bottleneck buffer: what the line sends in this time
};

// A named profile with its published source.
struct net_preset {
    std::string_view name;
    double rtt_ms, down_kbps, up_kbps;
    double loss_pct;
    std::string_view source;
};
std::span<const net_preset> net_presets();
// The preset table as text (no final newline), for --help.
std::string net_presets_table();

// Parses a --net SPEC into the profiles it names, in order:
//   none | PRESET | KEY=VALUE[,KEY=VALUE...] | PRESET,KEY=VALUE...  ;-separated
// A value may be a list (rtt=0,50,100ms): one profile per combination.
// Throws std::invalid_argument with a one-line message on any error.
std::vector<net_profile> parse_net(std::string_view spec);

// The profile as a spec that parse_net reads back to the same numbers
// (how `run` hands it to the relay process).
std::string net_to_spec(const net_profile& p);

} // namespace rtb
