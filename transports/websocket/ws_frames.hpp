#pragma once
// RFC 6455 framing for the server side, without Beast: the server's frames
// (unmasked), the handshake's accept key, and a reader of the client's
// masked frames that reassembles messages. Beast's websocket::stream keeps
// ~2.7 KB per connection whatever it is doing (a fixed 1.5 KiB read
// buffer among it) and takes a write lock per message, so it can neither
// hold an idle subscriber in 2 KiB nor send several queued messages in one
// write. ws_server.cpp serves every connection that does not negotiate
// permessage-deflate with this; Beast keeps the ones that do (their
// compressor's window costs far more than the stream anyway).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace rtb::ws {

enum class opcode : std::uint8_t { cont = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Close codes the server sends (RFC 6455 7.4.1).
namespace close_code {
inline constexpr std::uint16_t normal = 1000, protocol = 1002, unknown_data = 1003, bad_payload = 1007,
                               policy = 1008, too_big = 1009;
}

// A server frame: FIN, the opcode, no mask, the length in 7, 7+16 or 7+64
// bits (RFC 6455 5.2), then the payload.
std::string server_frame(opcode op, std::string_view payload);
// A Close frame's payload: the code, big-endian (no reason text).
std::string close_payload(std::uint16_t code);
// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key
// + the RFC's GUID)) (RFC 6455 4.2.2).
std::string accept_key(std::string_view key);
// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), as a text message must be.
bool valid_utf8(std::string_view s);
// A code a peer may send in a Close (RFC 6455 7.4.1-7.4.2).
bool valid_close_code(std::uint16_t code);

// Reads client-to-server frames from a byte stream. next() looks at the
// bytes not yet consumed, unmasks one whole frame in place and says what it
// was; a message split over frames is gathered (the only state it keeps on
// the heap, and only while such a message is open). Control frames may
// come between a message's fragments (RFC 6455 5.4).
class frame_reader {
public:
    struct event {
        enum kind { need_more, fragment, message, ping, pong, close, error } what = need_more;
        opcode op = opcode::text;     // message: text or binary
        std::string_view data;        // message, ping, pong: the payload; close: the reason
        std::uint16_t code = 0;       // close: the code (0: none sent); error: the code to close with
    };

    // `max_message`: the largest message, over all its frames; a frame
    // whose length would pass it is refused from its header (1009),
    // before its payload is read.
    explicit frame_reader(std::size_t max_message) : max_(max_message) {}

    // The frame at the start of [p, p + n): returns the bytes it took (0:
    // need_more) and fills `ev`. `data` points into [p, p + n) or into the
    // reader's own buffer, valid until the next call. After `error`, the
    // stream is broken: do not call again.
    std::size_t next(char* p, std::size_t n, event& ev);

private:
    std::size_t max_;
    std::unique_ptr<std::string> partial_; // a fragmented message so far
    std::unique_ptr<std::string> done_;    // the last one completed, until the next call
    opcode partial_op_ = opcode::text;
};

} // namespace rtb::ws
