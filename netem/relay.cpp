#include "netem/relay.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <cmath>
#include <iostream>
#include <memory>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "harness/clock.hpp"
#include "harness/histogram.hpp"
#include "harness/procstat.hpp"
#include "netem/line.hpp"

namespace rtb {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// What the whole relay counts (one thread: no atomics needed).
struct relay_stats {
    std::uint64_t accepted = 0, open = 0, resets = 0, lost_segments = 0;
    std::uint64_t bytes_down = 0, bytes_up = 0;
    std::uint64_t held_peak = 0, held_now = 0;
    histogram lateness; // ns a release happened after the model's time
};

// Bytes read and not yet written, in arrival order. A chunk's bytes live on
// the heap and never move while a write points into them (a std::string in
// a growing vector would carry short reads along in its own storage). Two
// empty vectors per idle direction (a std::deque allocates on construction).
class byte_fifo {
public:
    void push(const char* p, std::size_t n) {
        chunk c{std::make_unique<char[]>(n), n};
        std::memcpy(c.data.get(), p, n);
        chunks_.push_back(std::move(c));
    }
    // Up to `n` bytes from the front, as buffers for one gathered write.
    std::vector<asio::const_buffer> front(std::uint64_t n) const {
        std::vector<asio::const_buffer> out;
        std::size_t off = offset_;
        for (std::size_t i = head_; i < chunks_.size() && n > 0 && out.size() < 64; ++i, off = 0) {
            std::size_t k = std::min<std::uint64_t>(n, chunks_[i].size - off);
            out.emplace_back(chunks_[i].data.get() + off, k);
            n -= k;
        }
        return out;
    }
    void consume(std::uint64_t n) {
        while (n > 0) {
            std::size_t k = std::min<std::uint64_t>(n, chunks_[head_].size - offset_);
            offset_ += k;
            n -= k;
            if (offset_ == chunks_[head_].size) chunks_[head_++].data.reset(), offset_ = 0;
        }
        if (head_ == chunks_.size()) chunks_.clear(), head_ = 0;
        else if (head_ > 32 && head_ * 2 > chunks_.size())
            chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(head_)), head_ = 0;
    }

private:
    struct chunk {
        std::unique_ptr<char[]> data;
        std::size_t size;
    };
    std::vector<chunk> chunks_;
    std::size_t head_ = 0, offset_ = 0;
};

class connection;

// One direction: reads `from`, lets the line decide, writes `to`.
class pump {
public:
    pump(connection& c, tcp::socket& from, tcp::socket& to, const line_params& p, std::uint64_t seed,
         std::uint64_t& counter)
        : c_(c), from_(from), to_(to), line_(p, seed), timer_(from.get_executor()), counter_(counter) {}
    void start() { do_wait_read(); }
    bool done() const { return eof_ && line_.held() == 0 && ready_ == 0 && !writing_; }
    bool closing() const { return eof_; }
    // The connection is gone: what it held is dropped.
    void cancel();

private:
    void do_wait_read();
    void on_readable(error_code ec);
    bool may_read(std::int64_t now) const;
    void schedule();
    void on_timer(error_code ec);
    void release(std::int64_t now);
    void do_write();
    void on_write(error_code ec, std::size_t n);
    void finish_if_drained();

    connection& c_;
    tcp::socket& from_;
    tcp::socket& to_;
    line line_;
    byte_fifo fifo_;
    asio::steady_timer timer_;
    std::uint64_t& counter_;
    std::uint64_t ready_ = 0; // released by the line, not yet written
    std::int64_t timer_at_ = INT64_MAX;
    bool reading_ = false, writing_ = false, eof_ = false, shut_ = false;
    bool queue_wait_ = false; // not reading until the bottleneck queue has room
};

class connection : public std::enable_shared_from_this<connection> {
public:
    connection(tcp::socket client, const relay_config& cfg, relay_stats& st, std::uint64_t seed)
        : client_(std::move(client)), server_(client_.get_executor()), reset_timer_(client_.get_executor()),
          cfg_(cfg), st_(st), seed_(seed) {}
    void start(const tcp::endpoint& to);
    // Both sides get a RST (SO_LINGER 0): a network failure, not a close.
    void abort();
    void maybe_close();
    relay_stats& stats() { return st_; }
    std::uint64_t max_held() const { return cfg_.max_held; }
    bool closed() const { return closed_; }
    std::shared_ptr<connection> self() { return shared_from_this(); }

private:
    void on_connect(error_code ec);
    void schedule_reset();

    tcp::socket client_, server_;
    asio::steady_timer reset_timer_;
    const relay_config& cfg_;
    relay_stats& st_;
    std::uint64_t seed_;
    std::unique_ptr<pump> down_, up_;
    bool closed_ = false;
};

