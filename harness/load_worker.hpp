#pragma once
// What the runner asks of the load generator, whether a load thread in this
// process (load.hpp), a load process of its own (load_process.hpp), or a
// group of either (load_group, which merges what its members report: one
// place for each merge, used by the runner over processes and by a load
// process over its threads).
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness/histogram.hpp"
#include "harness/seq_tracker.hpp"
#include "harness/wire_bytes.hpp"

namespace rtb {

// broadcast: one publisher's global index and its sends scheduled in the
// window [first, last].
struct publisher_window {
    std::size_t index = 0;
    std::uint64_t first = 1, last = 0;
};

// What every client was due in the window. push: the server's seqs [first,
// last]; echo: each client's own sends in the window (nothing here);
// broadcast: each publisher's window, indexed by publisher.
struct due_window {
    std::uint64_t first = 1, last = 0;
    std::vector<publisher_window> publishers;
};

// Everything a load generator measured, merged exactly: histograms bucket by
// bucket, counts summed. encode() is one line decode() reads back equal.
struct load_results {
    histogram latency, latency_uncorrected, connect;
    // The same messages at the kernel's receive time (the headline), and the
    // load generator's own delay: kernel receive -> processed. A message the
    // kernel gave no stamp is counted at processed time in rx_latency (an
    // upper bound), left out of generator_delay, and counted in rx_unstamped.
    histogram rx_latency, generator_delay;
    std::uint64_t rx_unstamped = 0;
    // Every connection the clients opened (first ones, reconnects, upstream
    // and per-poll connections): TCP connect and TLS handshake times.
    histogram tcp_connect, tls_handshake;
    std::uint64_t tls_handshakes = 0, tls_resumed = 0;
    std::set<std::string> tls_versions; // negotiated, over every handshake
    // Sums over the ready clients of the bytes their subscription took.
    std::uint64_t handshake_down_sum = 0, handshake_up_sum = 0;
    std::uint64_t received_in_window = 0, payload_in_window = 0, gaps = 0, corrupt = 0;
    // What the application handed the transport in the window: the bodies
    // received in it, and (echo) the upstream records sent in it, each
    // direction counted at the moment its wire bytes are. Wire bytes beyond
    // this are the transport's own. Counting a record at its answer instead
    // put a record sent just before the window's opening in it without its
    // bytes (a whole record short at every phase-aligned opening).
    std::uint64_t app_bytes_in_window = 0;
    // rtbench's fields in each message received in the window, both
    // crossings in echo: counted per message, so exact at the edges.
    std::uint64_t envelope_in_window = 0;
    std::uint64_t reconnects = 0;
    std::int64_t max_send_lag_ns = 0;
    // What the clients received of what they were due (results(due)).
    seq_tracker::window_counts counts;
    std::string first_drop; // why a ready client first lost its subscription

    void merge(const load_results& o);
    std::string encode() const;
    static load_results decode(std::string_view line); // throws std::invalid_argument
};

class load_worker {
public:
    virtual ~load_worker() = default;
    // Starts the sessions, at most `concurrency` connecting at once and, when
    // rate_hz > 0, no faster than rate_hz new connections per second.
    virtual void start(std::size_t concurrency, double rate_hz) = 0;
    struct progress {
        std::size_t ready = 0, stuck = 0;
        std::string failure; // why the first connection attempt that failed before ready failed
    };
    virtual progress connect_progress() = 0;
    // Measurement window [ms, me) in CLOCK_MONOTONIC ns.
    virtual void set_window(std::int64_t ms, std::int64_t me) = 0;
    // echo, broadcast: start sending at `rate` per sending client; client k's
    // first send is at t0 + k * spread.
    virtual void start_echo(double rate_hz, std::int64_t t0, std::int64_t spread_ns) = 0;
    // broadcast: the publishers here and their windows (also after stop()).
    virtual std::vector<publisher_window> publisher_windows() = 0;
    // Reads every session's wire bytes and opens (or closes) the counting of
    // received messages at one instant.
    virtual wire_bytes mark_window(bool open) = 0;
    virtual std::uint64_t min_highest() = 0; // push drain: lowest "highest seq" over sessions
    virtual bool echo_drained() = 0;         // every send in the window came back (or never will)
    virtual bool broadcast_drained(const std::vector<publisher_window>& wins) = 0;
    virtual void close_all() = 0;
    virtual void stop() = 0;
    // After stop(): what was measured, and what the clients got of `due`.
    virtual load_results results(const due_window& due) = 0;
    // The processes the load runs in (this one, or load processes).
    virtual std::vector<int> pids() const = 0;
};

// Several workers as one: asks each, merges the answers.
class load_group final : public load_worker {
public:
    explicit load_group(std::vector<std::unique_ptr<load_worker>> members) : members_(std::move(members)) {}
    std::size_t size() const { return members_.size(); }

    void start(std::size_t concurrency, double rate_hz) override;
    progress connect_progress() override;
    void set_window(std::int64_t ms, std::int64_t me) override;
    void start_echo(double rate_hz, std::int64_t t0, std::int64_t spread_ns) override;
    std::vector<publisher_window> publisher_windows() override;
    wire_bytes mark_window(bool open) override;
    std::uint64_t min_highest() override;
    bool echo_drained() override;
    bool broadcast_drained(const std::vector<publisher_window>& wins) override;
    void close_all() override;
    void stop() override;
    load_results results(const due_window& due) override;
    std::vector<int> pids() const override;

private:
    std::vector<std::unique_ptr<load_worker>> members_;
};

} // namespace rtb
