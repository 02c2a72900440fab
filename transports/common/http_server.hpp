#pragma once
// One HTTP/1.1 listener that serves several transports by path (Beast's
// advanced-server shape): an http_session reads requests and routes each to
// the handler installed for its path; a handler answers, holds the request
// (long polling), or takes the socket over (streaming, SSE, WebSocket).
// Included by transports only; the harness sees harness/transport.hpp.
//
// The core is split by concern: this file's .cpp is the listener, the
// sessions and the router; publisher.cpp the constant-rate publisher;
// control.cpp the harness's remote control; page.cpp the live page.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "harness/transport.hpp"
#include "transports/common/flex_stream.hpp"
#include "transports/common/hub.hpp"
#include "transports/common/publisher.hpp"
#include "transports/common/query.hpp"
#include "transports/common/router.hpp"
#include "transports/common/timeouts.hpp"

namespace rtb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;


// Something the core shuts down on stop(): a socket's session, or a request
// held on one (a long poll), which is not a connection of its own and does
// not count toward --max-connections (`socket` false).
class connection {
public:
    explicit connection(class server_core& core, bool socket = true);
    virtual ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    virtual void shut() = 0;
    // The route a long-lived connection serves ("/sse", "/ws", ...), so
    // /control/drop can disconnect one transport's clients server-side.
    std::string_view route;

protected:
    server_core& core_;

private:
    bool socket_;
};

class http_session;
using route_handler =
    std::function<void(const std::shared_ptr<http_session>&, request&&, const query&)>;

// What every subscription endpoint reads first: the method (GET), who the
// subscriber is (?id=<name>&rooms=<a>,<b>) and where it resumes.
struct subscription {
    subscription_filter filter;
    std::optional<std::uint64_t> cursor; // absent: a new subscriber, from now
};
// Where a transport's clients put their resume cursor: a request header
// (tried first, e.g. SSE's Last-Event-ID) and/or a query parameter.
struct cursor_source {
    std::string_view param;
    std::string_view header = {};
};
// Answers 405/400 itself and returns nullopt when the request is not a valid
// subscription.
std::optional<subscription> read_subscription(const std::shared_ptr<http_session>& s,
                                              const request& req, const query& q,
                                              cursor_source from);

class shard_group;

// What /stats answers: the counters, the history and the publisher.
struct stats_view {
    server_stats s;
    std::uint64_t head = 0, history_messages = 0, history_bytes = 0;
    publisher::state pub;
    std::vector<std::uint64_t> loop_active; // open sockets per event loop (`serve --threads`)
};
std::string format_stats_json(const stats_view& v);

class server_core final : public server {
public:
    server_core(asio::io_context& io, server_options opt,
                std::span<const transport_descriptor* const> transports);
    ~server_core() override;

    // Pattern syntax: transports/common/router.hpp. Throws on a duplicate.
    void add_route(std::string_view pattern, route_handler h);

    void start() override;
    std::uint16_t port() const override { return port_; }
    std::uint16_t control_port() const override { return control_port_; }
    std::uint64_t publish(const target& to, std::string_view tag,
                          std::string_view payload) override;
    void start_publisher(double rate_hz, std::size_t payload, const target& to, std::uint64_t count,
                         payload_kind kind) override;
    // ... with its first message due at t0_ns (0: 1 ms from now).
    void start_publisher(double rate_hz, std::size_t payload, const target& to, std::uint64_t count,
                         payload_kind kind, std::int64_t t0_ns);
    void stop() override;
    server_stats stats() const override; // this loop's
    stats_view view() const;              // this loop's
    std::string stats_json() const;       // this loop's

    // With `serve --threads`: this core is loop `index` of `g` (before
    // start()). Its publishes go through the group's sequencer.
    void join(shard_group& g, std::size_t index) { group_ = &g, shard_ = index; }
    // What the control routes and /stats need from every loop, which runs
    // there and comes back as a post: each `then` runs on this core's
    // thread. With one loop, at once.
    void with_stats_json(std::function<void(std::string)> then); // the process's figures
    void on_publisher_loop(std::function<void(server_core&)> fn, std::function<void()> then);
    void drop_everywhere(std::string route, std::function<void(std::size_t)> then);

