#pragma once
// The JSONP answer: `<callback>([<cursor>,"<record>",...]);` — the records
// as JSON strings, the cursor for the next poll as the array's first element
// (a <script> element cannot read response headers). Wire format: README.md.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtb::jsonp {

// The callback names accepted: 1..64 of [A-Za-z0-9_$.]. Anything else could
// inject script into the answer (JSONP's classic hole), so it gets a 400.
bool valid_callback(std::string_view name) noexcept;

// Appends `record` as a JSON string. '"' and '\' are escaped as JSON
// requires, '<' as \u003c so that "</script>" or "<!--" can never appear in
// the script, and any byte outside printable ASCII as \u00XX.
void append_json_string(std::string& out, std::string_view record);

// One string append_json_string wrote (or any JSON string whose \u escapes
// are bytes), at the front of `s`; removes it. nullopt when malformed.
std::optional<std::string> take_json_string(std::string_view& s);

// `<callback>([<cursor>` ... `]);` around records already encoded.
std::string encode_answer(std::string_view callback, std::uint64_t cursor,
                          const std::vector<std::string_view>& records);

struct answer {
    std::uint64_t cursor = 0;
    std::vector<std::string> records;
};
// Parses exactly what encode_answer writes (and the standard JSON string
// escapes); nullopt for anything else.
std::optional<answer> decode_answer(std::string_view callback, std::string_view body);

} // namespace rtb::jsonp
