#include "transports/htmlfile/htmlfile_codec.hpp"

#include "transports/jsonp-polling/jsonp_codec.hpp"

namespace rtb::htmlfile {

namespace {
constexpr std::string_view doc_head = "<!doctype html><html><body><script>var p=parent.";
constexpr std::string_view doc_tail = ";</script>";
constexpr std::string_view open = "<script>p(";
constexpr std::string_view close = ");</script>";
} // namespace

std::string preamble(std::string_view callback) {
    std::string s;
    s.reserve(padded_bytes + 1);
    s += doc_head;
    s += callback;
    s += doc_tail;
    if (s.size() < padded_bytes) s.append(padded_bytes - s.size(), ' ');
    s += '\n';
    return s;
}

std::string encode_script(std::string_view record) {
    std::string s;
    s.reserve(script_bytes(record.size()));
    s += open;
    jsonp::append_json_string(s, record);
    s += close;
    s += '\n';
    return s;
}

std::uint64_t script_bytes(std::uint64_t record) { return open.size() + 2 + record + close.size() + 1; }

bool is_preamble(std::string_view line) {
    return line.size() >= padded_bytes && line.starts_with(doc_head);
}

std::optional<std::string> decode_script(std::string_view line) {
    if (!line.starts_with(open) || !line.ends_with(close)) return std::nullopt;
    line.remove_prefix(open.size());
    line.remove_suffix(close.size());
    auto r = jsonp::take_json_string(line);
    if (!r || !line.empty()) return std::nullopt;
    return r;
}

} // namespace rtb::htmlfile