    asio::io_context& io() { return io_; }
    const server_options& options() const { return opt_; }
    std::span<const transport_descriptor* const> transports() const { return transports_; }
    hub& messages() { return hub_; }
    server_stats& counters() { return stats_; }
    publisher& pub() { return pub_; }

    // The deadlines of one length on this loop (made on first use): what a
    // connection arms instead of a timer of its own.
    timeout_list& timeouts(std::chrono::nanoseconds length);

    // Routes a parsed request; answers 404/405 itself when nothing matches.
    void route(const std::shared_ptr<http_session>& s, request&& req);
    // Shuts every connection on one route; returns how many.
    std::size_t drop(std::string_view route);

private:
    friend class connection;
    void count_socket(int delta);
    // Whether an accepted socket may stay under --max-connections (the
    // process's, over every loop); if so, its slot is taken.
    bool admit();
    void do_accept(tcp::acceptor& acc, bool control);
    void on_accept(tcp::acceptor& acc, bool control, beast::error_code ec, tcp::socket sock);
    void install_core_routes();

    asio::io_context& io_;
    server_options opt_;
    std::vector<const transport_descriptor*> transports_;
    hub hub_;
    tcp::acceptor acceptor_, control_acceptor_;
    std::uint16_t port_ = 0, control_port_ = 0;
    bool stopped_ = false;
    server_stats stats_;
    router<route_handler> routes_;
    std::vector<std::unique_ptr<timeout_list>> timeouts_; // one per length in use
    std::unordered_set<connection*> conns_;
    std::size_t sockets_ = 0; // connections that hold a socket
    publisher pub_;
    shard_group* group_ = nullptr; // with --threads > 1
    std::size_t shard_ = 0;
    bool admitted_ = false; // admit() took the slot of the session being made
};

// The harness's remote control (/control/*): control.cpp.
void install_control_routes(server_core& core);
// The live page at "/", the server clock and the transport list: page.cpp.
void install_page_routes(server_core& core);

class http_session : public connection, public timed, public std::enable_shared_from_this<http_session> {
public:
    // control_only: a session of the plain control listener (TLS runs),
    // which serves /control/* and /stats and nothing else.
    http_session(server_core& core, tcp::socket&& sock, bool control_only = false);
    bool control_only() const { return control_only_; }
    void run();
    // Writes the answer, then reads the next request (or closes when the
    // answer says Connection: close).
    void respond(response&& res);
    // Answers a bad request with `status`, counts it, and closes.
    void fail(http::status status, std::string_view why);
    // Hands the socket over to a long-lived session; this one ends.
    flex_stream release();
    bool released() const { return released_; }
    void shut() override;
    // While a request is held (long polling) nothing reads the socket:
    // calls `on_close` if the client goes away meanwhile, so the hold ends
    // at once instead of when it expires. Cancelled by stop_watching().
    void watch_for_close(std::function<void()> on_close);
    void stop_watching();

private:
    void expired() override { do_close(); } // idle, header or write timeout
    void tls_accept();
    void on_tls_first_bytes(beast::error_code ec, std::size_t n);
    void on_tls_handshake(beast::error_code ec, std::size_t used);
    void do_read();
    void on_readable(beast::error_code ec);
    void on_first_bytes(beast::error_code ec, std::size_t n);
    void read_header();
    void on_header(beast::error_code ec, std::size_t n);
    void on_read(beast::error_code ec, std::size_t n);
    void on_write(bool close, beast::error_code ec, std::size_t n);
    void do_close();

    // An idle keep-alive connection holds none of the buffer, the parser
    // and the answer: they are made when a request begins (hence pointers:
    // a parser is 280 B, an answer 120 B) and dropped when it is done.
    flex_stream stream_;
    beast::flat_buffer buffer_;
    std::unique_ptr<http::request_parser<http::string_body>> parser_;
    std::unique_ptr<response> res_;
    bool released_ = false;
    bool control_only_ = false;
    bool watching_ = false; // watch_for_close() is on
};

// An answer with the request's version and keep-alive, Content-Length set.
response make_response(const request& req, http::status status, std::string body,
                       std::string_view content_type = "text/plain");
// The same for a request that is no longer at hand (an answer gathered from
// every loop comes later): its HTTP version and keep-alive.
response make_response(unsigned version, bool keep_alive, http::status status, std::string body,
                       std::string_view content_type = "text/plain");

} // namespace rtb
