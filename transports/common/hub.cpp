#include "transports/common/hub.hpp"

#include <algorithm>
#include <stdexcept>

namespace rtb {

bool subscription_filter::matches(const target& t) const {
    switch (t.k) {
    case target::kind::all: return true;
    case target::kind::client: return t.name == id;
    case target::kind::room: return std::find(rooms.begin(), rooms.end(), t.name) != rooms.end();
    }
    return false;
}

hub::hub(std::size_t history_limit, std::size_t history_bytes)
    : limit_(history_limit), limit_bytes_(history_bytes) {}

message_ptr hub::publish(target to, std::string_view tag, std::string_view payload,
                         std::int64_t publish_ns, bool deliver) {
    std::uint64_t seq = seq_ + 1;
    return append(seq, std::move(to), std::make_shared<const std::string>(format_body(seq, publish_ns, tag, payload)),
                  deliver);
}

message_ptr hub::append(std::uint64_t seq, target to, std::shared_ptr<const std::string> body, bool deliver) {
    // History is a contiguous run of numbers (since() relies on it): a
    // message out of order is a bug of the caller's, never skipped quietly.
    if (seq != seq_ + 1)
        throw std::logic_error("hub: message " + std::to_string(seq) + " after " + std::to_string(seq_));
    auto m = std::make_shared<stored_message>();
    m->seq = seq_ = seq;
    m->body = std::move(body);
    m->to = std::move(to);
    m->frames.resize(slots_);
    message_ptr msg = std::move(m);
    if (limit_ > 0 && limit_bytes_ > 0) {
        history_.push_back(msg);
        bytes_ += msg->body->size();
        evict();
    }
    if (deliver) deliver_live(msg);
    return msg;
}

void hub::evict() {
    while (!history_.empty() && (history_.size() > limit_ || bytes_ > limit_bytes_)) {
        bytes_ -= history_.front()->body->size();
        history_.pop_front();
    }
}

void hub::deliver_live(const message_ptr& msg) {
    delivering_ = true;
    const std::size_t n = subs_.size(); // subscribers added during delivery start next time
    for (std::size_t i = 0; i < n; ++i) {
        subscriber* s = subs_[i];
        if (s && s->filter.matches(msg->to)) s->deliver(msg);
    }
    delivering_ = false;
    if (holes_) {
        subs_.erase(std::remove(subs_.begin(), subs_.end(), nullptr), subs_.end());
        for (std::size_t i = 0; i < subs_.size(); ++i) subs_[i]->slot_ = i;
        holes_ = false;
    }
}

hub::replay hub::since(std::uint64_t cursor, const subscription_filter& f,
                       std::size_t max_messages, std::size_t max_bytes) const {
    replay r;
    max_messages = std::max<std::size_t>(1, max_messages); // a page of none would never advance
    r.next_cursor = std::max(cursor, seq_);
    if (cursor >= seq_) return r;
    // History holds a contiguous run of sequence numbers ending at seq_.
    std::uint64_t first_kept = seq_ - history_.size() + 1;
    if (cursor + 1 < first_kept) r.gap = gap_view{cursor + 1, first_kept - 1};
    std::size_t i = cursor + 1 > first_kept ? cursor + 1 - first_kept : 0;
    std::size_t bytes = 0;
    for (; i < history_.size(); ++i) {
        const auto& m = history_[i];
        if (!f.matches(m->to)) continue;
        if (r.messages.size() == max_messages || (!r.messages.empty() && bytes + m->body->size() > max_bytes)) {
            r.complete = false;
            r.next_cursor = m->seq - 1;
            return r;
        }
        bytes += m->body->size();
        r.messages.push_back(m);
    }
    return r;
}

void hub::subscribe(subscriber* s) {
    if (s->slot_ != SIZE_MAX) return;
    s->slot_ = subs_.size();
    subs_.push_back(s);
    ++live_;
}

void hub::unsubscribe(subscriber* s) noexcept {
    if (s->slot_ == SIZE_MAX) return;
    std::size_t i = s->slot_;
    s->slot_ = SIZE_MAX;
    --live_;
    if (delivering_) {
        subs_[i] = nullptr;
        holes_ = true;
        return;
    }
    if (i + 1 != subs_.size()) {
        subs_[i] = subs_.back();
        subs_[i]->slot_ = i;
    }
    subs_.pop_back();
}

} // namespace rtb
