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
#include <boost/asio/read.hpp>
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
// A client frame (RFC 6455 5.2): `first` is the FIN/RSV/opcode byte; the
// payload masked with a fixed non-zero key; the length in its shortest
// form unless `len_form` forces one (126 or 127).
inline std::string masked_frame(std::uint8_t first, std::string_view payload, int len_form = 0) {
    static constexpr char key[4] = {'\x12', '\x34', '\x56', '\x78'};
    std::string f(1, static_cast<char>(first));
    std::size_t len = payload.size();
    int form = len_form ? len_form : len < 126 ? 0 : len < 65536 ? 126 : 127;
    if (form == 0) {
        f.push_back(static_cast<char>(0x80 | len));
    } else {
        f.push_back(static_cast<char>(0x80 | form));
        for (int i = form == 126 ? 1 : 7; i >= 0; --i) f.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
    }
    f.append(key, 4);
    for (std::size_t i = 0; i < len; ++i) f.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
    return f;
}

// A WebSocket upgrade request for `target` (the RFC's sample key).
inline std::string ws_upgrade(std::string_view target = "/ws", std::string_view version = "13") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
           "Sec-WebSocket-Version: " + std::string(version) + "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
}

// A blocking client connection for byte-exact checks of what a server
// sends.
struct raw {
    explicit raw(std::uint16_t port) : s(io) {
        s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    }
    void send(const std::string& b) { boost::asio::write(s, boost::asio::buffer(b)); }
    std::string read_exactly(std::size_t n) {
        std::string b(n, '\0');
        boost::asio::read(s, boost::asio::buffer(b));
        return b;
    }
    // One chunk of a chunked body: its size line, then exactly size + 2 bytes
    // (data and CRLF). Returns {size line, the rest}.
    std::pair<std::string, std::string> read_chunk() {
        std::string line;
        while (line.size() < 2 || line.substr(line.size() - 2) != "\r\n") line += read_exactly(1);
        std::size_t size = std::stoul(line, nullptr, 16);
        return {line, read_exactly(size + 2)};
    }
    std::string read_head() {
        std::string out;
        char c;
        while (out.size() < 4 || out.compare(out.size() - 4, 4, "\r\n\r\n") != 0) {
            boost::asio::read(s, boost::asio::buffer(&c, 1));
            out += c;
        }
        return out;
    }
    // One server frame (RFC 6455 5.2, unmasked): its opcode, its payload
    // and its size on the wire.
    struct ws_frame {
        int op = -1;
        std::string payload;
        std::size_t wire = 0;
    };
    ws_frame read_ws_frame() {
        auto h = read_exactly(2);
        std::size_t len = static_cast<unsigned char>(h[1]) & 0x7f, ext = len == 126 ? 2 : len == 127 ? 8 : 0;
        if (ext) {
            len = 0;
            for (char c : read_exactly(ext)) len = (len << 8) | static_cast<unsigned char>(c);
        }
        return {static_cast<unsigned char>(h[0]) & 0x0f, read_exactly(len), 2 + ext + len};
    }
    // Everything until the server closes (or `limit` passes).
    std::string read_to_eof(std::chrono::milliseconds limit = std::chrono::seconds(5)) {
        std::string out;
        auto end = std::chrono::steady_clock::now() + limit;
        s.non_blocking(true);
        boost::system::error_code ec;
        char buf[4096];
        while (std::chrono::steady_clock::now() < end) {
            std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
            if (ec == boost::asio::error::would_block) {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                continue;
            }
            if (ec) break;
            out.append(buf, n);
        }
        s.non_blocking(false);
        eof = ec && ec != boost::asio::error::would_block;
        return out;
    }
    bool eof = false; // read_to_eof() saw the server close
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s;
};

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
