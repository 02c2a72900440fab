#pragma once
// The server core's own settings (limits every transport shares), declared
// once in the same shape as a transport's options: `rtbench serve` offers
// them, `rtbench run` offers them too and passes what it was given to the
// server it starts, so the two commands cannot drift apart.
#include "harness/options.hpp"
#include "harness/transport.hpp"

namespace rtb::settings {

using opt = transport_option;
inline constexpr opt history{"history", opt::kind::number, opt::side::server, "messages", 10000, 100'000'000,
                             "Messages kept for resume"};
inline constexpr opt history_bytes{"history-bytes", opt::kind::number, opt::side::server, "bytes", 64 << 20,
                                   1ull << 40, "... and at most this many bytes of message bodies (0: no history)"};
inline constexpr opt max_message{"max-message", opt::kind::number, opt::side::both, "bytes", 64 * 1024,
                                 64 << 20, "Largest message (client->server record, WebSocket message)", 1};
inline constexpr opt max_header{"max-header", opt::kind::number, opt::side::server, "bytes", 8 * 1024, 1 << 20,
                                "Largest request header block (431 beyond)", 256};
inline constexpr opt max_queue{"max-queue", opt::kind::number, opt::side::server, "messages", 4096, 1 << 24,
                               "Messages queued per connection before it is dropped as a slow consumer", 1};
// At most 64: Asio hands at most 64 buffers to one writev.
inline constexpr opt max_gather{"max-gather", opt::kind::number, opt::side::server, "messages", 64, 64,
                                "Queued messages one write to a connection may carry (at most 64 KiB; 1: one "
                                "message per write, as before coalescing)", 1};
inline constexpr opt max_connections{"max-connections", opt::kind::number, opt::side::server, "connections",
                                     19000, 10'000'000, "Connections refused beyond this", 1};
inline constexpr opt idle_timeout_ms{"idle-timeout-ms", opt::kind::number, opt::side::server, "ms", 60000,
                                     86'400'000, "Close a keep-alive connection idle this long", 1};
inline constexpr opt header_timeout_ms{"header-timeout-ms", opt::kind::number, opt::side::server, "ms", 10000,
                                       3'600'000, "A request begun must have its whole header within this "
                                                  "(slow-header clients are cut)", 1};
inline constexpr opt core[] = {history, history_bytes, max_message, max_header,
                               max_queue, max_gather, max_connections, idle_timeout_ms, header_timeout_ms};

// Test hook, in its own group of --help.
inline constexpr opt test_drop_every{"test-drop-every", opt::kind::number, opt::side::server, "", 0,
                                     1'000'000'000, "Test hook: the server does not deliver every Nth message live "
                                                    "(proves loss detection)"};
inline constexpr opt testing[] = {test_drop_every};

// The server_options these values describe (bind, port and control aside).
inline void apply(const option_values& v, server_options& o) {
    o.history = v.get(history);
    o.history_bytes = v.get(history_bytes);
    o.max_message = v.get(max_message);
    o.max_header = v.get(max_header);
    o.max_queue = v.get(max_queue);
    o.max_gather = v.get(max_gather);
    o.max_connections = v.get(max_connections);
    o.idle_timeout = v.ms(idle_timeout_ms);
    o.header_timeout = v.ms(header_timeout_ms);
    o.test_drop_every = v.get(test_drop_every);
    o.transport = v;
}

} // namespace rtb::settings
