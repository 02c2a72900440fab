// The Socket.IO client's codec (peers/socketio/sio_codec): whatever a
// server sends, parsing never crashes; an event the client reads as a
// message re-encodes to a packet that reads back the same; any bytes quote
// to a JSON string that unquotes to them exactly.
#include <cstdint>
#include <string>

#include "peers/socketio/sio_codec.hpp"

using namespace rtb::sio;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view s(reinterpret_cast<const char*>(data), size);
    (void)parse_open(s);
    std::string arg;
    if (auto p = parse_packet(s); p && p->type == type::event && event_arg(p->data, "m", arg)) {
        std::string again = event_packet(p->nsp, "m", arg, p->id); // "42..." : the Engine.IO message type first
        auto q = parse_packet(std::string_view(again).substr(1));
        std::string arg2;
        if (!q || q->type != type::event || q->nsp != p->nsp || q->id != p->id || !event_arg(q->data, "m", arg2) ||
            arg2 != arg)
            __builtin_trap();
    }
    std::string back;
    if (!json_unquote(json_quote(s), back) || back != s) __builtin_trap();
    return 0;
}