// ---- pump ------------------------------------------------------------------------

bool pump::may_read(std::int64_t now) const {
    return !eof_ && !line_.queue_full(now) && line_.held() + ready_ < c_.max_held();
}

void pump::cancel() {
    timer_.cancel();
    c_.stats().held_now -= line_.held() + ready_;
}

void pump::do_wait_read() {
    if (reading_ || eof_) return;
    std::int64_t now = now_ns();
    if (!may_read(now)) {
        // A full bottleneck queue empties at the line rate, whether or not
        // anything is due to leave: wake up when it has room.
        queue_wait_ = line_.queue_full(now);
        if (queue_wait_) schedule();
        return;
    }
    queue_wait_ = false;
    reading_ = true;
    from_.async_wait(tcp::socket::wait_read, [this, self = c_.self()](error_code ec) { on_readable(ec); });
}

void pump::on_readable(error_code ec) {
    reading_ = false;
    if (c_.closed()) return;
    if (ec) return c_.abort();
    // Read no more than the queue and the window have room for (at least a
    // segment), so a full bottleneck pushes back within one segment.
    static thread_local std::array<char, 65536> scratch;
    std::uint64_t room = std::min<std::uint64_t>(scratch.size(), c_.max_held() - std::min(c_.max_held(), line_.held() + ready_));
    room = std::max<std::uint64_t>(1448, std::min(room, line_.queue_room(now_ns())));
    std::size_t n = from_.read_some(asio::buffer(scratch.data(), room), ec);
    if (ec == asio::error::would_block) return do_wait_read();
    if (ec == asio::error::eof) {
        eof_ = true;
        return finish_if_drained();
    }
    if (ec) return c_.abort();
    std::int64_t now = now_ns();
    fifo_.push(scratch.data(), n);
    auto lost_before = line_.lost_segments();
    line_.arrive(now, n);
    auto& st = c_.stats();
    st.lost_segments += line_.lost_segments() - lost_before;
    st.held_now += n;
    st.held_peak = std::max(st.held_peak, st.held_now);
    release(now);
    do_wait_read();
}

// Moves what the line lets go at `now` to the writer, records how late
// that was against the line's own schedule, and sets the timer for the rest.
void pump::release(std::int64_t now) {
    std::int64_t due = line_.next_release();
    std::uint64_t n = line_.release(now);
    if (n > 0) {
        c_.stats().lateness.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - due)));
        ready_ += n;
        do_write();
    }
    schedule();
}

void pump::schedule() {
    std::int64_t at = line_.next_release();
    if (queue_wait_) at = std::min(at, line_.queue_free_at());
    if (at == timer_at_) return;
    timer_at_ = at;
    if (at == INT64_MAX) {
        timer_.cancel();
        return;
    }
    timer_.expires_at(asio::steady_timer::time_point(std::chrono::nanoseconds(at)));
    timer_.async_wait([this, self = c_.self()](error_code ec) { on_timer(ec); });
}

void pump::on_timer(error_code ec) {
    if (ec || c_.closed()) return; // cancelled: a newer timer (or none) replaced it
    timer_at_ = INT64_MAX;
    std::int64_t now = now_ns();
    release(now);
    do_wait_read();
}

void pump::do_write() {
    if (writing_ || ready_ == 0) return;
    writing_ = true;
    asio::async_write(to_, fifo_.front(ready_), [this, self = c_.self()](error_code ec, std::size_t n) { on_write(ec, n); });
}

void pump::on_write(error_code ec, std::size_t n) {
    writing_ = false;
    if (c_.closed()) return;
    if (ec) return c_.abort();
    fifo_.consume(n);
    ready_ -= n;
    counter_ += n;
    c_.stats().held_now -= n;
    do_write();
    do_wait_read();
    finish_if_drained();
}

// EOF passes on (a FIN, as shutdown) once everything before it was written.
void pump::finish_if_drained() {
    if (!done() || shut_) return;
    shut_ = true;
    error_code ignored;
    to_.shutdown(tcp::socket::shutdown_send, ignored);
    c_.maybe_close();
}

// ---- connection ------------------------------------------------------------------

void connection::start(const tcp::endpoint& to) {
    ++st_.accepted;
    ++st_.open;
    server_.async_connect(to, [self = shared_from_this()](error_code ec) { self->on_connect(ec); });
}

void connection::on_connect(error_code ec) {
    if (ec) return abort();
    std::int64_t now = now_ns();
    error_code ignored;
    client_.set_option(tcp::no_delay(true), ignored);
    server_.set_option(tcp::no_delay(true), ignored);
    client_.non_blocking(true, ignored);
    server_.non_blocking(true, ignored);
    down_ = std::make_unique<pump>(*this, server_, client_, line_for(cfg_.net, true, now), seed_ * 2 + 1, st_.bytes_down);
    up_ = std::make_unique<pump>(*this, client_, server_, line_for(cfg_.net, false, now), seed_ * 2 + 2, st_.bytes_up);
    down_->start();
    up_->start();
    schedule_reset();
}

