// The rtbench command line, end to end: real processes, loopback, tiny runs.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/transport.hpp"

namespace fs = std::filesystem;

namespace {

struct outcome {
    int code = -1;
    std::string out;
};

outcome rtbench(const std::string& args) {
    std::string cmd = std::string(RTBENCH_BIN_PATH) + " " + args + " 2>&1";
    outcome o;
    FILE* f = ::popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), f)) o.out += buf.data();
    int st = ::pclose(f);
    o.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return o;
}

std::vector<std::vector<std::string>> read_csv(const fs::path& p) {
    std::ifstream f(p);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    while (std::getline(f, line)) {
        std::vector<std::string> cells;
        std::stringstream ss(line);
        std::string c;
        while (std::getline(ss, c, ',')) cells.push_back(c);
        rows.push_back(cells);
    }
    return rows;
}

std::string cell(const std::vector<std::vector<std::string>>& rows, std::size_t row, const std::string& col) {
    for (std::size_t i = 0; i < rows[0].size(); ++i)
        if (rows[0][i] == col) return rows.at(row).at(i);
    return "<no column " + col + ">";
}

fs::path temp_dir(const std::string& name) {
    auto d = fs::temp_directory_path() / ("rtbench-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(d);
    return d;
}

// Header + one row per registered transport.
std::size_t all_rows() { return 1 + rtb::all_transports().size(); }

TEST(Cli, ListShowsEveryRegisteredTransport) {
    auto o = rtbench("list");
    EXPECT_EQ(o.code, 0);
    EXPECT_EQ(static_cast<std::size_t>(std::count(o.out.begin(), o.out.end(), '\n')), rtb::all_transports().size());
    for (auto* t : rtb::all_transports()) EXPECT_NE(o.out.find(t->name), std::string::npos) << t->name;
}

TEST(Cli, EveryTransportOptionIsInTheHelpOfServeAndRun) {
    auto serve = rtbench("serve --help"), run = rtbench("run --help");
    for (auto* t : rtb::all_transports()) {
        std::string group = std::string(t->name) + " options";
        for (auto& o : t->options) {
            std::string flag = "--" + std::string(o.name);
            EXPECT_NE(run.out.find(flag), std::string::npos) << flag;
            bool server = o.reader != rtb::transport_option::side::client;
            EXPECT_EQ(serve.out.find(flag) != std::string::npos, server) << flag;
            if (server) {
                EXPECT_NE(serve.out.find(group), std::string::npos) << group;
            }
        }
    }
}

TEST(Cli, RunPassesServerOptionsThrough) {
    // --sse-retry-ms was once a `serve` flag only; declared by the SSE
    // transport it is now `run`'s too, and reaches the server: the SSE
    // stream's first chunk carries it.
    auto dir = temp_dir("passthrough");
    auto o = rtbench("run --transport sse --scenario connect --clients 1 --duration 0.2 --sse-retry-ms 4321 "
                     "--lp-hold-ms 777 --no-plot --out " + dir.string());
    ASSERT_EQ(o.code, 0) << o.out;
    auto rows = read_csv(dir / "results.csv");
    ASSERT_EQ(rows.size(), 2u);
    // The handshake bytes include the "retry: N" chunk, so a retry value
    // one digit longer costs exactly one byte more.
    auto dir2 = temp_dir("passthrough-default");
    o = rtbench("run --transport sse --scenario connect --clients 1 --duration 0.2 --sse-retry-ms 43210 --no-plot --out " +
                dir2.string());
    ASSERT_EQ(o.code, 0) << o.out;
    auto rows2 = read_csv(dir2 / "results.csv");
    EXPECT_EQ(std::stod(cell(rows2, 1, "handshake_bytes")) - std::stod(cell(rows, 1, "handshake_bytes")), 1.0);
    fs::remove_all(dir);
    fs::remove_all(dir2);
}

TEST(Cli, HelpListsSubcommands) {
    auto o = rtbench("--help");
    EXPECT_EQ(o.code, 0);
    for (auto* n : {"list", "serve", "run", "compare"}) EXPECT_NE(o.out.find(n), std::string::npos) << n;
}

TEST(Cli, BadFlagIsOneLineAndExit2) {
    for (auto* args : {"run --no-such-flag", "run --transport nope", "run --clients x", "run --scenario fly",
                       "serve --port notaport", "run --rate 0", "frobnicate", "serve --publish-rate 1e7",
                       "serve --publish-rate -1", "run --poll-interval-ms x", "run --history-bytes -1"}) {
        auto o = rtbench(args);
        EXPECT_EQ(o.code, 2) << args << ": " << o.out;
        EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << args << ": " << o.out;
        EXPECT_EQ(o.out.rfind("rtbench: ", 0), 0u) << o.out;
    }
}

TEST(Cli, PushRunEveryTransportDeliversEverything) {
    auto dir = temp_dir("push");
    auto o = rtbench("run --transport all --scenario push --clients 3 --rate 50 --payload 32 --duration 0.6 "
                     "--warmup 0.2 --poll-interval-ms 100 --no-plot --out " + dir.string());
    ASSERT_EQ(o.code, 0) << o.out;
    auto rows = read_csv(dir / "results.csv");
    ASSERT_EQ(rows.size(), all_rows());
    for (std::size_t i = 1; i < rows.size(); ++i) {
        EXPECT_EQ(cell(rows, i, "lost"), "0") << rows[i][0];
        EXPECT_EQ(cell(rows, i, "delivered"), cell(rows, i, "expected")) << rows[i][0];
        // 50/s over 0.6 s, 3 clients: 30 per client (+-1 at the window edges)
        EXPECT_NEAR(std::stod(cell(rows, i, "expected")), 90, 3) << rows[i][0];
        EXPECT_GT(std::stod(cell(rows, i, "wire_down_bytes")), 0) << rows[i][0];
        EXPECT_EQ(fs::exists(dir / ("spectra/" + rows[i][0] + "_push_c3_r50_p32.txt")), true);
    }
    EXPECT_TRUE(fs::exists(dir / "manifest.json"));
    EXPECT_NE(o.out.find("p99 ms"), std::string::npos); // the summary table
    fs::remove_all(dir);
}

TEST(Cli, EchoRunEveryTransport) {
    auto dir = temp_dir("echo");
    auto o = rtbench("run --transport all --scenario echo --clients 2 --rate 20 --payload 16 --duration 0.5 "
                     "--warmup 0.2 --poll-interval-ms 50 --no-plot --out " + dir.string());
    ASSERT_EQ(o.code, 0) << o.out;
    auto rows = read_csv(dir / "results.csv");
    ASSERT_EQ(rows.size(), all_rows());
    for (std::size_t i = 1; i < rows.size(); ++i) {
        EXPECT_EQ(cell(rows, i, "lost"), "0") << rows[i][0];
        EXPECT_NEAR(std::stod(cell(rows, i, "expected")), 20, 2) << rows[i][0]; // 2 clients x 20/s x 0.5 s
        EXPECT_GT(std::stod(cell(rows, i, "wire_up_bytes")), 0) << rows[i][0];
    }
    fs::remove_all(dir);
}

TEST(Cli, ConnectRunMeasuresHandshakes) {
    auto dir = temp_dir("connect");
    auto o = rtbench("run --transport all --scenario connect --clients 20 --duration 0.5 --no-plot --out " + dir.string());
    ASSERT_EQ(o.code, 0) << o.out;
    auto rows = read_csv(dir / "results.csv");
    ASSERT_EQ(rows.size(), all_rows());
    for (std::size_t i = 1; i < rows.size(); ++i) {
        EXPECT_GT(std::stod(cell(rows, i, "handshake_bytes")), 50) << rows[i][0];
        EXPECT_GT(std::stod(cell(rows, i, "connect_p50_us")), 0) << rows[i][0];
    }
    fs::remove_all(dir);
}

TEST(Cli, ConnectRateIsPaced) {
    // 20 connections at 40/s: the last may start only 19/40 s = 475 ms after
    // the first, so the whole connect phase takes at least that long.
    auto dir = temp_dir("rate");
    auto t0 = std::chrono::steady_clock::now();
    auto o = rtbench("run --transport websocket --scenario connect --clients 20 --connect-rate 40 --duration 0.1 "
                     "--no-plot --out " + dir.string());
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(o.code, 0) << o.out;
    EXPECT_GE(ms, 475);
    auto rows = read_csv(dir / "results.csv");
    EXPECT_EQ(cell(rows, 1, "clients"), "20");
    fs::remove_all(dir);
}

TEST(Cli, LossyServerIsCaughtWithExit3) {
    auto dir = temp_dir("lossy");
    auto o = rtbench("run --transport websocket,sse --clients 2 --rate 100 --duration 0.5 --warmup 0.1 "
                     "--drain 0.5 --test-drop-every 5 --no-plot --out " + dir.string());
    EXPECT_EQ(o.code, 3) << o.out;
    auto rows = read_csv(dir / "results.csv");
    ASSERT_EQ(rows.size(), 3u);
    for (std::size_t i = 1; i < rows.size(); ++i) {
        // Every 5th message never arrives: about 1/5 of the expected are lost.
        double lost = std::stod(cell(rows, i, "lost")), expected = std::stod(cell(rows, i, "expected"));
        EXPECT_NEAR(lost / expected, 0.2, 0.03) << rows[i][0];
    }
    EXPECT_NE(o.out.find("lost"), std::string::npos);
    o = rtbench("run --transport websocket --clients 1 --rate 100 --duration 0.3 --warmup 0.1 --drain 0.3 "
                "--test-drop-every 5 --allow-loss --no-plot --out " + dir.string());
    EXPECT_EQ(o.code, 0) << o.out;
    fs::remove_all(dir);
}

} // namespace

