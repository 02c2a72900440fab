#pragma once
// Settings a transport declares for itself. The CLI turns each declaration
// into a flag of `rtbench serve` and `rtbench run` (grouped under the
// transport's name in --help), `run` hands the server-side ones to the server
// it starts, and the transport reads them back by their declaration, so a
// setting is written down in exactly one place: its transport's folder.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace rtb {

struct transport_option {
    enum class kind : std::uint8_t { flag, number };
    // Who reads it: the server, the client, or both (e.g. an extension both
    // sides must agree on). `serve` shows server and both; `run` shows all.
    enum class side : std::uint8_t { server, client, both };
    std::string_view name; // the flag without its dashes: "lp-hold-ms"
    kind type;
    side reader;
    std::string_view unit;       // "ms", "messages", ... ("" for flags)
    std::uint64_t default_value; // flags: 0 (off) or 1
    std::uint64_t max_value;     // numbers: accepted range is [min_value, max_value]
    std::string_view help;
    std::uint64_t min_value = 0;
    // Turning it on compresses messages (permessage-deflate): a run then
    // defaults to JSON payloads, which compress like real ones, instead of
    // the repeated pattern, which compresses to almost nothing.
    bool compresses = false;
};

// The values given on a command line, by option name. An option not given
// reads as its declared default.
class option_values {
public:
    void set(std::string_view name, std::uint64_t v) { values_[std::string(name)] = v; }
    bool given(std::string_view name) const { return values_.find(name) != values_.end(); }
    std::uint64_t get(const transport_option& o) const {
        auto it = values_.find(o.name);
        return it == values_.end() ? o.default_value : it->second;
    }
    bool flag(const transport_option& o) const { return get(o) != 0; }
    std::chrono::milliseconds ms(const transport_option& o) const {
        return std::chrono::milliseconds(static_cast<std::int64_t>(get(o)));
    }
    const std::map<std::string, std::uint64_t, std::less<>>& all() const { return values_; }

private:
    std::map<std::string, std::uint64_t, std::less<>> values_;
};

} // namespace rtb