// Resets arrive as a Poisson process per connection: the time to the next
// is exponential with mean 60 / resets_per_min seconds.
void connection::schedule_reset() {
    if (cfg_.net.resets_per_min <= 0) return;
    std::uint64_t z = seed_ * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
    z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
    double u = (static_cast<double>(z >> 11) + 0.5) * 0x1.0p-53;
    double secs = -std::log(u) * 60.0 / cfg_.net.resets_per_min;
    reset_timer_.expires_after(std::chrono::nanoseconds(static_cast<std::int64_t>(secs * 1e9)));
    reset_timer_.async_wait([self = shared_from_this()](error_code ec) {
        // A connection already closing (a FIN either way) is past failing:
        // its application is done with it, so a reset would go unnoticed.
        if (ec || self->closed_ || self->down_->closing() || self->up_->closing()) return;
        ++self->st_.resets;
        self->abort();
    });
}

void connection::abort() {
    if (closed_) return;
    closed_ = true;
    --st_.open;
    error_code ignored;
    for (auto* s : {&client_, &server_}) {
        if (!s->is_open()) continue;
        s->set_option(asio::socket_base::linger(true, 0), ignored);
        s->close(ignored);
    }
    reset_timer_.cancel();
    if (down_) down_->cancel();
    if (up_) up_->cancel();
}

void connection::maybe_close() {
    if (closed_ || !down_->done() || !up_->done()) return;
    closed_ = true;
    --st_.open;
    error_code ignored;
    client_.close(ignored);
    server_.close(ignored);
    reset_timer_.cancel();
    down_->cancel();
    up_->cancel();
}

// ---- the process -------------------------------------------------------------------

class relay {
public:
    relay(asio::io_context& io, const relay_config& cfg)
        : io_(io), cfg_(cfg), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), cfg.listen_port)),
          retry_(io), in_(io, ::dup(STDIN_FILENO)), to_(asio::ip::make_address(cfg.to_host), cfg.to_port) {}
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    void start() {
        do_accept();
        do_command();
    }

private:
    void do_accept() {
        acceptor_.async_accept([this](error_code ec, tcp::socket s) {
            if (ec == asio::error::operation_aborted) return;
            if (ec) { // out of files: try again shortly rather than spin
                std::cerr << "rtbench relay: accept: " << ec.message() << "\n";
                retry_.expires_after(std::chrono::milliseconds(100));
                retry_.async_wait([this](error_code) { do_accept(); });
                return;
            }
            std::make_shared<connection>(std::move(s), cfg_, st_, cfg_.seed * 1'000'003 + st_.accepted)->start(to_);
            do_accept();
        });
    }
    void do_command() {
        asio::async_read_until(in_, cmd_, '\n', [this](error_code ec, std::size_t n) {
            if (ec) return io_.stop(); // the parent is gone
            std::string line(asio::buffers_begin(cmd_.data()), asio::buffers_begin(cmd_.data()) + static_cast<std::ptrdiff_t>(n));
            cmd_.consume(n);
            if (line == "open\n") {
                st_.lateness.reset();
                st_.held_peak = st_.held_now;
            } else if (line == "stats\n") {
                std::cout << stats_json() << std::endl;
            }
            do_command();
        });
    }
    std::string stats_json() const {
        return fmt::format("{{\"accepted\":{},\"open\":{},\"resets\":{},\"lost_segments\":{},\"bytes_down\":{},\"bytes_up\":{},"
                           "\"held_peak\":{},\"late_count\":{},\"late_p50_ns\":{},\"late_p99_ns\":{},\"late_max_ns\":{}}}",
                           st_.accepted, st_.open, st_.resets, st_.lost_segments, st_.bytes_down, st_.bytes_up, st_.held_peak,
                           st_.lateness.count(), st_.lateness.percentile(50), st_.lateness.percentile(99),
                           st_.lateness.max());
    }

    asio::io_context& io_;
    const relay_config& cfg_;
    tcp::acceptor acceptor_;
    asio::steady_timer retry_;
    asio::posix::stream_descriptor in_;
    asio::streambuf cmd_;
    tcp::endpoint to_;
    relay_stats st_;
};

} // namespace

int relay_main(const relay_config& cfg) {
    // Timers here are the delay line: no 50 us slack on their wake-ups.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    raise_fd_limit();
    asio::io_context io{1};
    relay r(io, cfg);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](error_code, int) { io.stop(); });
    r.start();
    std::cout << "port " << r.port() << std::endl;
    io.run();
    return 0;
}

} // namespace rtb
