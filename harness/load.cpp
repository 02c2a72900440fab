#include "harness/load.hpp"

#include <unistd.h>

#include <future>

#include <boost/asio/post.hpp>

#include "harness/clock.hpp"
#include "harness/schedule.hpp"

namespace rtb {
namespace {
std::chrono::steady_clock::time_point at(std::int64_t ns) {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}
// A client's send, in its tag: echo e<send number>.<scheduled ns>.<actual
// send ns>; broadcast b<publisher index>.<send number>.<scheduled>.<actual>.
std::string send_tag(scenario sc, std::size_t publisher, std::uint64_t n, std::int64_t due, std::int64_t now) {
    std::string tag = sc == scenario::broadcast ? "b" + std::to_string(publisher) + "." : "e";
    return tag + std::to_string(n) + "." + std::to_string(due) + "." + std::to_string(now);
}
bool parse_send_tag(scenario sc, std::string_view tag, std::size_t& publisher, std::uint64_t& n, std::int64_t& sched,
                    std::int64_t& actual) {
    if (tag.empty() || tag.front() != (sc == scenario::broadcast ? 'b' : 'e')) return false;
    tag.remove_prefix(1);
    publisher = 0;
    if (sc == scenario::broadcast) {
        auto d = tag.find('.');
        std::uint64_t p = 0;
        if (d == std::string_view::npos || !parse_u64(tag.substr(0, d), p)) return false;
        publisher = static_cast<std::size_t>(p);
        tag.remove_prefix(d + 1);
    }
    auto d1 = tag.find('.');
    auto d2 = tag.find('.', d1 == std::string_view::npos ? d1 : d1 + 1);
    if (d2 == std::string_view::npos) return false;
    return parse_u64(tag.substr(0, d1), n) && parse_i64(tag.substr(d1 + 1, d2 - d1 - 1), sched) &&
           parse_i64(tag.substr(d2 + 1), actual);
}
} // namespace

template <class F>
auto load_thread::call(F&& fn) {
    if (!thread_.joinable()) return fn(); // stopped: nothing else touches the sessions
    std::packaged_task<decltype(fn())()> task(std::forward<F>(fn));
    auto fut = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return fut.get();
}

load_thread::load_thread(const transport_descriptor& t, scenario sc, std::size_t payload, payload_kind kind,
                         std::int64_t client_work_ns)
    : t_(t), sc_(sc), kind_(kind), payload_size_(payload), client_work_ns_(client_work_ns), payload_(make_payload(payload)),
      checker_(kind, payload),
      guard_(io_.get_executor()),
      thread_([this] { io_.run(); }) {}

load_thread::~load_thread() {
    stop();
    // Sessions and the pacing timer are bound to io_: destroy them first.
    pace_.reset();
    by_session_.clear();
    sessions_.clear();
}

void load_thread::add_session(std::size_t index, client_config cfg) {
    call([&] {
        auto& st = sessions_.emplace_back();
        st.index = index;
        st.id = cfg.id;
        st.s = t_.make_client(io_, cfg, *this);
        by_session_[st.s.get()] = &st;
        return 0;
    });
}

void load_thread::start(std::size_t concurrency, double rate_hz) {
    call([&] {
        concurrency_ = std::max<std::size_t>(1, concurrency);
        connect_rate_ = rate_hz;
        connect_t0_ = now_ns();
        pace_ = std::make_unique<boost::asio::steady_timer>(io_);
        start_next();
        return 0;
    });
}

// Connection i (on this thread) may start at t0 + i / rate: a paced schedule
// that does not drift when a start is late.
void load_thread::start_next() {
    while (connecting_ < concurrency_ && next_to_start_ < sessions_.size()) {
        if (connect_rate_ > 0) {
            auto due = rate_schedule{connect_t0_, connect_rate_}.due(next_to_start_);
            if (due > now_ns()) {
                pace_->expires_at(at(due));
                pace_->async_wait([this](boost::system::error_code ec) {
                    if (!ec) start_next();
                });
                return;
            }
        }
        auto& st = sessions_[next_to_start_++];
        ++connecting_;
        st.connect_start_ns = now_ns();
        st.s->start();
    }
}

void load_thread::on_ready(client_session& s) {
    auto* st = by_session_.at(&s);
    if (st->ready) return; // a reconnect
    st->ready = true;
    if (st->failures >= stuck_after) stuck_.fetch_sub(1, std::memory_order_relaxed);
    // Time to ready: connect() called -> subscribed and able to receive.
    out_.connect.record(static_cast<std::uint64_t>(now_ns() - st->connect_start_ns));
    auto w = s.wire();
    out_.handshake_down_sum += w.down;
    out_.handshake_up_sum += w.up;
    --connecting_;
    ready_.fetch_add(1, std::memory_order_relaxed);
    start_next();
}

void load_thread::on_closed(client_session& s, std::string_view why) {
    ++out_.reconnects;
    auto* st = by_session_.at(&s);
    if (st->ready) {
        std::lock_guard lock(failure_mu_);
        if (drop_.empty()) drop_ = std::string(why);
        return;
    }
    if (++st->failures == stuck_after) stuck_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(failure_mu_);
    if (failure_.empty()) failure_ = std::string(why);
}

load_worker::progress load_thread::connect_progress() {
    progress p{ready_.load(std::memory_order_relaxed), stuck_.load(std::memory_order_relaxed), {}};
    std::lock_guard lock(failure_mu_);
    p.failure = failure_;
    return p;
}

void load_thread::on_connected(client_session&, const connection_timing& t) {
    out_.tcp_connect.record(static_cast<std::uint64_t>(t.tcp_ns));
    if (!t.tls) return;
    out_.tls_handshake.record(static_cast<std::uint64_t>(t.tls_ns));
    ++out_.tls_handshakes;
    if (t.resumed) ++out_.tls_resumed;
    out_.tls_versions.insert(t.tls_version);
}

void load_thread::on_message(client_session& s, std::string_view rec, receive_times at) {
    if (rec.empty()) return;
    if (rec.front() == '!') {
        if (parse_gap(rec)) ++out_.gaps;
        return;
    }
    // The application's work on this message: the messages behind it on
    // this thread wait, which is what generator_delay must show.
    if (client_work_ns_ > 0)
        for (std::int64_t end = now_ns() + client_work_ns_; now_ns() < end;) {
        }
    std::int64_t recv_ns = at.processed_ns;
    auto m = parse_body(rec);
    if (!m) return ++out_.corrupt, void();
    auto* st = by_session_.at(&s);
    std::int64_t sched = 0, actual = m->publish_ns;
    std::uint64_t key = m->seq;
    std::size_t publisher = 0;
    seq_tracker* tracker = &st->tracker;
    if (sc_ == scenario::echo || sc_ == scenario::broadcast) {
        if (!parse_send_tag(sc_, m->tag, publisher, key, sched, actual)) return ++out_.corrupt, void();
        if (sc_ == scenario::broadcast) {
            if (publisher >= st->from.size()) return ++out_.corrupt, void();
            tracker = &st->from[publisher];
        }
    } else if (m->tag.size() < 2 || m->tag.front() != 's' || !parse_i64(m->tag.substr(1), sched)) {
        return ++out_.corrupt, void();
    }
    // Every payload byte, against what its sender made for that scheduled time.
    if (!checker_.ok(m->payload, static_cast<std::uint64_t>(sched))) return ++out_.corrupt, void();
    if (!tracker->on_seq(key)) return; // duplicate: counted by the tracker
    if (in_window(sched)) {
        // Latency from the scheduled time includes any lateness of the sender
        // (the server's publisher, or our own send loop): that is the
        // correction for coordinated omission. From the actual send time it
        // is what a naive tool would report; both are kept.
        out_.latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, recv_ns - sched)));
        out_.latency_uncorrected.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, recv_ns - actual)));
        bool stamped = at.kernel_ns > 0 && at.kernel_ns <= recv_ns;
        std::int64_t kernel = stamped ? at.kernel_ns : recv_ns;
        out_.rx_latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, kernel - sched)));
        if (stamped) out_.generator_delay.record(static_cast<std::uint64_t>(recv_ns - kernel));
        else ++out_.rx_unstamped;
    }
    if (counting_) {
        ++out_.received_in_window;
        out_.payload_in_window += m->payload.size();
        out_.app_bytes_in_window += rec.size();
        out_.envelope_in_window += rec.size() - m->payload.size();
        // echo: the record this client sent up, "client:<id> <tag> <payload>"
        // or (bare) the body itself; its bytes counted when it was sent. A
        // broadcast record, shared by every receiver, counts when sent.
        if (sc_ == scenario::echo)
            out_.envelope_in_window += bare_ ? rec.size() - m->payload.size() : 7 + st->id.size() + 1 + m->tag.size() + 1;
    }
}

