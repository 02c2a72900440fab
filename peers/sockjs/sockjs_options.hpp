#pragma once
// The SockJS rows' own settings and the client's transports (no Beast here:
// sockjs.cpp, the descriptors, includes it).
#include "harness/transport.hpp"

namespace rtb::sockjs {

using opt = transport_option;
inline constexpr opt heartbeat_ms{"sockjs-heartbeat-ms", opt::kind::number, opt::side::server, "ms", 25000, 3'600'000,
                                  "sockjs-*: the server's heartbeat_delay (an 'h' frame after that long without "
                                  "one; 25000 is SockJS's default)", 1};
inline constexpr opt response_limit{"sockjs-response-limit", opt::kind::number, opt::side::server, "bytes",
                                    128 * 1024, 1u << 30,
                                    "sockjs-xhr-streaming: the server's response_limit (a streaming response ends "
                                    "after this many bytes and the client opens the next; 131072 is SockJS's "
                                    "default)", 1};
inline constexpr opt options[] = {heartbeat_ms, response_limit};

// Which SockJS transport a client uses, as sockjs-client's `transports`
// option would pin it.
enum class mode { websocket, xhr_streaming, xhr_polling };

std::shared_ptr<client_session> make_client(boost::asio::io_context& io, const client_config& cfg, client_events& ev,
                                            mode m);

} // namespace rtb::sockjs
