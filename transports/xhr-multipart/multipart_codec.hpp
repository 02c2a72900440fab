#pragma once
// multipart/x-mixed-replace as the xhr-multipart transport writes it
// (README.md beside this file): an opening delimiter, then per message a
// part whose closing delimiter follows it at once, so that a reader can
// hand the part over without waiting for the next one. No Beast here (the
// fuzzer takes it alone).
#include <cstdint>
#include <string>
#include <string_view>

namespace rtb::multipart {

inline constexpr std::string_view boundary = "rtb";
// "--rtb\r\n": the body's first bytes.
std::string opening();
// "Content-Type: text/plain\r\n\r\n<record>\r\n--rtb\r\n".
std::string encode_part(std::string_view record);
// Its size for a record of `record` bytes: record + 37.
std::uint64_t part_bytes(std::uint64_t record);

// Reads the body line by line (split at LF; each line still ends in CR):
// the opening delimiter, then for each part its header lines, the empty
// line, the record, the delimiter. Records hold no LF (the message format's
// rule), so a record is always one line.
class part_reader {
public:
    // False for a line that cannot come next (the stream is then broken).
    template <class F>
    bool line(std::string_view l, F&& on_record) {
        if (l.empty() || l.back() != '\r') return false;
        std::size_t bytes = l.size() + 1; // with its LF
        l.remove_suffix(1);
        switch (state_) {
        case state::opening:
        case state::closing:
            if (l.size() != boundary.size() + 2 || !l.starts_with("--") || l.substr(2) != boundary) return false;
            state_ = state::headers;
            return true;
        case state::headers:
            if (l.empty()) state_ = state::body;
            else if (l.find(':') == std::string_view::npos || ++headers_ > 16) return false;
            pending_ += bytes;
            return true;
        case state::body:
            on_record(l);
            state_ = state::closing;
            headers_ = 0;
            pending_ = 0;
            return true;
        }
        return false;
    }
    // Bytes of the part being read that no record has been handed over for
    // yet (its header lines): they belong with that record.
    std::uint64_t pending() const { return pending_; }

private:
    enum class state { opening, headers, body, closing } state_ = state::opening;
    int headers_ = 0;
    std::uint64_t pending_ = 0;
};

} // namespace rtb::multipart
