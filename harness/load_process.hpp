#pragma once
// A load process: `rtbench load-worker` in a process of its own, running its
// share of the clients on its own load threads, driven over a socket pair
// one command line at a time. Several of them carry a load past one
// process's open-file limit (20,000 here) and onto every core; what they
// measured comes back whole (load_results::encode) and merges exactly.
//
// The protocol (one line each way; an answer "error <why>" fails the call):
//   start C R           -> ok           progress      -> READY STUCK FAILURE
//   window MS ME        -> ok           echo R T0 S   -> ok
//   publishers          -> I:F:L ...    mark 0|1      -> DOWN UP SEGS_IN SEGS_OUT TLS_DOWN TLS_UP
//   min_highest         -> N            echo_drained  -> 0|1
//   broadcast_drained I:F:L ...  -> 0|1
//   close -> ok         stop -> ok      results F L I:F:L ... -> load_results::encode()
//   exit  -> ok, and the process ends
#include <string>
#include <vector>

#include "harness/load_worker.hpp"

namespace rtb {

class load_process final : public load_worker {
public:
    // Starts `bin load-worker args...`; its stderr goes to `log`. `name`
    // ("load process 2 of 4") is how errors name it.
    load_process(const std::string& bin, const std::vector<std::string>& args, const std::string& log, std::string name);
    ~load_process() override;
    load_process(const load_process&) = delete;
    load_process& operator=(const load_process&) = delete;

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
    std::vector<int> pids() const override { return {pid_}; }

private:
    // Sends one command and returns the answer (without "\n"); throws
    // std::runtime_error naming this process when it answers an error, dies,
    // or says nothing for timeout_s.
    std::string ask(const std::string& command, double timeout_s = 30);

    std::string name_, log_;
    int pid_ = -1, fd_ = -1;
    std::string buf_; // bytes read past the last answer
};

// The load process's side: reads commands from fd `in`, runs them on `w`,
// answers on fd `out`, until "exit" or the end of its input (the harness
// gone). Returns the process's exit code.
int serve_load_commands(load_worker& w, int in, int out);

// "I:F:L I:F:L" <-> publisher windows (shared by both sides).
std::string encode_windows(const std::vector<publisher_window>& wins);
std::vector<publisher_window> decode_windows(std::string_view text);

} // namespace rtb
