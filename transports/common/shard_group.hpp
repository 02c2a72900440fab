#pragma once
// `serve --threads N`: N event loops in one process, each a server_core of
// its own (its acceptor on the shared port, its connections, a hub of its
// subscribers with its copy of the history), joined by one sequencer.
//
// A publish, from any loop, takes the sequencer's lock only to number the
// message, serialise its body once and append it to every loop's inbox;
// each loop then delivers its inbox in sequence order on its own thread.
// So every connection gets its messages in order, every loop's history is
// the same ordered log (a client resumes on whichever loop it lands), and
// nothing of the delivery path is shared between threads but the body's
// bytes, which never change. Frames are encoded per loop (the hub's cache
// is not shared), so the cache needs no lock either.
//
// The order comes from the inboxes, not from the io_context queues: Asio
// queues a post from a loop to itself privately until its handler returns,
// so two posts from two threads could reach a loop out of order.
//
// Loops never block on each other: what needs every loop (stats, drop) or
// the first one (the publisher) is posted there and answered by a post
// back (gather(), on_first()).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "transports/common/http_server.hpp"

namespace rtb {

class shard_group final : public server_group {
public:
    shard_group(const server_options& opt, std::span<const transport_descriptor* const> transports,
                std::size_t threads);
    ~shard_group() override;

    void start() override;
    std::uint16_t port() const override;
    std::uint16_t control_port() const override;
    std::size_t threads() const override { return shards_.size(); }
    asio::io_context& io() override { return shards_[0]->io; }
    void start_publisher(double rate_hz, std::size_t payload, const target& to, std::uint64_t count,
                         payload_kind kind) override;
    void run() override;
    void stop() override;

    // ---- for the loops' cores (any thread) ----
    // Numbers the message, serialises it and queues it for every loop
    // (test_drop_every: hub.hpp's dropped_by_test()).
    std::uint64_t publish(const target& to, std::string_view tag, std::string_view payload,
                          std::uint64_t test_drop_every);
    std::uint64_t head() const; // the last number given
    // Sockets open over every loop (--max-connections is the process's).
    std::atomic<std::size_t> sockets{0};

    // Runs `fn` on every loop's thread, then `then` with the results, in
    // loop order, on the thread of `from`.
    template <class R>
    void gather(server_core& from, std::function<R(server_core&)> fn, std::function<void(std::vector<R>)> then);
    // Runs `fn` on the first loop's thread (the publisher's), then `then`
    // on the thread of `from`.
    void on_first(server_core& from, std::function<void(server_core&)> fn, std::function<void()> then);

private:
    struct pending {
        std::uint64_t seq;
        target to;
        std::shared_ptr<const std::string> body;
        bool deliver;
    };
    struct shard {
        asio::io_context io{1};
        std::unique_ptr<server_core> core;
        std::vector<pending> inbox; // guarded by mu_
        bool drain_posted = false;  // guarded by mu_
    };
    void drain(shard& sh);

    std::vector<std::unique_ptr<shard>> shards_;
    mutable std::mutex mu_;
    std::uint64_t seq_ = 0; // guarded by mu_
};

template <class R>
void shard_group::gather(server_core& from, std::function<R(server_core&)> fn,
                         std::function<void(std::vector<R>)> then) {
    struct state {
        std::vector<R> results;
        std::size_t left;
        std::function<void(std::vector<R>)> then;
    };
    auto st = std::make_shared<state>(state{std::vector<R>(shards_.size()), shards_.size(), std::move(then)});
    auto fn_shared = std::make_shared<std::function<R(server_core&)>>(std::move(fn));
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        auto* core = shards_[i]->core.get();
        asio::post(shards_[i]->io, [st, fn_shared, core, i, &from] {
            R r = (*fn_shared)(*core);
            // Every result is written on `from`'s thread: no lock.
            asio::post(from.io(), [st, i, r = std::move(r)]() mutable {
                st->results[i] = std::move(r);
                if (--st->left == 0) st->then(std::move(st->results));
            });
        });
    }
}

} // namespace rtb
