#pragma once
// The message hub of one event loop: a global sequence, a bounded history
// for resume, and the live subscribers. Single-threaded by design: it runs
// on its loop's thread, so nothing here locks. With `serve --threads N`
// each loop has a hub of its own, fed in sequence order by the shard group
// (shard_group.hpp), so every hub holds the same ordered log.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/message.hpp"

namespace rtb {

// One published message. The body is serialised once and shared by every
// connection; `frames` caches transports' wire encodings of it (each built
// once, on first use, then shared), one slot per transport that asked for
// one with hub::add_frame_slot().
struct stored_message {
    std::uint64_t seq = 0;
    target to;
    std::shared_ptr<const std::string> body;
    mutable std::vector<std::shared_ptr<const std::string>> frames;
};
using message_ptr = std::shared_ptr<const stored_message>;

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
    // The history keeps at most `history_limit` messages and at most
    // `history_bytes` bytes of message bodies, whichever binds first.
    hub(std::size_t history_limit, std::size_t history_bytes);

    // A frame-cache slot for one transport's encoding; call before publishing.
    std::size_t add_frame_slot() { return slots_++; }

    // Assigns the next sequence number, stores the message in the history
    // and delivers it to every matching subscriber.
    message_ptr publish(target to, std::string_view tag, std::string_view payload,
                        std::int64_t publish_ns, bool deliver = true);
    // The same for a message numbered and serialised elsewhere (the shard
    // group's sequencer). Pre: seq == head() + 1.
    message_ptr append(std::uint64_t seq, target to, std::shared_ptr<const std::string> body, bool deliver = true);

    struct replay {
        std::vector<message_ptr> messages; // seq > cursor, matching, in order
        std::optional<gap_view> gap;       // messages evicted before replay
        std::uint64_t next_cursor = 0;     // resume from here for the rest
        bool complete = true;              // nothing after next_cursor yet
    };
    // What a client that has seen everything up to `cursor` missed: at most
    // `max_messages` of it and `max_bytes` of bodies (but always one
    // message if any is due); the rest from next_cursor on, later.
    replay since(std::uint64_t cursor, const subscription_filter& f,
                 std::size_t max_messages = SIZE_MAX, std::size_t max_bytes = SIZE_MAX) const;

    void subscribe(subscriber* s);
    void unsubscribe(subscriber* s) noexcept;

    std::uint64_t head() const noexcept { return seq_; }
    std::size_t subscribers() const noexcept { return live_; }
    std::size_t history_size() const noexcept { return history_.size(); }
    std::size_t history_bytes() const noexcept { return bytes_; }

private:
    void evict();
    void deliver_live(const message_ptr& m);

    std::size_t limit_, limit_bytes_, bytes_ = 0, slots_ = 0;
    std::uint64_t seq_ = 0;
    std::deque<message_ptr> history_;
    // Removal while delivering leaves a hole that is compacted afterwards, so
    // a subscriber may drop itself (slow consumer) from inside deliver().
    std::vector<subscriber*> subs_;
    std::size_t live_ = 0;
    bool delivering_ = false;
    bool holes_ = false;
};

// Test hook (--test-drop-every N): every Nth message by number is kept in
// the history but not delivered live, so the harness's loss detection can
// be shown to catch a server that loses messages.
inline bool dropped_by_test(std::uint64_t seq, std::uint64_t every) { return every && seq % every == 0; }

// A message's frame for one transport, encoded on first use and cached.
template <class Encode>
const std::shared_ptr<const std::string>& cached_frame(const message_ptr& m, std::size_t slot,
                                                       Encode&& encode) {
    auto& f = m->frames.at(slot);
    if (!f) f = std::make_shared<const std::string>(encode(*m));
    return f;
}

} // namespace rtb