void load_thread::set_window(std::int64_t ms, std::int64_t me) {
    call([&] {
        ms_ = ms;
        me_ = me;
        return 0;
    });
}

void load_thread::set_upstream(bool bare, std::size_t publishers) {
    call([&] {
        bare_ = bare;
        publishers_ = publishers;
        if (sc_ == scenario::broadcast)
            for (auto& st : sessions_) st.from.resize(publishers);
        return 0;
    });
}

void load_thread::start_echo(double rate_hz, std::int64_t t0, std::int64_t spread_ns) {
    call([&] {
        rate_hz_ = rate_hz;
        for (auto& st : sessions_) {
            if (sc_ == scenario::broadcast && st.index >= publishers_) continue;
            st.first_send_ns = t0 + static_cast<std::int64_t>(st.index) * spread_ns;
            st.next_send = 1;
            st.timer = std::make_unique<boost::asio::steady_timer>(io_);
            schedule_send(st);
        }
        return 0;
    });
}

void load_thread::schedule_send(session_state& st) {
    auto due = rate_schedule{st.first_send_ns, rate_hz_}.due(st.next_send - 1);
    if (due >= me_) return; // the schedule ends with the window
    st.timer->expires_at(at(due));
    st.timer->async_wait([this, &st](boost::system::error_code ec) {
        if (!ec) send_due(st);
    });
}

