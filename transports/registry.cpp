// The transport registry. Adding a transport: a folder beside this file that
// defines `extern const transport_descriptor <name>_transport`, and one line
// X(<name>) in the list below (every line ends in a backslash; the list ends
// with the comment line, so adding one is a one-line change). A peer (a
// server people run, peers/README.md): its folder under peers/ and one line
// in the second list.
#include <array>
#include <string>

#include "harness/transport.hpp"

#define RTB_TRANSPORTS(X)                                                                          \
    X(polling)                                                                                     \
    X(long_polling)                                                                                \
    X(streaming)                                                                                   \
    X(sse)                                                                                         \
    X(websocket)                                                                                   \
    X(jsonp_polling)                                                                               \
    X(htmlfile)                                                                                    \
    X(xhr_multipart)                                                                               \
    /* end of the list */

#define RTB_PEERS(X)                                                                               \
    X(node_ws)                                                                                     \
    X(socketio_ws)                                                                                 \
    X(socketio_upgrade)                                                                            \
    X(socketio_polling)                                                                            \
    X(sockjs_ws)                                                                                   \
    X(sockjs_xhr_streaming)                                                                        \
    X(sockjs_xhr_polling)                                                                          \
    /* end of the list */

namespace rtb {

#define RTB_DECLARE(n) extern const transport_descriptor n##_transport;
RTB_TRANSPORTS(RTB_DECLARE)
RTB_PEERS(RTB_DECLARE)
#undef RTB_DECLARE

namespace {
#define RTB_ENTRY(n) &n##_transport,
constexpr std::array registry_table{RTB_TRANSPORTS(RTB_ENTRY)};
constexpr std::array peer_table{RTB_PEERS(RTB_ENTRY)};
#undef RTB_ENTRY
} // namespace

std::span<const transport_descriptor* const> all_transports() { return registry_table; }
std::span<const transport_descriptor* const> all_peers() { return peer_table; }

const transport_descriptor* find_transport(std::string_view name) {
    for (auto table : {all_transports(), all_peers()})
        for (auto* t : table)
            if (t->name == name) return t;
    return nullptr;
}

std::string row_label(std::string_view transport) {
    auto* t = find_transport(transport);
    if (!t || t->label.empty()) return std::string(transport);
    return std::string(transport) + " (" + std::string(t->label) + ")";
}

} // namespace rtb
