// The latency histogram's cost on the load generator's hot path.
#include <benchmark/benchmark.h>

#include <random>

#include "harness/histogram.hpp"

namespace {

void BM_Histogram_Record(benchmark::State& st) {
    rtb::histogram h;
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> d(13.0, 1.5); // ~0.4 ms median, long tail, in ns
    std::vector<std::uint64_t> v(4096);
    for (auto& x : v) x = static_cast<std::uint64_t>(d(rng));
    std::size_t i = 0;
    for (auto _ : st) h.record(v[i++ & 4095]);
    benchmark::DoNotOptimize(h.count());
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
}

void BM_Histogram_Merge(benchmark::State& st) {
    rtb::histogram a, b;
    for (std::uint64_t v = 1; v < 1'000'000'000; v = v * 11 / 10 + 1) b.record(v);
    for (auto _ : st) a.merge(b);
    benchmark::DoNotOptimize(a.count());
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
}

void BM_Histogram_Percentile(benchmark::State& st) {
    rtb::histogram h;
    for (std::uint64_t v = 1; v < 1'000'000'000; v = v * 11 / 10 + 1) h.record(v, 3);
    for (auto _ : st) benchmark::DoNotOptimize(h.percentile(99.9));
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
}

BENCHMARK(BM_Histogram_Record);
BENCHMARK(BM_Histogram_Merge);
BENCHMARK(BM_Histogram_Percentile);

} // namespace
