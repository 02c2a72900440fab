#pragma once
// The interface every transport implements, and the only thing the harness
// knows about transports. No Beast header here: this file is included widely.
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "harness/options.hpp"

#include "harness/message.hpp"
#include "harness/payload.hpp"
#include "harness/wire_bytes.hpp"

namespace boost::asio::ssl {
class context;
}

namespace rtb {

struct tls_client; // harness/tls.hpp

enum class header_profile { minimal, browser };

struct client_config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    // The local address every connection of this client binds before it
    // connects (`run --source-addrs`: 127.0.0.2, 127.0.0.3, ...), so that
    // more than one address's ephemeral ports' worth of connections can reach
    // one server port. Empty: the kernel's choice.
    std::string source;
    std::string id;                 // this client's id (target client:<id>); may be empty
    std::vector<std::string> rooms; // rooms this client joins
    header_profile headers = header_profile::minimal;
    std::size_t max_message = 1 << 20; // largest record accepted from the server
    std::chrono::milliseconds reconnect_delay{50};
    option_values transport; // the transports' own client-side options
    std::shared_ptr<const tls_client> tls; // null: plain TCP; else every connection is TLS
    // An external server (`run --target`): its URL's request target (path
    // and query), asked for as it is, without the id, rooms or resume cursor
    // of rtbench's own protocol; records go up and come back as bare
    // message bodies. Empty: rtbench's server (or a peer).
    std::string target;
    std::string authority; // the Host header's value for it (the URL's host[:port]); empty: host:port
};

// How one connection a client opened came up: TCP connect, then the TLS
// handshake (zero and false without TLS).
struct connection_timing {
    std::int64_t tcp_ns = 0, tls_ns = 0;
    bool tls = false, resumed = false; // resumed: an earlier session's ticket was accepted
    std::string tls_version;           // what was negotiated: "1.2", "1.3" (empty without TLS)
};

class client_session;

// When a record reached the client. kernel_ns: the kernel's receive time of
// the bytes that completed it (SO_TIMESTAMPNS; 0 when the kernel gave
// none); processed_ns: when the client had parsed it and handed it over.
// Between the two lies the load generator's own delay (its thread busy with
// other connections' messages), which is not the server's or the network's.
// Both CLOCK_MONOTONIC ns (harness/clock.hpp).
struct receive_times {
    std::int64_t kernel_ns = 0, processed_ns = 0;
};

// Callbacks run on the session's io_context thread.
class client_events {
public:
    virtual ~client_events() = default;
    // Subscribed and able to receive; after the first connect and each reconnect.
    virtual void on_ready(client_session& s) = 0;
    // One record from the server: a message body, or a control record ("!gap a b").
    virtual void on_message(client_session& s, std::string_view record, receive_times at) = 0;
    // The subscription connection was lost; the session reconnects by itself
    // and resumes after last_seq() unless close() was called.
    virtual void on_closed(client_session& s, std::string_view why) = 0;
    // Each connection the session opens (subscription, reconnects, the
    // upstream POST connection, a poll's new connection), once it is up.
    virtual void on_connected(client_session&, const connection_timing&) {}
};

// One client of one transport. Every method is called on its io_context's thread.
class client_session {
public:
    virtual ~client_session() = default;
    // Pre: not started. Connects and subscribes; on_ready once subscribed.
    virtual void start() = 0;
    // Queues one upstream record (see message.hpp) for the server, in order.
    virtual void send(std::shared_ptr<const std::string> record) = 0;
    // Closes every connection; no callback runs after it returns.
    virtual void close() = 0;
    // Test hook: drops the subscription connection abruptly (as a network
    // failure would); the session reconnects and resumes.
    virtual void drop() = 0;
    // Kernel byte counts of every socket this session has opened so far.
    virtual wire_bytes wire() const = 0;
    // Bytes read from the network but not yet delivered as complete records
    // (a partly read message in user-space buffers). The harness subtracts
    // them when it marks its measure window, so bytes and messages are
    // counted at the same point of the stream.
    virtual std::uint64_t pending_bytes() const { return 0; }
    // Highest message sequence number received (the resume cursor); 0 = none.
    virtual std::uint64_t last_seq() const = 0;
    // Upstream records handed to the network and acknowledged by the server
    // (HTTP: 2xx answer; WebSocket: written to the socket).
    virtual std::uint64_t sent() const = 0;
};

