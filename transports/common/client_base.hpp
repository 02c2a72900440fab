#pragma once
// What the clients share: connect, reconnect-and-resume, kernel byte
// accounting for every socket they open, request headers by profile, and an
// HTTP upstream (POST /send on its own keep-alive connection).
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "harness/transport.hpp"
#include "transports/common/flex_stream.hpp"

namespace rtb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// What a browser sends with one kind of request, for --headers browser.
// The kinds rtbench's transports use are below; a transport whose browser
// API differs (a <script> tag, an iframe) declares its own.
struct browser_request {
    bool websocket = false;               // the upgrade request's own header set
    bool post = false;                    // adds Content-Type and Origin
    std::string_view accept = "*/*";
    bool no_cache = false;                // Cache-Control: no-cache (EventSource)
    std::string_view fetch_mode = "cors"; // Sec-Fetch-Mode
    std::string_view fetch_dest = "empty";
};
inline constexpr browser_request fetch_get{};
inline constexpr browser_request fetch_post{.post = true};
inline constexpr browser_request eventsource{.accept = "text/event-stream", .no_cache = true};
inline constexpr browser_request websocket_upgrade{.websocket = true};

// Sets Host and, for header_profile::browser, the headers a current desktop
// Chrome sends for that kind of request (list in the top-level README).
void add_profile_headers(http::fields& f, const client_config& cfg, const browser_request& kind);

// Query-string part naming the subscriber: "id=..&rooms=a,b" (may be empty).
std::string identity_query(const client_config& cfg);
// "<path>?<a>&<b>..." leaving out the empty parts (and a lone '?').
std::string make_target(std::string_view path, std::initializer_list<std::string_view> parts);

// Kernel byte counts of the sockets one client opens: those open now (read
// live) plus those already closed (counted as they close).
class socket_meter {
public:
    // Counts the connection of `s` (whichever socket it has now) while it
    // is open; `s` must outlive the meter or be forgotten.
    void watch(flex_stream& s) { live_.push_back(&s); }
    void forget(flex_stream& s);
    // Adds the counts of the connection of `s` to the closed total, then closes it.
    void retire(flex_stream& s) noexcept;
    wire_bytes total() const;

private:
    std::vector<flex_stream*> live_;
    wire_bytes closed_;
};

// Opens a new connection on `s` for a client: TCP connect to cfg's server,
// then, when cfg.tls is set, the TLS handshake (resuming the session in
// `slot` when the run asks for it). `timing` gets how long each took;
// `done` the outcome (describe_error() words it).
void open_connection(asio::io_context& io, const client_config& cfg, flex_stream& s,
                     const std::shared_ptr<tls_session_slot>& slot,
                     std::function<void(const connection_timing&)> timing,
                     std::function<void(beast::error_code)> done);

class http_upstream : public std::enable_shared_from_this<http_upstream> {
public:
    http_upstream(asio::io_context& io, const client_config& cfg, std::function<void(const connection_timing&)> timing);
    void send(std::shared_ptr<const std::string> record);
    void close();
    wire_bytes wire() const { return meter_.total(); }
    std::uint64_t acked() const { return acked_; }

private:
    void do_next();
    void on_connect(beast::error_code ec);
    void on_write(beast::error_code ec, std::size_t n);
    void on_read(beast::error_code ec, std::size_t n);
    void reset();

    asio::io_context& io_;
    const client_config& cfg_;
    std::function<void(const connection_timing&)> timing_;
    std::shared_ptr<tls_session_slot> slot_ = std::make_shared<tls_session_slot>();
    flex_stream stream_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::string>> queue_;
    http::request<http::string_body> req_;
    http::response<http::string_body> res_;
    socket_meter meter_;
    std::uint64_t acked_ = 0;
    bool busy_ = false, connected_ = false, closed_ = false;
};

// The POSTs of a client's own session (Socket.IO's and SockJS's uploads):
// one at a time, on a keep-alive connection of their own (a browser uses a
// second connection too). The client watches `stream` with its meter and
// fills `req` before client_base::post().
struct post_channel {
    explicit post_channel(asio::io_context& io) : stream(io) {}
    flex_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
    bool open = false, reused = false;
};

// Base of every client session. Derived classes implement connect() and
// teardown(); the base owns resume state, reconnects and upstream.
class client_base : public client_session, public std::enable_shared_from_this<client_base> {
public:
    client_base(asio::io_context& io, const client_config& cfg, client_events& ev);

    void start() override { connect(); }
    void send(std::shared_ptr<const std::string> record) override;
    void close() override;
    void drop() override;
    wire_bytes wire() const override;
    std::uint64_t last_seq() const override { return last_seq_; }
    std::uint64_t sent() const override { return upstream_ ? upstream_->acked() : 0; }

protected:
    // Opens the subscription (resuming after cursor() when it is set).
    virtual void connect() = 0;
    // Closes the subscription sockets (retiring them through meter_).
    virtual void teardown() = 0;

    // Delivers one record to the harness; a message (or "!head N") moves
    // the resume cursor. kernel_ns: the kernel's receive time of the read
    // that completed it (flex_stream::rx_ns). The processed time is taken
    // here, record by record, so the harness's work on one record delays
    // the next one's, as it does.
    void emit(std::string_view record, std::int64_t kernel_ns);
    // The one way the resume cursor moves: the server has told us a
    // position (a message's seq, "!head N", an SSE id, a poll cursor).
    void advance_cursor(std::uint64_t seq);
    // Where to resume: unset until the server has told us a position.
    std::optional<std::uint64_t> cursor() const {
        return have_cursor_ ? std::optional<std::uint64_t>(last_seq_) : std::nullopt;
    }
    void ready();
    // The subscription failed: tell the harness, tear down, reconnect later.
    void lost(std::string_view why);
    bool closed() const { return closed_; }
    // Each (re)connect is a new generation; a handler started for an older
    // one finds itself stale and does nothing (its socket is already gone).
    bool stale(std::uint64_t gen) const { return closed_ || gen != gen_; }
    std::uint64_t gen_ = 0;
    template <class Derived>
    std::shared_ptr<Derived> self() {
        return std::static_pointer_cast<Derived>(shared_from_this());
    }
    // Opens a new connection on `s` (open_connection), reporting its timing.
    void open(flex_stream& s, std::function<void(beast::error_code)> done);
    // Sends c.req on c's connection (a new one when none is open) and hands
    // the answer, whatever its status, to `done`, in this generation only.
    // A keep-alive connection the server closed just as we reused it (its
    // idle timeout) gets the POST again, once, on a new connection; any
    // other failure is lost(). An answer that does not keep the connection
    // alive closes it (counted) before `done` runs.
    using post_done = std::function<void(const http::response<http::string_body>&)>;
    void post(post_channel& c, post_done done);
    // Forgets c's connection (counted) and anything half read on it.
    void retire(post_channel& c);
    std::function<void(const connection_timing&)> timing_reporter();

    asio::io_context& io_;
    client_config cfg_;
    client_events& ev_;
    socket_meter meter_;
    // The session this client resumes on its next TLS connection.
    std::shared_ptr<tls_session_slot> tls_slot_ = std::make_shared<tls_session_slot>();

private:
    void post_write(post_channel& c, post_done done);
    void post_failed(post_channel& c, const char* what, beast::error_code ec, post_done done);

    std::uint64_t last_seq_ = 0;
    bool have_cursor_ = false;
    std::shared_ptr<http_upstream> upstream_;
    asio::steady_timer retry_;
    bool closed_ = false;
};

} // namespace rtb
