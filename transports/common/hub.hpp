#pragma once
// The message hub of one server process: a global sequence, a bounded
// history for resume, and the live subscribers. Single-threaded by design:
// the whole server runs on one io_context thread, so nothing here locks.
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/message.hpp"

namespace rtb {

// One published message. The body is serialised once and shared by every
// connection; `frames` caches a transport's wire encoding of it (also built
// once, on first use, and then shared).
struct stored_message {
    std::uint64_t seq = 0;
    target to;
    std::shared_ptr<const std::string> body;
    mutable std::array<std::shared_ptr<const std::string>, 2> frames;
};
using message_ptr = std::shared_ptr<const stored_message>;

// Frame-cache slots, one per transport that pre-encodes frames.
enum frame_slot : std::size_t { slot_streaming = 0, slot_sse = 1 };

struct subscription_filter {
    std::string id;                 // matches target client:<id>
    std::vector<std::string> rooms; // matches target room:<name>
    bool matches(const target& t) const;
};

class subscriber {
public:
    virtual ~subscriber() = default;
    // Called once per matching message, in sequence order. May unsubscribe.
    virtual void deliver(const message_ptr& m) = 0;
    subscription_filter filter;

private:
    friend class hub;
    std::size_t slot_ = SIZE_MAX;
};

class hub {
public:
    explicit hub(std::size_t history_limit);

    // Assigns the next sequence number, stores the message in the history
    // and delivers it to every matching subscriber.
    message_ptr publish(target to, std::string_view tag, std::string_view payload,
                        std::int64_t publish_ns, bool deliver = true);

    struct replay {
        std::vector<message_ptr> messages; // seq > cursor, matching, in order
        std::optional<gap_view> gap;       // messages evicted before replay
    };
    // What a client that has seen everything up to `cursor` missed.
    replay since(std::uint64_t cursor, const subscription_filter& f) const;

    void subscribe(subscriber* s);
    void unsubscribe(subscriber* s) noexcept;

    std::uint64_t head() const noexcept { return seq_; }
    std::size_t subscribers() const noexcept { return live_; }

private:
    std::size_t limit_;
    std::uint64_t seq_ = 0;
    std::deque<message_ptr> history_;
    // Removal while delivering leaves a hole that is compacted afterwards, so
    // a subscriber may drop itself (slow consumer) from inside deliver().
    std::vector<subscriber*> subs_;
    std::size_t live_ = 0;
    bool delivering_ = false;
    bool holes_ = false;
};

} // namespace rtb
