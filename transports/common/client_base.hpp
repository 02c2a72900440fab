#pragma once
// What the five clients share: connect, reconnect-and-resume, kernel byte
// accounting for every socket they open, request headers by profile, and an
// HTTP upstream (POST /send on its own keep-alive connection).
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "harness/transport.hpp"

namespace rtb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

enum class request_kind { fetch_get, fetch_post, eventsource, websocket };

// Sets Host and, for header_profile::browser, the headers a current desktop
// Chrome sends for that kind of request (list in the top-level README).
void add_profile_headers(http::fields& f, const client_config& cfg, request_kind kind);

// Query-string part naming the subscriber: "id=..&rooms=a,b" (may be empty).
std::string identity_query(const client_config& cfg);

// Adds the counts of a socket about to be closed to `acc`, then closes it.
void retire_socket(tcp::socket& s, wire_bytes& acc) noexcept;

class http_upstream : public std::enable_shared_from_this<http_upstream> {
public:
    http_upstream(asio::io_context& io, const client_config& cfg);
    void send(std::shared_ptr<const std::string> record);
    void close();
    wire_bytes wire() const;
    std::uint64_t acked() const { return acked_; }

private:
    void do_next();
    void on_connect(beast::error_code ec);
    void on_write(beast::error_code ec, std::size_t n);
    void on_read(beast::error_code ec, std::size_t n);
    void reset();

    const client_config& cfg_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::string>> queue_;
    http::request<http::string_body> req_;
    http::response<http::string_body> res_;
    wire_bytes closed_bytes_;
    std::uint64_t acked_ = 0;
    bool busy_ = false, connected_ = false, closed_ = false;
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
    // Opens the subscription (resuming after last_seq_ when it is > 0).
    virtual void connect() = 0;
    // Closes the subscription sockets, adding their counts to closed_bytes_.
    virtual void teardown() = 0;
    // Byte counts of the subscription sockets open now.
    virtual wire_bytes live_wire() const = 0;

    // Delivers one record to the harness and advances the resume cursor
    // (a message's seq, or N of a "!head N" record sent at subscribe time).
    void emit(std::string_view record, std::int64_t recv_ns);
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
    tcp::endpoint endpoint() const;

    asio::io_context& io_;
    client_config cfg_;
    client_events& ev_;
    wire_bytes closed_bytes_;
    std::uint64_t last_seq_ = 0;
    // True once the server has told us a position (a message, "!head N", an
    // SSE id, or a poll cursor): reconnects then resume after last_seq_.
    bool have_cursor_ = false;

private:
    std::shared_ptr<http_upstream> upstream_;
    asio::steady_timer retry_;
    bool closed_ = false;
};

} // namespace rtb