// Every send already due goes now, stamped with its own scheduled time: a
// late timer shows up as latency, never as a silently thinner schedule.
void load_thread::send_due(session_state& st) {
    std::int64_t now = now_ns();
    const rate_schedule sched{st.first_send_ns, rate_hz_};
    for (;;) {
        auto due = sched.due(st.next_send - 1);
        if (due > now || due >= me_) break;
        if (in_window(due)) {
            if (st.window_last < st.window_first) st.window_first = st.next_send;
            st.window_last = st.next_send;
        }
        out_.max_send_lag_ns = std::max<std::int64_t>(out_.max_send_lag_ns, now - due);
        std::string tag = send_tag(sc_, st.index, st.next_send, due, now);
        std::string made = kind_ == payload_kind::pattern ? std::string()
                                                           : make_payload(kind_, payload_size_, static_cast<std::uint64_t>(due));
        std::string_view payload = kind_ == payload_kind::pattern ? std::string_view(payload_) : std::string_view(made);
        // To itself (echo) or to every client (broadcast) through rtbench's
        // server; to an external one, the body it is to hand back as it is.
        auto rec = std::make_shared<const std::string>(
            bare_ ? format_body(st.next_send, now, tag, payload)
                  : format_upstream(sc_ == scenario::broadcast ? std::string("all") : "client:" + st.id, tag, payload));
        if (counting_) {
            out_.app_bytes_in_window += rec->size();
            if (sc_ == scenario::broadcast) out_.envelope_in_window += rec->size() - payload.size();
        }
        st.s->send(std::move(rec));
        ++st.next_send;
        now = now_ns();
    }
    schedule_send(st);
}

wire_bytes load_thread::mark_window(bool open) {
    return call([&] {
        wire_bytes w;
        for (auto& st : sessions_) {
            auto sw = st.s->wire();
            // Bytes of a half-read message belong with that message, which
            // is counted when it completes: leave them out at this mark.
            sw.down -= std::min(sw.down, st.s->pending_bytes());
            w += sw;
        }
        counting_ = open;
        return w;
    });
}

std::uint64_t load_thread::min_highest() {
    return call([&] {
        std::uint64_t m = UINT64_MAX;
        for (auto& st : sessions_) m = std::min(m, st.tracker.highest());
        return m;
    });
}

bool load_thread::echo_drained() {
    return call([&] {
        for (auto& st : sessions_)
            if (st.window_last >= st.window_first && st.tracker.highest() < st.window_last) return false;
        return true;
    });
}

std::vector<publisher_window> load_thread::publisher_windows() {
    return call([&] { return windows_here(); });
}

std::vector<publisher_window> load_thread::windows_here() const {
    std::vector<publisher_window> out;
    for (auto& st : sessions_)
        if (st.index < publishers_) out.push_back({st.index, st.window_first, st.window_last});
    return out;
}

bool load_thread::broadcast_drained(const std::vector<publisher_window>& wins) {
    return call([&] {
        for (auto& st : sessions_)
            for (std::size_t p = 0; p < wins.size() && p < st.from.size(); ++p)
                if (wins[p].last >= wins[p].first && st.from[p].highest() < wins[p].last) return false;
        return true;
    });
}

void load_thread::close_all() {
    call([&] {
        if (pace_) pace_->cancel();
        for (auto& st : sessions_) {
            if (st.timer) st.timer->cancel();
            st.s->close();
        }
        return 0;
    });
}

void load_thread::stop() {
    if (!thread_.joinable()) return;
    guard_.reset();
    for (int i = 0; i < 500 && !io_.stopped(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    io_.stop();
    thread_.join();
}

// What each client got of what it was due (scenarios.hpp says what that is).
load_results load_thread::results(const due_window& due) {
    return call([&] {
        load_results r = out_;
        for (auto& st : sessions_) {
            if (sc_ == scenario::push && due.last >= due.first) r.counts += st.tracker.counts(due.first, due.last);
            if (sc_ == scenario::echo) r.counts += st.tracker.counts(st.window_first, st.window_last);
            if (sc_ == scenario::broadcast)
                for (std::size_t p = 0; p < due.publishers.size() && p < st.from.size(); ++p)
                    r.counts += st.from[p].counts(due.publishers[p].first, due.publishers[p].last);
        }
        std::lock_guard lock(failure_mu_);
        r.first_drop = drop_;
        return r;
    });
}

std::vector<int> load_thread::pids() const { return {static_cast<int>(::getpid())}; }

} // namespace rtb
