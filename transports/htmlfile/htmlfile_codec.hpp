#pragma once
// The htmlfile ("forever iframe") stream as rtbench writes it (README.md
// beside this file): an HTML document that never ends, loaded in a hidden
// iframe; a preamble binds p to the parent page's callback and pads the
// document to 1 KiB (what old browsers buffered before they ran anything),
// then each message is a <script> block calling p. No Beast here (the
// fuzzer takes it alone).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rtb::htmlfile {

// The preamble's size before its LF: the padding brings it to this.
inline constexpr std::size_t padded_bytes = 1024;
// "<!doctype html><html><body><script>var p=parent.NAME;</script>" and
// spaces to padded_bytes, then LF. The name must be valid (jsonp's rule).
std::string preamble(std::string_view callback);
// <script>p("<record, escaped as jsonp escapes it>");</script>\n
std::string encode_script(std::string_view record);
// Its size for a record needing no escape: record + 24.
std::uint64_t script_bytes(std::uint64_t record);

// One line of the stream (without its LF): the record of a message's
// script; nullopt for the preamble's line (is_preamble) or anything else.
std::optional<std::string> decode_script(std::string_view line);
bool is_preamble(std::string_view line);

} // namespace rtb::htmlfile
