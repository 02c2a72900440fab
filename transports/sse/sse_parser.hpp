#pragma once
// An event-stream parser following the WHATWG HTML spec, section 9.2.6
// ("Interpreting an event stream"): lines end in CRLF, LF or CR; a blank
// line dispatches; ':' starts a comment; fields data, event, id, retry.
// Beast-free so it can be tested (and benchmarked) on bytes alone.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rtb {

struct sse_event {
    std::string_view type; // "message" unless an event: field said otherwise
    std::string_view data; // data lines joined with LF, final LF removed
    std::string_view last_event_id;
};

class sse_parser {
public:
    using handler = std::function<void(const sse_event&)>;
    explicit sse_parser(handler on_event, std::size_t max_line = 1 << 20)
        : on_event_(std::move(on_event)), max_line_(max_line) {}

    // Feeds bytes; calls the handler for each dispatched event that has data.
    // Returns false when a line exceeds max_line (the stream is unusable).
    bool feed(std::string_view bytes);
    void reset();

    // The last event ID string (persists across events, as in EventSource).
    const std::string& last_event_id() const { return last_event_id_; }
    // Set by the most recent valid retry: field.
    std::optional<std::uint64_t> retry_ms() const { return retry_; }
    // Increments on every dispatch, including those with no data.
    std::uint64_t dispatches() const { return dispatches_; }
    // Bytes fed since the last dispatch (an event not yet complete).
    std::uint64_t pending() const { return since_dispatch_; }

private:
    void line(std::string_view l);
    void dispatch();

    handler on_event_;
    std::size_t max_line_;
    std::string line_;
    bool after_cr_ = false;
    bool bom_checked_ = false;
    std::size_t bom_matched_ = 0; // bytes of a leading BOM seen so far
    std::string data_, type_, id_buffer_, last_event_id_;
    std::optional<std::uint64_t> retry_;
    std::uint64_t dispatches_ = 0;
    std::uint64_t since_dispatch_ = 0;
};

} // namespace rtb
