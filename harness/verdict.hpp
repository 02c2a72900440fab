#pragma once
// The answer, in a few sentences, from the rows of a run: which transport
// was cheapest in bytes, fastest, cheapest in server CPU and memory, where
// each one broke, and what the run cannot tell. The terminal prints it
// after the table and writes it to verdict.md, which the report leads with.
#include <string>
#include <vector>

#include "harness/report.hpp"

namespace rtb {

// One sentence per line, each about one question.
std::vector<std::string> verdict(const std::vector<result_row>& rows);

} // namespace rtb
