#include "harness/payload.hpp"

#include <array>

#include <fmt/format.h>

#include "harness/message.hpp"

namespace rtb {

std::optional<payload_kind> parse_payload_kind(std::string_view s) {
    if (s == "pattern") return payload_kind::pattern;
    if (s == "random") return payload_kind::random;
    if (s == "json") return payload_kind::json;
    return std::nullopt;
}

const char* payload_kind_name(payload_kind k) {
    switch (k) {
    case payload_kind::pattern: return "pattern";
    case payload_kind::random: return "random";
    case payload_kind::json: return "json";
    }
    return "?";
}

namespace {

// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed generator whose
// whole state is one word, so a key is a seed.
struct splitmix {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

constexpr std::string_view b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::string_view, 8> symbols = {"BTC-USD", "ETH-USD", "SOL-USD", "EUR-USD",
                                                     "AAPL",    "MSFT",    "GOOG",    "NVDA"};
constexpr std::array<std::string_view, 6> rooms = {"general", "random", "support", "dev", "ops", "sales"};
constexpr std::array<std::string_view, 8> users = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};
constexpr std::array<std::string_view, 32> words = {
    "the",     "deploy", "is",     "done",    "see",    "you",    "at",      "standup", "latency", "looks",  "fine",
    "on",      "my",     "side",   "can",     "someone", "review", "this",   "pull",    "request", "please", "thanks",
    "build",   "failed", "again",  "retrying", "now",    "lunch",  "anyone", "meeting", "moved",   "tomorrow"};

// Words separated by spaces, exactly n characters.
void append_words(std::string& out, std::size_t n, splitmix& g) {
    std::size_t end = out.size() + n;
    while (out.size() < end) {
        if (out.size() + 1 < end && !out.empty() && out.back() != '"' && out.back() != ' ') out += ' ';
        auto w = words[g.below(words.size())];
        out.append(w.substr(0, std::min(w.size(), end - out.size())));
    }
}

// Every draw is a statement of its own, in this order: C++ leaves the order
// of a call's arguments unspecified (GCC and clang differ), and the peers'
// port of this function (peers/common/peer.js) must draw as this one does.
std::string event(splitmix& g) {
    std::uint64_t id = g.next() % 100'000'000;
    std::uint64_t ts = 1'700'000'000'000 + g.next() % 100'000'000'000;
    if (g.below(2) == 0) {
        double price = static_cast<double>(g.next() % 10'000'000) / 100.0;
        double qty = static_cast<double>(g.next() % 100'000) / 10'000.0;
        auto symbol = symbols[g.below(symbols.size())];
        const char* side = g.below(2) ? "buy" : "sell";
        return fmt::format(R"({{"type":"trade","symbol":"{}","price":{:.2f},"qty":{:.4f},"side":"{}","id":{},"ts":{})",
                           symbol, price, qty, side, id, ts);
    }
    std::string text;
    append_words(text, 12 + g.below(30), g);
    auto room = rooms[g.below(rooms.size())];
    auto user = users[g.below(users.size())];
    auto number = g.below(100);
    return fmt::format(R"({{"type":"chat","room":"{}","user":"{}{}","text":"{}","id":{},"ts":{})", room, user, number,
                       text, id, ts);
}

// A JSON text of exactly n bytes: an event object with a "note" of words
// filling it out, or, when n is too small for an event, a JSON string.
std::string json_payload(std::size_t n, splitmix& g) {
    std::string e = event(g);
    constexpr std::string_view note = R"(,"note":")"; // then words, then "}
    if (e.size() + note.size() + 2 <= n) {
        e += note;
        append_words(e, n - e.size() - 2, g);
        e += "\"}";
        return e;
    }
    if (n >= 2) {
        std::string s = "\"";
        append_words(s, n - 2, g);
        return s + "\"";
    }
    return n == 1 ? "0" : "";
}

} // namespace

std::string make_payload(payload_kind k, std::size_t n, std::uint64_t key) {
    if (k == payload_kind::pattern) return make_payload(n);
    splitmix g{key};
    if (k == payload_kind::random) {
        std::string s(n, '\0');
        for (auto& c : s) c = b64url[g.next() & 63];
        return s;
    }
    return json_payload(n, g);
}

payload_checker::payload_checker(payload_kind k, std::size_t n) : kind_(k), n_(n) {}

bool payload_checker::ok(std::string_view payload, std::uint64_t key) {
    if (payload.size() != n_) return false;
    if (kind_ == payload_kind::pattern) return payload_ok(payload);
    if (!have_ || key != key_) {
        expected_ = make_payload(kind_, n_, key);
        key_ = key;
        have_ = true;
    }
    return payload == expected_;
}

} // namespace rtb