struct server_options {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 0;                // 0: any free port
    std::size_t history = 10000;           // messages kept for resume
    std::size_t history_bytes = 64 << 20;  // ... and at most this many bytes of them
    std::size_t max_message = 64 * 1024;   // largest upstream record / WebSocket message
    std::size_t max_header = 8 * 1024;     // largest request header block
    std::size_t max_queue = 4096;          // queued messages per connection before it is dropped
    std::size_t max_gather = 64;           // queued messages one write may carry (1: one per write)
    std::size_t max_connections = 19000;   // refused beyond this (open-file limit is 20,000)
    std::chrono::milliseconds idle_timeout{60000}; // keep-alive HTTP connection with no request
    std::chrono::milliseconds header_timeout{10000}; // a request begun must have its whole header by then
    // /control/* (the harness's remote control): off unless asked for, and
    // then only for requests with this token (transports/common/control_auth.hpp).
    bool control = false;
    std::string control_token;
    std::uint64_t test_drop_every = 0;             // test hook: lose every Nth message live
    option_values transport;                       // the transports' own server-side options
    // TLS on every connection (harness/tls.hpp make_server_tls); null: plain.
    // A plain HTTP request to a TLS port is answered 400 and closed.
    std::shared_ptr<boost::asio::ssl::context> tls;
};

struct server_stats {
    std::uint64_t accepted = 0, refused = 0, active = 0, requests = 0;
    std::uint64_t bad_requests = 0;   // answered 4xx (malformed, too large, unknown path, bad upgrade)
    std::uint64_t slow_consumers = 0; // dropped: send queue over max_queue
    std::uint64_t published = 0, upstream = 0, frames_sent = 0;
    std::uint64_t writes = 0;         // push writes started: frames_sent / writes messages per write
    std::uint64_t subscribers = 0;
    std::uint64_t tls_handshakes = 0, tls_resumed = 0, tls_failed = 0;
    // Sums every counter: the figures of a process whose event loops each
    // count their own (`serve --threads`).
    server_stats& operator+=(const server_stats& o);
};

class server_core;

// The highest rate the server's publisher accepts, messages per second: the
// CLI and POST /control/publish both check against it.
inline constexpr double max_publish_rate_hz = 1e6;

// A transport's static descriptor: everything the harness, the CLI and the
// server core know about it. install() adds its routes to a server;
// make_client() creates one client session.
struct transport_descriptor {
    std::string_view name;
    std::string_view description;
    std::string_view path; // the subscription endpoint (shown by `list` and `serve`)
    // Settings of its own: listed under its name by `serve --help` and
    // `run --help`, read back with option_values::get (harness/options.hpp).
    std::span<const transport_option> options;
    void (*install)(server_core& core);
    std::shared_ptr<client_session> (*make_client)(boost::asio::io_context& io,
                                                   const client_config& cfg, client_events& ev);
    // The longest a message may wait by design before the client asks for
    // it (polling: its interval), so the runner's drain waits long enough.
    // nullptr: no such wait.
    std::chrono::milliseconds (*max_delivery_wait)(const option_values& client) = nullptr;
    // Wire bytes of one message with a body of `body` bytes and sequence
    // number `seq`, for a transport that sends each message in a frame of
    // its own: the formula of its README, which the tests hold it to, to the
    // byte. nullptr for a transport that batches (polling answers).
    std::uint64_t (*frame_bytes)(std::uint64_t body, std::uint64_t seq) = nullptr;
    // A peer (peers/README.md): its server is not rtbench's but a program of
    // the project's peers/ folder, this script run by Node.js, which `run`
    // starts in its own process as it starts `rtbench serve`. install is
    // then nullptr: `rtbench serve` cannot host it. Empty for rtbench's own.
    std::string_view peer_script = {};
    // A peer's counterpart among rtbench's own transports (the reference
    // server doing the same job): the verdict states the peer's costs as
    // ratios to it.
    std::string_view counterpart = {};
    // A peer's library and pinned version, as its rows read ("websocket on
    // Node ws 8.23"); a test holds each version to peers/package.json.
    // Empty for rtbench's own.
    std::string_view label = {};
    // The URL schemes of external servers (`run --target`) its client
    // speaks, space-separated ("ws wss"); empty: none.
    std::string_view target_schemes = {};
    // The scenarios its client runs against such a server, space-separated
    // ("echo broadcast connect"): what the scheme's contract lets a server
    // do without rtbench's control endpoint (README.md, "External targets").
    std::string_view target_scenarios = {};
};

