#include "transports/common/shard_group.hpp"

#include <thread>

#include "harness/clock.hpp"

namespace rtb {

shard_group::shard_group(const server_options& opt, std::span<const transport_descriptor* const> transports,
                         std::size_t threads) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
        auto sh = std::make_unique<shard>();
        sh->core = std::make_unique<server_core>(sh->io, opt, transports);
        // One loop is one server as make_server() builds it: no sequencer.
        if (threads > 1) sh->core->join(*this, i);
        shards_.push_back(std::move(sh));
    }
}

shard_group::~shard_group() {
    // A loop may have posted to another after that one's run() returned
    // (an inbox drain, a gather's answer). Run what is left, with every
    // core still alive, so that nothing a handler holds (a session) is
    // destroyed after its core.
    for (std::size_t ran = 1; ran > 0;) {
        ran = 0;
        for (auto& sh : shards_) {
            sh->io.restart();
            ran += sh->io.poll();
        }
    }
}

void shard_group::start() {
    // The first binds (--port 0: the kernel picks); the others join its port.
    for (auto& sh : shards_) sh->core->start();
}

std::uint16_t shard_group::port() const { return shards_[0]->core->port(); }
std::uint16_t shard_group::control_port() const { return shards_[0]->core->control_port(); }

void shard_group::start_publisher(double rate_hz, std::size_t payload, const target& to, std::uint64_t count,
                                  payload_kind kind) {
    shards_[0]->core->start_publisher(rate_hz, payload, to, count, kind);
}

void shard_group::run() {
    std::vector<std::thread> others;
    for (std::size_t i = 1; i < shards_.size(); ++i) others.emplace_back([this, i] { shards_[i]->io.run(); });
    shards_[0]->io.run();
    for (auto& t : others) t.join();
}

void shard_group::stop() {
    for (auto& sh : shards_) asio::post(sh->io, [c = sh->core.get()] { c->stop(); });
}

std::uint64_t shard_group::publish(const target& to, std::string_view tag, std::string_view payload,
                                   std::uint64_t test_drop_every) {
    std::lock_guard lock(mu_);
    std::uint64_t seq = ++seq_;
    bool deliver_live = !dropped_by_test(seq, test_drop_every);
    auto body = std::make_shared<const std::string>(format_body(seq, now_ns(), tag, payload));
    for (auto& sh : shards_) {
        sh->inbox.push_back({seq, to, body, deliver_live});
        if (!sh->drain_posted) {
            sh->drain_posted = true;
            asio::post(sh->io, [this, s = sh.get()] { drain(*s); });
        }
    }
    return seq;
}

std::uint64_t shard_group::head() const {
    std::lock_guard lock(mu_);
    return seq_;
}

void shard_group::drain(shard& sh) {
    std::vector<pending> batch;
    {
        std::lock_guard lock(mu_);
        batch.swap(sh.inbox);
        sh.drain_posted = false;
    }
    for (auto& m : batch) sh.core->messages().append(m.seq, std::move(m.to), std::move(m.body), m.deliver);
}

void shard_group::on_first(server_core& from, std::function<void(server_core&)> fn, std::function<void()> then) {
    auto* first = shards_[0]->core.get();
    asio::post(shards_[0]->io, [first, &from, fn = std::move(fn), then = std::move(then)]() mutable {
        fn(*first);
        asio::post(from.io(), std::move(then));
    });
}

std::unique_ptr<server_group> make_server_group(const server_options& opt,
                                                std::span<const transport_descriptor* const> transports,
                                                std::size_t threads) {
    return std::make_unique<shard_group>(opt, transports, threads);
}

} // namespace rtb
