// The JSONP answer codec: decoding never crashes, and whatever decodes
// re-encodes to an answer that decodes to the same cursor and records; any
// record, however hostile, is encoded without "</" (no way out of <script>).
#include <cstdint>
#include <string>
#include <vector>

#include "transports/jsonp-polling/jsonp_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view s(reinterpret_cast<const char*>(data), size);
    if (auto a = rtb::jsonp::decode_answer("cb", s)) {
        std::vector<std::string_view> recs(a->records.begin(), a->records.end());
        auto again = rtb::jsonp::decode_answer("cb", rtb::jsonp::encode_answer("cb", a->cursor, recs));
        if (!again || again->cursor != a->cursor || again->records != a->records) __builtin_trap();
    }
    std::string enc;
    rtb::jsonp::append_json_string(enc, s);
    if (enc.find("</") != std::string::npos || enc.find("<!--") != std::string::npos) __builtin_trap();
    auto back = rtb::jsonp::decode_answer("cb", "cb([0," + enc + "]);");
    if (!back || back->records.size() != 1 || back->records[0] != s) __builtin_trap();
    return 0;
}
