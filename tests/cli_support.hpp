#pragma once
// What the end-to-end tests share: run the real rtbench binary, read its CSV.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rtb_test {
namespace fs = std::filesystem;

struct outcome {
    int code = -1;
    std::string out;
};

// A shell command's exit code and output (stdout and stderr, when the
// command sends stderr to stdout).
inline outcome run_command(const std::string& cmd) {
    outcome o;
    FILE* f = ::popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), f)) o.out += buf.data();
    int st = ::pclose(f);
    o.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return o;
}

// `env`: "NAME=value ..." put before the command (may be empty).
inline outcome rtbench_env(const std::string& env, const std::string& args) {
    return run_command(env + std::string(RTBENCH_BIN_PATH) + " " + args + " 2>&1");
}

inline outcome rtbench(const std::string& args) { return rtbench_env("", args); }

inline std::vector<std::vector<std::string>> read_csv(const fs::path& p) {
    std::ifstream f(p);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    while (std::getline(f, line)) {
        // Split on every comma, keeping empty cells (also a trailing one).
        std::vector<std::string> cells(1);
        for (char ch : line) {
            if (ch == ',') cells.emplace_back();
            else cells.back() += ch;
        }
        rows.push_back(cells);
    }
    return rows;
}

inline std::string cell(const std::vector<std::vector<std::string>>& rows, std::size_t row, const std::string& col) {
    for (std::size_t i = 0; i < rows[0].size(); ++i)
        if (rows[0][i] == col) return rows.at(row).at(i);
    return "<no column " + col + ">";
}

// A numeric cell (std::stod: an empty cell is an error, not 0).
inline double num(const std::vector<std::vector<std::string>>& rows, std::size_t row, const std::string& col) {
    return std::stod(cell(rows, row, col));
}

inline fs::path temp_dir(const std::string& name) {
    auto d = fs::temp_directory_path() / ("rtbench-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    return d;
}

// `rtbench run --no-plot --warmup 0.5 ARGS` into a temporary folder: its
// results.csv, after checking the exit code (0 unless told otherwise).
inline std::vector<std::vector<std::string>> run_csv(const std::string& name, const std::string& args, int want = 0) {
    auto dir = temp_dir(name);
    auto o = rtbench("run --no-plot --warmup 0.5 " + args + " --out " + dir.string());
    EXPECT_EQ(o.code, want) << o.out;
    auto rows = read_csv(dir / "results.csv");
    fs::remove_all(dir);
    return rows;
}

} // namespace rtb_test
