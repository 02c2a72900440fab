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
#include "harness/load_worker.hpp"
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

class load_thread final : public client_events, public load_worker {
public:
    // client_work_ns: how long each received message keeps this thread
    // busy (a busy wait on the clock standing in for application work; 0 = none).
    load_thread(const transport_descriptor& t, scenario sc, std::size_t payload,
                payload_kind kind = payload_kind::pattern, std::int64_t client_work_ns = 0);
    ~load_thread() override;

    void add_session(std::size_t index, client_config cfg);
    // How records go up. bare: as message bodies an external server returns
    // unchanged (`run --target`), not rtbench's addressed upstream records;
    // publishers: broadcast's sending clients (global indices 0..n-1).
    void set_upstream(bool bare, std::size_t publishers);
    // Sessions not ready that have failed this many times in a row: the
    // connect phase stops waiting when every client is ready or stuck.
    static constexpr std::uint32_t stuck_after = 3;

    // load_worker: each runs on this thread (call()) and waits for it.
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

    void on_ready(client_session& s) override;
    void on_message(client_session& s, std::string_view rec, receive_times at) override;
    void on_closed(client_session& s, std::string_view why) override;
    void on_connected(client_session& s, const connection_timing& t) override;

private:
    // Runs fn on this thread and waits (directly once the thread has stopped).
    template <class F>
    auto call(F&& fn);
    std::vector<publisher_window> windows_here() const;
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
    load_results out_;
    std::deque<session_state> sessions_;
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