// How a transport's rows are named where people read them (the verdict,
// `list`): rtbench's own by name, a peer by name and label, "node-ws
// (websocket on Node ws 8.23)". The CSV keeps the bare name.
std::string row_label(std::string_view transport);

// Digits of v in base 10 and 16, for the framing formulas.
inline std::uint64_t dec_digits(std::uint64_t v) {
    std::uint64_t n = 1;
    while (v >= 10) v /= 10, ++n;
    return n;
}
inline std::uint64_t hex_digits(std::uint64_t v) {
    std::uint64_t n = 1;
    while (v >= 16) v /= 16, ++n;
    return n;
}

// The registry (transports/registry.cpp): rtbench's own transports, in
// display order ("all"); the peers (servers people run, "peers"); and a
// name looked up among both.
std::span<const transport_descriptor* const> all_transports();
std::span<const transport_descriptor* const> all_peers();
const transport_descriptor* find_transport(std::string_view name);

// A server process's core: one HTTP listener that routes to the installed
// transports. All calls on the io_context's thread.
class server {
public:
    virtual ~server() = default;
    // Binds and listens; throws std::system_error when it cannot.
    virtual void start() = 0;
    virtual std::uint16_t port() const = 0;
    // With TLS and control both on: a second, plain listener on 127.0.0.1
    // for /control/* and /stats only (the harness's calls); else 0.
    virtual std::uint16_t control_port() const { return 0; }
    // Publishes one message (serialised once); returns its sequence number.
    virtual std::uint64_t publish(const target& to, std::string_view tag,
                                  std::string_view payload) = 0;
    // Publishes `count` messages (0 = until stop) of `payload` bytes of the
    // given kind to `to` on a constant-rate schedule; each is tagged
    // s<scheduled ns>, and its payload is make_payload(kind, bytes, that time).
    virtual void start_publisher(double rate_hz, std::size_t payload, const target& to, std::uint64_t count,
                                 payload_kind kind = payload_kind::pattern) = 0;
    // Stops accepting and closes every connection.
    virtual void stop() = 0;
    virtual server_stats stats() const = 0;
};

std::unique_ptr<server> make_server(boost::asio::io_context& io, const server_options& opt,
                                    std::span<const transport_descriptor* const> transports);

// `rtbench serve --threads N`: N servers in one process, each on a thread
// and event loop of its own, listening on one port (SO_REUSEPORT: the
// kernel spreads new connections over them), publishing through one
// sequencer so that every connection gets every message in order and every
// loop keeps the same ordered history (transports/common/shard_group.hpp).
// With one thread it is one server as make_server() builds it, run on the
// calling thread.
class server_group {
public:
    virtual ~server_group() = default;
    virtual void start() = 0; // throws std::system_error when it cannot bind
    virtual std::uint16_t port() const = 0;
    virtual std::uint16_t control_port() const = 0;
    virtual std::size_t threads() const = 0;
    // The first loop's io_context: run() runs it on the calling thread, so
    // signals and timers of the caller's go there.
    virtual boost::asio::io_context& io() = 0;
    // Before run(), or on io()'s thread.
    virtual void start_publisher(double rate_hz, std::size_t payload, const target& to, std::uint64_t count,
                                 payload_kind kind) = 0;
    // Runs every loop until all have stopped.
    virtual void run() = 0;
    // From any thread: every loop stops accepting and closes its connections.
    virtual void stop() = 0;
};

std::unique_ptr<server_group> make_server_group(const server_options& opt,
                                                std::span<const transport_descriptor* const> transports,
                                                std::size_t threads);

} // namespace rtb
