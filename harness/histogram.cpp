#include "harness/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <stdexcept>

#include "harness/message.hpp"
#include "harness/split.hpp"

#include <fmt/format.h>

namespace rtb {
namespace {
// Values below `linear_limit` get one bucket each.
constexpr std::uint64_t linear_limit = 2 * histogram::sub_buckets; // 256
// Largest shift: values up to 2^64-1 have bit width 64.
constexpr unsigned max_shift = 64 - histogram::sub_bucket_bits - 1; // 56
constexpr std::size_t bucket_count = linear_limit + max_shift * histogram::sub_buckets;
} // namespace

histogram::histogram() : counts_(bucket_count, 0) {}

std::size_t histogram::index_of(std::uint64_t v) noexcept {
    if (v < linear_limit) return static_cast<std::size_t>(v);
    // v has bit width w >= 9; keep its top sub_bucket_bits+1 bits.
    unsigned shift = static_cast<unsigned>(std::bit_width(v)) - (sub_bucket_bits + 1); // >= 1
    std::uint64_t top = v >> shift; // in [128, 256)
    return linear_limit + (shift - 1) * sub_buckets + (top - sub_buckets);
}

std::uint64_t histogram::lowest_in(std::size_t i) noexcept {
    if (i < linear_limit) return i;
    std::size_t j = i - linear_limit;
    unsigned shift = static_cast<unsigned>(j / sub_buckets) + 1;
    std::uint64_t top = sub_buckets + j % sub_buckets;
    return top << shift;
}

std::uint64_t histogram::width_of(std::size_t i) noexcept {
    if (i < linear_limit) return 1;
    return std::uint64_t{1} << ((i - linear_limit) / sub_buckets + 1);
}

void histogram::record(std::uint64_t v, std::uint64_t n) noexcept {
    if (n == 0) return;
    counts_[index_of(v)] += n;
    total_ += n;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
    sum_ += static_cast<long double>(v) * n;
}

void histogram::record_corrected(std::uint64_t v, std::uint64_t interval) noexcept {
    record(v);
    if (interval == 0) return;
    for (std::uint64_t missing = v >= interval ? v - interval : 0; missing >= interval;
         missing -= interval)
        record(missing);
}

void histogram::merge(const histogram& o) noexcept {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
    sum_ += o.sum_;
}

// "<min> <max> <sum> <index>:<count> ...": the total is the counts' sum.
std::string histogram::encode() const {
    char sum[64];
    std::snprintf(sum, sizeof sum, "%La", sum_);
    std::string out = fmt::format("{} {} {}", total_ ? min_ : 0, max_, sum);
    for (std::size_t i = 0; i < counts_.size(); ++i)
        if (counts_[i]) out += fmt::format(" {}:{}", i, counts_[i]);
    return out;
}

histogram histogram::decode(std::string_view text) {
    auto bad = [&] { return std::invalid_argument("not an encoded histogram: '" + std::string(text.substr(0, 80)) + "'"); };
    auto f = split_on(text, ' ');
    histogram h;
    std::uint64_t lo = 0, hi = 0;
    if (f.size() < 3 || !parse_u64(f[0], lo) || !parse_u64(f[1], hi)) throw bad();
    std::string sum(f[2]);
    char* end = nullptr;
    long double s = std::strtold(sum.c_str(), &end);
    if (end != sum.c_str() + sum.size()) throw bad();
    for (std::size_t k = 3; k < f.size(); ++k) {
        auto colon = f[k].find(':');
        std::uint64_t i = 0, n = 0;
        if (colon == std::string_view::npos || !parse_u64(f[k].substr(0, colon), i) ||
            !parse_u64(f[k].substr(colon + 1), n) || i >= h.counts_.size() || n == 0)
            throw bad();
        h.counts_[i] += n;
        h.total_ += n;
    }
    if (h.total_ && (lo > hi || index_of(lo) > index_of(hi))) throw bad();
    h.min_ = h.total_ ? lo : UINT64_MAX;
    h.max_ = hi;
    h.sum_ = s;
    return h;
}

bool operator==(const histogram& a, const histogram& b) noexcept {
    return a.counts_ == b.counts_ && a.total_ == b.total_ && a.min_ == b.min_ && a.max_ == b.max_ && a.sum_ == b.sum_;
}

void histogram::reset() noexcept {
    std::fill(counts_.begin(), counts_.end(), 0);
    total_ = 0;
    min_ = UINT64_MAX;
    max_ = 0;
    sum_ = 0;
}

double histogram::mean() const noexcept {
    return total_ ? static_cast<double>(sum_ / total_) : 0.0;
}

std::uint64_t histogram::value_at(std::size_t i) const noexcept {
    // Midpoint of the bucket halves the worst-case error; clamp to what was
    // really seen so p0 == min and p100 == max exactly.
    std::uint64_t mid = lowest_in(i) + (width_of(i) - 1) / 2;
    return std::clamp(mid, min(), max_);
}

std::uint64_t histogram::percentile(double p) const noexcept {
    if (total_ == 0) return 0;
    p = std::clamp(p, 0.0, 100.0);
    // Nearest rank: the ceil(p/100 * N)-th smallest sample (at least the 1st).
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) return value_at(i);
    }
    return max_;
}

void histogram::write_spectrum(std::ostream& os, double unit_divisor) const {
    os << "value percentile total_count inverse_one_minus_percentile\n";
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        if (counts_[i] == 0) continue;
        seen += counts_[i];
        double q = static_cast<double>(seen) / static_cast<double>(total_);
        double inv = q < 1.0 ? 1.0 / (1.0 - q) : INFINITY;
        os << fmt::format("{:.3f} {:.12f} {} {:.2f}\n", value_at(i) / unit_divisor, q, seen, inv);
    }
}

} // namespace rtb
