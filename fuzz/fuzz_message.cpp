// rtbench's record parsers (message bodies, upstream records, targets, gap
// records, decimals): anything they accept formats back to a record that
// parses to the same fields.
#include <cstdint>
#include <string>

#include "harness/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view s(reinterpret_cast<const char*>(data), size);
    // The parsers return views into their input: keep each formatted record alive.
    std::string f;
    if (auto b = rtb::parse_body(s)) {
        f = rtb::format_body(b->seq, b->publish_ns, b->tag, b->payload);
        auto again = rtb::parse_body(f);
        if (!again || again->seq != b->seq || again->publish_ns != b->publish_ns || again->tag != b->tag ||
            again->payload != b->payload)
            __builtin_trap();
    }
    if (auto u = rtb::parse_upstream(s)) {
        f = rtb::format_upstream(u->to, u->tag, u->payload);
        auto again = rtb::parse_upstream(f);
        if (!again || again->to != u->to || again->tag != u->tag || again->payload != u->payload) __builtin_trap();
    }
    if (auto t = rtb::parse_target(s)) {
        f = rtb::format_target(*t);
        auto again = rtb::parse_target(f);
        if (!again || again->k != t->k || again->name != t->name) __builtin_trap();
    }
    if (auto g = rtb::parse_gap(s)) {
        auto again = rtb::parse_gap(rtb::format_gap(g->first, g->last));
        if (!again || again->first != g->first || again->last != g->last) __builtin_trap();
    }
    std::uint64_t u64 = 0;
    if (rtb::parse_u64(s, u64) && std::to_string(u64) != s && s.front() != '0') __builtin_trap();
    std::int64_t i64 = 0;
    (void)rtb::parse_i64(s, i64);
    (void)rtb::payload_ok(s);
    return 0;
}
