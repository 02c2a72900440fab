#pragma once
// One HTTP/1.1 listener that serves several transports by path (Beast's
// advanced-server shape): an http_session reads requests and routes each to
// the handler installed for its path; a handler answers, holds the request
// (long polling), or takes the socket over (streaming, SSE, WebSocket).
// Included by transports only; the harness sees harness/transport.hpp.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "harness/transport.hpp"
#include "transports/common/hub.hpp"

namespace rtb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// Path and decoded query parameters of a request target.
struct query {
    std::string path;
    std::vector<std::pair<std::string, std::string>> params;
    const std::string* get(std::string_view key) const;
};
std::optional<query> parse_query(std::string_view target);

// Reads the subscriber identity every subscription endpoint accepts:
// ?id=<name>&rooms=<name>,<name>. False when a name is invalid.
bool read_filter(const query& q, subscription_filter& f);

// A server-side connection the core can shut down on stop().
class connection {
public:
    explicit connection(class server_core& core);
    virtual ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    virtual void shut() = 0;
    // The route a long-lived connection serves ("/sse", "/ws", ...), so
    // /control/drop can disconnect one transport's clients server-side.
    std::string_view route;

protected:
    server_core& core_;
};

class http_session;
using route_handler =
    std::function<void(const std::shared_ptr<http_session>&, request&&, const query&)>;

class server_core final : public server {
public:
    server_core(asio::io_context& io, server_options opt);
    ~server_core() override;

    void add_route(std::string path, route_handler h);

    void start() override;
    std::uint16_t port() const override { return port_; }
    std::uint64_t publish(const target& to, std::string_view tag,
                          std::string_view payload) override;
    void start_publisher(double rate_hz, std::size_t payload, const target& to,
                         std::uint64_t count) override;
    void stop() override;
    server_stats stats() const override;

    asio::io_context& io() { return io_; }
    const server_options& options() const { return opt_; }
    hub& messages() { return hub_; }
    server_stats& counters() { return stats_; }

    // Routes a parsed request; answers 404/405 itself when nothing matches.
    void route(const std::shared_ptr<http_session>& s, request&& req);

private:
    friend class connection;
    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket sock);
    void install_common_routes();
    std::string stats_json() const;

    // The constant-rate publisher (also driven by /control/publish).
    void stop_publisher();
    void on_publish_timer(beast::error_code ec);
    std::size_t drop(std::string_view route);

    asio::io_context& io_;
    server_options opt_;
    hub hub_;
    tcp::acceptor acceptor_;
    asio::steady_timer accept_retry_;
    std::uint16_t port_ = 0;
    bool stopped_ = false;
    server_stats stats_;
    std::unordered_map<std::string, route_handler> routes_;
    std::unordered_set<connection*> conns_;

    struct publisher_state {
        bool running = false;
        double rate_hz = 0;
        std::int64_t t0_ns = 0;
        std::uint64_t first_seq = 0, published = 0, count = 0; // count 0 = unbounded
        std::string payload;
        target to;
    } pub_;
    asio::steady_timer pub_timer_;
};

class http_session : public connection, public std::enable_shared_from_this<http_session> {
public:
    http_session(server_core& core, tcp::socket&& sock);
    void run();
    // Writes the answer, then reads the next request (or closes when the
    // answer says Connection: close).
    void respond(response&& res);
    // Answers a bad request with `status`, counts it, and closes.
    void fail(http::status status, std::string_view why);
    // Hands the socket over to a long-lived session; this one ends.
    beast::tcp_stream release();
    bool released() const { return released_; }
    void shut() override;

private:
    void do_read();
    void on_read(beast::error_code ec, std::size_t n);
    void on_write(bool close, beast::error_code ec, std::size_t n);
    void do_close();

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<response> res_;
    bool released_ = false;
};

// An answer with the request's version and keep-alive, Content-Length set.
response make_response(const request& req, http::status status, std::string body,
                       std::string_view content_type = "text/plain");

} // namespace rtb
