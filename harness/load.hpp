#pragma once
// A load thread: one io_context, its share of the client sessions, and its
// own histograms and counters (merged by the runner after the run; nothing
// is shared on the hot path).
#include <atomic>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <memory>
#include <thread>
#include <unordered_map>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>

#include "harness/histogram.hpp"
#include "harness/payload.hpp"
#include "harness/seq_tracker.hpp"
#include "harness/transport.hpp"

namespace rtb {

// push: the server publishes; echo: each client sends to itself through
// the server; connect: connections idle; broadcast: the first `publishers`
// clients send, every client receives every message.
enum class scenario { push, echo, connect, broadcast };

struct session_state {
    std::shared_ptr<client_session> s;
    std::string id;
    std::size_t index = 0; // global client index
    seq_tracker tracker;   // push: server seq; echo: this client's send number
    std::vector<seq_tracker> from; // broadcast: one per publisher, its send numbers
    std::int64_t connect_start_ns = 0;
    bool ready = false;
    std::uint32_t failures = 0; // connection attempts that failed before the first ready
    // echo, broadcast: this client's send schedule (broadcast: publishers only)
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::int64_t first_send_ns = 0;
    std::uint64_t next_send = 0; // number of the next send (from 1)
    std::uint64_t window_first = 1, window_last = 0; // sends scheduled in the window
};

class load_thread : public client_events {
public:
    // client_work_ns: how long each received message keeps this thread
    // busy (a busy wait on the clock standing in for application work; 0 = none).
    load_thread(const transport_descriptor& t, scenario sc, std::size_t payload,
                payload_kind kind = payload_kind::pattern, std::int64_t client_work_ns = 0);
    ~load_thread() override;

    void add_session(std::size_t index, client_config cfg);
    // Starts the sessions, at most `concurrency` connecting at once and, when
    // rate_hz > 0, no faster than rate_hz new connections per second.
    void start(std::size_t concurrency, double rate_hz = 0);
    std::size_t ready_count() const { return ready_.load(std::memory_order_relaxed); }
    // Sessions not ready that have failed this many times in a row: the
    // connect phase stops waiting when every client is ready or stuck.
    static constexpr std::uint32_t stuck_after = 3;
    std::size_t stuck_count() const { return stuck_.load(std::memory_order_relaxed); }
    // Why the last connection attempt that failed before ready failed.
    std::string first_failure();
    // Why a client that was ready first lost its subscription (a proxy's
    // 504, a reset): the cause behind the reconnects column.
    std::string first_drop();

    // Measurement window [ms, me) in CLOCK_MONOTONIC ns. Set before ms.
    void set_window(std::int64_t ms, std::int64_t me);
    // How records go up. bare: as message bodies an external server returns
    // unchanged (`run --target`), not rtbench's addressed upstream records;
    // publishers: broadcast's sending clients (global indices 0..n-1).
    void set_upstream(bool bare, std::size_t publishers);
    // echo, broadcast: start sending at `rate` per sending client; client k's
    // first send is at t0 + k * spread so sends are spread evenly over one period.
    void start_echo(double rate_hz, std::int64_t t0, std::int64_t spread_ns);
    // broadcast: each publisher on this thread, its global index and its
    // sends scheduled in the window [first, last] (read after the window).
    struct publisher_window {
        std::size_t index = 0;
        std::uint64_t first = 1, last = 0;
    };
    std::vector<publisher_window> publisher_windows();
    std::vector<publisher_window> publisher_windows_joined() const; // the same, after stop()

    // Runs fn on this thread and waits.
    template <class F>
    auto call(F&& fn);

    // Reads every session's wire bytes and opens (or closes) the counting of
    // received messages in one task on this thread, so the bytes and the
    // messages of the measure window are taken at the same instant.
    wire_bytes mark_window(bool open);
    std::uint64_t min_highest(); // push drain: lowest "highest seq" over sessions
    bool echo_drained();         // every send in the window came back (or never will)
    // broadcast: every client here has each publisher's last send in the
    // window (wins indexed by publisher).
    bool broadcast_drained(const std::vector<publisher_window>& wins);
    void close_all();
    void stop();

    // Results (read after stop()).
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
    double handshake_down_sum = 0, handshake_up_sum = 0;
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
    double handshake_bytes_sum = 0;
    std::int64_t max_send_lag_ns = 0;
    std::deque<session_state> sessions;

    void on_ready(client_session& s) override;
    void on_message(client_session& s, std::string_view rec, receive_times at) override;
    void on_closed(client_session& s, std::string_view why) override;
    void on_connected(client_session& s, const connection_timing& t) override;

private:
    void start_next();
    void schedule_send(session_state& st);
    void send_due(session_state& st);
    bool in_window(std::int64_t t) const { return t >= ms_ && t < me_; }

    const transport_descriptor& t_;
    scenario sc_;
    payload_kind kind_;
    std::size_t payload_size_;
    std::int64_t client_work_ns_;
    std::string payload_; // the pattern payload, made once
    payload_checker checker_;
    double rate_hz_ = 0;
    std::int64_t ms_ = INT64_MAX, me_ = INT64_MIN;
    bool counting_ = false; // between mark_window(true) and mark_window(false)
    bool bare_ = false;     // set_upstream
    std::size_t publishers_ = 0;
    std::unordered_map<const client_session*, session_state*> by_session_;
    std::size_t next_to_start_ = 0, connecting_ = 0, concurrency_ = 0;
    double connect_rate_ = 0;
    std::int64_t connect_t0_ = 0;
    std::unique_ptr<boost::asio::steady_timer> pace_;
    std::atomic<std::size_t> ready_{0}, stuck_{0};
    std::mutex failure_mu_;
    std::string failure_, drop_;
    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::thread thread_;
};

} // namespace rtb
