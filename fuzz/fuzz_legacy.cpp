// The legacy streams' client decoders: htmlfile's <script> lines and
// xhr-multipart's part reader. Whatever a server sends, reading never
// crashes; a script the client reads re-encodes to the same line; the part
// reader hands over only whole lines it was given, and never holds more
// bytes pending than it read.
#include <cstdint>
#include <string>

#include "transports/htmlfile/htmlfile_codec.hpp"
#include "transports/xhr-multipart/multipart_codec.hpp"

using namespace rtb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view s(reinterpret_cast<const char*>(data), size);
    (void)htmlfile::is_preamble(s);
    if (auto rec = htmlfile::decode_script(s)) {
        auto again = htmlfile::decode_script(std::string_view(htmlfile::encode_script(*rec)).substr(
            0, htmlfile::encode_script(*rec).size() - 1));
        if (!again || *again != *rec) __builtin_trap();
    }
    multipart::part_reader r;
    std::size_t read = 0;
    for (std::size_t at = 0; at < s.size();) {
        auto nl = s.find('\n', at);
        auto line = s.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
        read += line.size() + 1;
        bool ok = r.line(line, [&](std::string_view rec) {
            if (rec.find('\n') != std::string_view::npos || rec.size() > line.size()) __builtin_trap();
        });
        if (!ok) break;
        if (r.pending() > read) __builtin_trap();
        if (nl == std::string_view::npos) break;
        at = nl + 1;
    }
    return 0;
}
