// The SockJS client's codec (peers/sockjs/sockjs_codec): whatever a server
// sends, reading a frame never crashes; the messages of an a[...] frame the
// client accepts re-encode (as the client sends them up) to a frame that
// reads back the same messages.
#include <cstdint>
#include <memory>
#include <string>

#include "peers/sockjs/sockjs_codec.hpp"

using namespace rtb::sockjs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view s(reinterpret_cast<const char*>(data), size);
    (void)kind_of(s);
    (void)is_prelude(s);
    std::vector<std::string> msgs;
    if (parse_messages(s, msgs)) {
        if (kind_of(s) != frame_kind::messages || msgs.empty()) __builtin_trap();
        std::vector<std::shared_ptr<const std::string>> recs;
        for (auto& m : msgs) recs.push_back(std::make_shared<const std::string>(m));
        std::vector<std::string> again;
        if (!parse_messages("a" + send_frame(recs), again) || again != msgs) __builtin_trap();
    }
    return 0;
}
