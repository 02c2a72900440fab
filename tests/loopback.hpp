#pragma once
// Test rig: a server on its own io_context thread and clients on another,
// both on real loopback sockets; everything stops by itself.
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "harness/message.hpp"
#include "harness/transport.hpp"

namespace rtb::test {

// Runs fn on io's thread and waits for it.
template <class F>
auto on(boost::asio::io_context& io, F&& fn) {
    std::packaged_task<decltype(fn())()> task(std::forward<F>(fn));
    auto fut = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return fut.get();
}

class io_thread {
public:
    io_thread() : guard_(io.get_executor()), thread_([this] { io.run(); }) {}
    ~io_thread() { stop(); }
    // Lets pending handlers finish (objects they keep alive may point into
    // a server that is destroyed next); forces a stop only after 5 s.
    void stop() {
        if (!thread_.joinable()) return;
        guard_.reset();
        for (int i = 0; i < 500 && !io.stopped(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        io.stop();
        thread_.join();
    }
    boost::asio::io_context io{1};

private:
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::thread thread_;
};

// One client of transport `t`, started on `th`'s thread.
inline std::shared_ptr<client_session> start_client(io_thread& th, const transport_descriptor& t, const client_config& c,
                                                    client_events& ev) {
    return on(th.io, [&] {
        auto s = t.make_client(th.io, c, ev);
        s->start();
        return s;
    });
}

inline void close_all(io_thread& th, std::vector<std::shared_ptr<client_session>>& v) {
    on(th.io, [&] {
        for (auto& s : v) s->close();
    });
}

struct server_rig {
    explicit server_rig(server_options opt = {},
                        std::span<const transport_descriptor* const> ts = all_transports()) {
        srv = make_server(t.io, opt, ts);
        on(t.io, [&] { srv->start(); });
        port = srv->port();
    }
    ~server_rig() {
        on(t.io, [&] { srv->stop(); });
        t.stop();
    }
    std::uint64_t publish(std::string_view to, std::string_view tag, std::size_t payload) {
        auto tg = *parse_target(to);
        auto p = make_payload(payload);
        return on(t.io, [&] { return srv->publish(tg, tag, p); });
    }
    // n messages in one task on the server's thread (none delivered before all are in).
    void publish_many(std::string_view to, std::string_view tag, std::size_t payload, std::size_t n) {
        auto tg = *parse_target(to);
        auto p = make_payload(payload);
        on(t.io, [&] {
            for (std::size_t i = 0; i < n; ++i) srv->publish(tg, tag, p);
            return 0;
        });
    }
    server_stats stats() { return on(t.io, [&] { return srv->stats(); }); }
    io_thread t;
    std::unique_ptr<server> srv;
    std::uint16_t port = 0;
};

// Records everything a client receives; thread-safe reads for the test.
class collector : public client_events {
public:
    void on_ready(client_session&) override {
        std::lock_guard lk(m_);
        ++ready_;
        cv_.notify_all();
    }
    void on_message(client_session&, std::string_view rec, receive_times) override {
        std::lock_guard lk(m_);
        if (rec.substr(0, 6) == "!head ") return;
        records_.emplace_back(rec);
        if (auto b = parse_body(rec)) seqs_.push_back(b->seq);
        cv_.notify_all();
    }
    void on_closed(client_session&, std::string_view) override {
        std::lock_guard lk(m_);
        ++closed_;
    }
    bool wait(std::function<bool()> pred, std::chrono::milliseconds t = std::chrono::seconds(10)) {
        std::unique_lock lk(m_);
        return cv_.wait_for(lk, t, pred);
    }
    bool wait_ready(int n) { return wait([&] { return ready_ >= n; }); }
    bool wait_messages(std::size_t n) { return wait([&] { return seqs_.size() >= n; }); }
    std::vector<std::uint64_t> seqs() {
        std::lock_guard lk(m_);
        return seqs_;
    }
    std::vector<std::string> records() {
        std::lock_guard lk(m_);
        return records_;
    }
    int ready() {
        std::lock_guard lk(m_);
        return ready_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    int ready_ = 0, closed_ = 0;
    std::vector<std::string> records_;
    std::vector<std::uint64_t> seqs_;
};

// Sends raw bytes, reads until the server closes; returns what came back.
// `after_head`, if any, is sent once the response head has arrived (a
// WebSocket client may send frames only after the 101, RFC 6455 4.1).
inline std::string raw_exchange(std::uint16_t port, const std::string& bytes, const std::string& after_head = {}) {
    using boost::asio::ip::tcp;
    boost::asio::io_context io;
    tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    boost::asio::write(s, boost::asio::buffer(bytes));
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    if (!after_head.empty()) {
        while (out.find("\r\n\r\n") == std::string::npos && !ec)
            out.append(buf, s.read_some(boost::asio::buffer(buf), ec));
        boost::asio::write(s, boost::asio::buffer(after_head));
    }
    for (;;) {
        std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
        out.append(buf, n);
        if (ec) break;
    }
    return out;
}

inline std::string status_line(const std::string& r) { return r.substr(0, r.find("\r\n")); }

inline std::vector<std::uint64_t> iota_seq(std::uint64_t first, std::uint64_t last) {
    std::vector<std::uint64_t> v;
    for (auto i = first; i <= last; ++i) v.push_back(i);
    return v;
}

} // namespace rtb::test
