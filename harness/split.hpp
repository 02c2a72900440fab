#pragma once
// The one splitter of rtbench's own line formats (an encoded histogram, a
// load process's results and protocol): the pieces between separators, as
// views into the text, empty pieces skipped.
#include <string_view>
#include <vector>

namespace rtb {

inline std::vector<std::string_view> split_on(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < s.size();) {
        auto j = s.find(sep, i);
        if (j == std::string_view::npos) j = s.size();
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

} // namespace rtb