namespace {

std::size_t digits(std::uint64_t v) { return std::to_string(v).size(); }
std::size_t hex_digits(std::uint64_t v) {
    std::size_t n = 1;
    while (v >>= 4) ++n;
    return n;
}
std::uint64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Per-message overhead (wire bytes beyond the payload) a README formula gives
// for a body of a given seq digit count: body L = dseq + 2*D + n + 4 (publish
// timestamp and "s"+scheduled timestamp, both D digits, 3 spaces).
double formula_overhead(const std::string& t, std::size_t n, std::size_t dseq, std::size_t D) {
    std::size_t L = dseq + 2 * D + n + 4;
    if (t == "streaming") return static_cast<double>(hex_digits(L + 1) + L + 5 - n);
    if (t == "websocket") return static_cast<double>(L + (L < 126 ? 2 : 4) - n);
    std::size_t E = L + dseq + 13; // sse
    return static_cast<double>(hex_digits(E) + E + 4 - n);
}

} // namespace

TEST(Cli, MeasuredOverheadEqualsTheReadmeFormulas) {
    // A controlled run: the measured bytes per message must equal the
    // formula for one message, between the values for the smallest and
    // largest sequence-number widths seen in the window.
    auto dir = temp_dir("formula");
    constexpr std::size_t n = 100;
    // 4 clients x 1,000 msg/s x 2 s: 8,000 messages in all, so that the
    // attribution limit at the window's two edges (about one message per
    // client per edge, see results/README.md) is under half a byte.
    auto o = rtbench("run --transport streaming,sse,websocket,polling --clients 4 --rate 1000 --payload 100 "
                     "--duration 2 --warmup 0.2 --poll-interval-ms 50 --no-plot --out " + dir.string());
    ASSERT_EQ(o.code, 0) << o.out;
    auto rows = read_csv(dir / "results.csv");
    std::size_t D = digits(monotonic_ns());
    for (std::size_t i = 1; i < rows.size(); ++i) {
        std::string t = rows[i][0];
        double got = std::stod(cell(rows, i, "overhead_bytes_per_msg"));
        double msgs = std::stod(cell(rows, i, "messages_in_window"));
        double edge = 2.0 * 4 * 250 / msgs; // 2 edges x 4 clients x ~250 B per message
        ASSERT_LT(edge, 0.5);
        // Sequence numbers in this run have 3..4 digits (hundreds to ~2,200).
        if (t == "polling") {
            // Each message costs at least its body fields and LF; the answer
            // head and the request are shared by the batch of a poll.
            double floor = static_cast<double>(3 + 2 * D + 4 + 1);
            EXPECT_GE(got, floor) << t;
            EXPECT_LE(got, floor + 60) << t;
            continue;
        }
        double lo = formula_overhead(t, n, 3, D), hi = formula_overhead(t, n, 4, D);
        EXPECT_GE(got, lo - edge) << t;
        EXPECT_LE(got, hi + edge) << t;
        EXPECT_EQ(cell(rows, i, "wire_up_bytes"), "0") << t; // nothing goes up on a push stream
    }
    fs::remove_all(dir);
}
