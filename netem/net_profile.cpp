#include "netem/net_profile.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <stdexcept>

#include <fmt/format.h>

namespace rtb {
namespace {

// Published figures only (netem/README.md gives each source in full).
// WebPageTest applies its "latency" as the round trip, and so does rtbench.
constexpr std::array<net_preset, 13> presets = {{
    {"lan", 1, 1'000'000, 1'000'000, 0, "a switched gigabit LAN (rtbench's own)"},
    {"fios", 4, 20'000, 5'000, 0, "WebPageTest FIOS"},
    {"cable", 28, 5'000, 1'000, 0, "WebPageTest Cable"},
    {"dsl", 50, 1'500, 384, 0, "WebPageTest DSL"},
    {"lte", 70, 12'000, 12'000, 0, "WebPageTest LTE"},
    {"4g", 170, 9'000, 9'000, 0, "WebPageTest 4G"},
    {"3gfast", 150, 1'600, 768, 0, "WebPageTest 3G Fast"},
    {"3g", 300, 1'600, 768, 0, "WebPageTest 3G"},
    {"3gslow", 400, 400, 400, 0, "WebPageTest 3G Slow"},
    {"2g", 800, 280, 256, 0, "WebPageTest 2G"},
    {"slow4g", 562.5, 1'440, 675, 0, "Chrome DevTools 'Slow 4G' (was 'Fast 3G'; Lighthouse mobileSlow4G x 3.75 RTT, x 0.9 rate)"},
    {"slow3g", 2'000, 400, 400, 0, "Chrome DevTools '3G' (was 'Slow 3G')"},
    {"geo", 600, 18'000, 3'400, 0, "GEO satellite: >= 558 ms RTT in space (RFC 2488 s.2); rates: Ookla Q2 2021 Viasat median"},
}};

[[noreturn]] void fail(std::string_view spec, const std::string& why) {
    throw std::invalid_argument(fmt::format("--net '{}': {}", spec, why));
}

std::string lower(std::string_view s) {
    std::string o(s);
    std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return o;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (;;) {
        auto i = s.find(sep);
        out.push_back(trim(s.substr(0, i)));
        if (i == std::string_view::npos) return out;
        s.remove_prefix(i + 1);
    }
}

// One key: its unit table (suffix -> factor to the profile's unit) and range.
struct key_def {
    std::string_view key;
    std::vector<std::pair<std::string_view, double>> units;
    double lo, hi;
    double net_profile::*field;
    std::string_view canonical_unit; // how the label writes it (factor 1 in `units`)
};

const std::vector<key_def>& keys() {
    static const std::vector<key_def> k = {
        {"rtt", {{"us", 1e-3}, {"ms", 1}, {"s", 1e3}}, 0, 10'000, &net_profile::rtt_ms, "ms"},
        {"jitter", {{"us", 1e-3}, {"ms", 1}, {"s", 1e3}}, 0, 10'000, &net_profile::jitter_ms, "ms"},
        {"down", {{"bit", 1}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"bps", 1}, {"kbps", 1e3}, {"mbps", 1e6}, {"gbps", 1e9}},
         1'000, 100e9, &net_profile::down_bps, "bit"},
        {"up", {{"bit", 1}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}, {"bps", 1}, {"kbps", 1e3}, {"mbps", 1e6}, {"gbps", 1e9}},
         1'000, 100e9, &net_profile::up_bps, "bit"},
        {"loss", {{"%", 0.01}}, 0, 0.5, &net_profile::loss, ""},
        {"reset", {{"/s", 60}, {"/min", 1}, {"/h", 1.0 / 60}}, 0, 600, &net_profile::resets_per_min, "/min"},
        {"queue", {{"ms", 1}, {"s", 1e3}}, 1, 60'000, &net_profile::queue_ms, "ms"},
    };
    return k;
}

const key_def* find_key(std::string_view k) {
    for (auto& d : keys())
        if (d.key == k) return &d;
    return nullptr;
}

// "100ms" -> (100, "ms"); the unit may be empty.
std::pair<double, std::string> number_and_unit(std::string_view spec, std::string_view v) {
    double x = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || v.empty()) fail(spec, fmt::format("'{}' is not a number with a unit", v));
    return {x, lower(trim(std::string_view(p, static_cast<std::size_t>(v.data() + v.size() - p))))};
}

// Values of one key; a value without a unit takes the unit written on the
// list's last value ("rtt=0,50,100ms"); 0 needs none.
std::vector<double> key_values(std::string_view spec, const key_def& d, const std::vector<std::string_view>& raw) {
    std::vector<std::pair<double, std::string>> parsed;
    for (auto v : raw) parsed.push_back(number_and_unit(spec, v));
    std::string last_unit;
    for (auto& pv : parsed)
        if (!pv.second.empty()) last_unit = pv.second;
    std::vector<double> out;
    for (auto& [x, unit] : parsed) {
        std::string u = unit.empty() ? last_unit : unit;
        double factor = 0;
        for (auto& [name, f] : d.units)
            if (name == u) factor = f;
        if (u.empty() && x == 0) factor = 1;
        if (factor == 0) {
            std::string known;
            for (auto& [name, f] : d.units) known += (known.empty() ? "" : ", ") + std::string(name);
            fail(spec, u.empty() ? fmt::format("{}={} needs a unit ({})", d.key, x, known)
                                 : fmt::format("unknown unit '{}' for {} (use {})", u, d.key, known));
        }
        double val = x * factor;
        bool zero_ok = d.key != "queue"; // rates: 0 means unlimited
        if (!(val >= d.lo && val <= d.hi) && !(val == 0 && zero_ok))
            fail(spec, fmt::format("{}={}{} is out of range", d.key, x, u));
        out.push_back(val);
    }
    return out;
}

constexpr std::size_t max_profiles = 64;

// Shortest exact form: two different values never share a label.
std::string fmt_num(double v) { return fmt::format("{}", v); }

std::string label_value(const key_def& d, double v) {
    if (d.key == "loss") return fmt_num(v * 100) + "%";
    if (d.key == "down" || d.key == "up") {
        if (v == 0) return "0";
        if (v >= 1e9 && std::fmod(v, 1e7) == 0) return fmt_num(v / 1e9) + "gbit";
        if (v >= 1e6 && std::fmod(v, 1e4) == 0) return fmt_num(v / 1e6) + "mbit";
        if (v >= 1e3 && std::fmod(v, 10) == 0) return fmt_num(v / 1e3) + "kbit";
        return fmt_num(v) + "bit";
    }
    return fmt_num(v) + std::string(d.canonical_unit);
}

net_profile from_preset(const net_preset& p) {
    net_profile n;
    n.name = std::string(p.name);
    n.relay = true;
    n.rtt_ms = p.rtt_ms;
    n.down_bps = p.down_kbps * 1000;
    n.up_bps = p.up_kbps * 1000;
    n.loss = p.loss_pct / 100;
    return n;
}

// One ';'-separated item: none, a preset, key=value lists, or a preset with
// overrides. Appends its profiles (the product of its lists) to `out`.
void parse_item(std::string_view spec, std::string_view item, std::vector<net_profile>& out) {
    if (item.empty()) fail(spec, "an empty profile (check the ';' separators)");
    if (lower(item) == "none") {
        out.push_back(net_profile{});
        return;
    }
    net_profile base;
    base.relay = true;
    std::string label;
    std::vector<std::pair<const key_def*, std::vector<std::string_view>>> lists;
    auto tokens = split(item, ',');
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto t = tokens[i];
        auto eq = t.find('=');
        if (eq == std::string_view::npos) {
            if (i == 0) {
                auto name = lower(t);
                auto it = std::find_if(presets.begin(), presets.end(), [&](auto& p) { return p.name == name; });
                if (it == presets.end()) {
                    std::string known;
                    for (auto& p : presets) known += (known.empty() ? "" : ", ") + std::string(p.name);
                    fail(spec, fmt::format("unknown profile '{}' (presets: {}; or keys rtt, jitter, down, up, loss, "
                                           "reset, queue)", t, known));
                }
                base = from_preset(*it);
                label = base.name;
                continue;
            }
            if (lists.empty() || t.empty()) fail(spec, fmt::format("'{}' is neither KEY=VALUE nor a preset", t));
            lists.back().second.push_back(t);
            continue;
        }
        auto key = lower(trim(t.substr(0, eq)));
        auto* d = find_key(key);
        if (!d) fail(spec, fmt::format("unknown key '{}' (rtt, jitter, down, up, loss, reset, queue)", key));
        for (auto& l : lists)
            if (l.first == d) fail(spec, fmt::format("{} given twice", key));
        lists.push_back({d, {trim(t.substr(eq + 1))}});
    }
    // The product of the lists, the last key varying fastest: counted
    // before it is built, so a huge product is an error, not a hang.
    std::vector<std::vector<double>> values;
    double product = 1;
    for (auto& [d, raw] : lists) {
        values.push_back(key_values(spec, *d, raw));
        product *= static_cast<double>(values.back().size());
    }
    if (static_cast<double>(out.size()) + product > max_profiles)
        fail(spec, fmt::format("more than {} profiles in one run", max_profiles));
    std::function<void(std::size_t, net_profile, std::string)> expand = [&](std::size_t k, net_profile p, std::string name) {
        if (k == lists.size()) {
            p.name = name.empty() ? "rtt=0ms" : name;
            out.push_back(p);
            return;
        }
        for (double v : values[k]) {
            net_profile q = p;
            q.*(lists[k].first->field) = v;
            std::string part = std::string(lists[k].first->key) + "=" + label_value(*lists[k].first, v);
            expand(k + 1, q, name.empty() ? part : name + " " + part);
        }
    };
    expand(0, base, label);
}

} // namespace

std::span<const net_preset> net_presets() { return presets; }

std::string net_presets_table() {
    std::string s = fmt::format("{:<8} {:>8} {:>10} {:>10}  {}", "preset", "RTT ms", "down kbit", "up kbit", "source");
    for (auto& p : presets)
        s += fmt::format("\n{:<8} {:>8.7g} {:>10.7g} {:>10.7g}  {}", p.name, p.rtt_ms, p.down_kbps, p.up_kbps, p.source);
    return s;
}

std::vector<net_profile> parse_net(std::string_view spec) {
    std::vector<net_profile> out;
    for (auto item : split(spec, ';')) parse_item(spec, item, out);
    // Rows, spectra and the verdict tell profiles apart by their label.
    for (std::size_t i = 0; i < out.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (out[i].name == out[j].name) fail(spec, fmt::format("'{}' given twice", out[i].name));
    return out;
}

std::string net_to_spec(const net_profile& p) {
    if (!p.relay) return "none";
    // Full precision ({} is the shortest exact round trip), base units.
    return fmt::format("rtt={}ms,jitter={}ms,down={}bit,up={}bit,loss={}%,reset={}/min,queue={}ms", p.rtt_ms, p.jitter_ms,
                       p.down_bps, p.up_bps, p.loss * 100, p.resets_per_min, p.queue_ms);
}

} // namespace rtb
