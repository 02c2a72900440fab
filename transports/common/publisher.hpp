#pragma once
// The server's constant-rate publisher (`serve --publish-rate`, and the
// harness's POST /control/publish): message i of a run is due at
// t0 + i / rate (harness/schedule.hpp) and is tagged s<its due time>.
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "harness/message.hpp"
#include "harness/payload.hpp"
#include "harness/schedule.hpp"
#include "harness/transport.hpp"

namespace rtb {

class publisher {
public:
    // Rates it accepts: (0, max_rate_hz] messages per second.
    static constexpr double max_rate_hz = max_publish_rate_hz;
    // Messages it publishes in one timer tick at most: when it is behind, it
    // yields to the rest of the server (stats, signals, clients) between
    // bursts instead of spinning, and reports how far behind it is.
    static constexpr std::uint64_t max_burst = 1000;

    using publish_fn = std::function<void(const target&, std::string_view tag, std::string_view payload)>;
    publisher(boost::asio::io_context& io, publish_fn fn);

    static bool valid_rate(double rate_hz) { return rate_hz > 0 && rate_hz <= max_rate_hz; }

    // Pre: valid_rate(rate_hz). `count` 0 = until stop(). The first message
    // will get sequence number `first_seq` (for the harness's accounting).
    // It is due at `t0_ns` (now_ns()'s clock), or 1 ms from now when 0:
    // server processes given one t0 publish on one schedule.
    void start(double rate_hz, std::size_t payload, const target& to, std::uint64_t count,
               std::uint64_t first_seq, payload_kind kind = payload_kind::pattern, std::int64_t t0_ns = 0);
    void stop();

    struct state {
        bool running = false;
        rate_schedule schedule;
        std::uint64_t first_seq = 0, published = 0, count = 0; // count 0 = unbounded
        std::int64_t max_behind_ns = 0; // the latest a message went out, after its due time
    };
    const state& status() const { return st_; }

private:
    void arm();
    void on_timer(boost::system::error_code ec);

    boost::asio::steady_timer timer_;
    publish_fn publish_;
    std::string payload_; // pattern: made once; other kinds: per message
    std::size_t payload_size_ = 0;
    payload_kind kind_ = payload_kind::pattern;
    target to_;
    state st_;
};

} // namespace rtb
