#include "core/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace mq {
namespace {

// Bucket midpoints are at most half of 1/16 of a value away from it.
constexpr double kRelativeError = 1.0 / 32.0;

LatencyHistogram empty_histogram() {
    LatencyHistogram histogram;
    histogram.clear();
    return histogram;
}

// The exact nearest-rank quantile of a sample, to compare the histogram with.
double exact_quantile(std::vector<int64_t> values, double p) {
    std::sort(values.begin(), values.end());
    auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
    rank = std::clamp<size_t>(rank, 1, values.size());
    return static_cast<double>(values[rank - 1]);
}

void expect_close(double actual, double expected) {
    EXPECT_LE(std::fabs(actual - expected), expected * kRelativeError + 0.5)
        << "actual " << actual << ", expected " << expected;
}

TEST(LatencyHistogram, ZeroFilledMemoryIsEmpty) {
    alignas(LatencyHistogram) unsigned char raw[sizeof(LatencyHistogram)];
    std::memset(raw, 0, sizeof(raw));
    const auto* histogram = reinterpret_cast<const LatencyHistogram*>(raw);
    EXPECT_EQ(histogram->count(), 0u);
    EXPECT_FALSE(histogram->quantile(0.5).has_value());
}

TEST(LatencyHistogram, EmptyHasNoQuantile) {
    LatencyHistogram histogram = empty_histogram();
    EXPECT_FALSE(histogram.quantile(0.0).has_value());
    EXPECT_FALSE(histogram.quantile(0.5).has_value());
    EXPECT_FALSE(histogram.quantile(1.0).has_value());
}

TEST(LatencyHistogram, OutOfRangeQuantileIsNothing) {
    LatencyHistogram histogram = empty_histogram();
    histogram.record(100);
    EXPECT_FALSE(histogram.quantile(-0.1).has_value());
    EXPECT_FALSE(histogram.quantile(1.1).has_value());
    EXPECT_FALSE(histogram.quantile(std::nan("")).has_value());
}

TEST(LatencyHistogram, SmallValuesAreExact) {
    for (int64_t value = 0; value < LatencyHistogram::kSubBuckets; ++value) {
        EXPECT_EQ(LatencyHistogram::bucket_of(value), value);
        EXPECT_EQ(LatencyHistogram::bucket_lower(static_cast<int>(value)), value);
        EXPECT_EQ(LatencyHistogram::bucket_upper(static_cast<int>(value)), value + 1);
    }
}

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGapsOrOverlaps) {
    for (int bucket = 0; bucket + 1 < LatencyHistogram::kBuckets; ++bucket) {
        ASSERT_EQ(LatencyHistogram::bucket_upper(bucket), LatencyHistogram::bucket_lower(bucket + 1))
            << "bucket " << bucket;
        int64_t lower = LatencyHistogram::bucket_lower(bucket);
        int64_t last = LatencyHistogram::bucket_upper(bucket) - 1;
        ASSERT_EQ(LatencyHistogram::bucket_of(lower), bucket);
        ASSERT_EQ(LatencyHistogram::bucket_of(last), bucket);
        // Fine enough: no bucket wider than 1/16 of its lower bound (beyond the exact ones).
        if (lower >= LatencyHistogram::kSubBuckets)
            ASSERT_LE((last + 1 - lower) * 16, lower) << "bucket " << bucket;
    }
}

TEST(LatencyHistogram, EdgesOfPowersOfTwo) {
    // 16 is the first value sharing a power of two with 15 other buckets.
    EXPECT_EQ(LatencyHistogram::bucket_of(15), 15);
    EXPECT_EQ(LatencyHistogram::bucket_of(16), 16);
    EXPECT_EQ(LatencyHistogram::bucket_of(31), 31);
    EXPECT_EQ(LatencyHistogram::bucket_of(32), 32);
    EXPECT_EQ(LatencyHistogram::bucket_of(33), 32);  // 32..33 share a bucket
    EXPECT_EQ(LatencyHistogram::bucket_of(34), 33);
    EXPECT_EQ(LatencyHistogram::bucket_of(1023), LatencyHistogram::bucket_of(1024) - 1);
}

TEST(LatencyHistogram, NegativeAndHugeValuesAreClamped) {
    EXPECT_EQ(LatencyHistogram::bucket_of(-5), 0);
    int last = LatencyHistogram::kBuckets - 1;
    EXPECT_EQ(LatencyHistogram::bucket_of(int64_t{1} << LatencyHistogram::kMaxExponent), last);
    EXPECT_EQ(LatencyHistogram::bucket_of(INT64_MAX), last);
    EXPECT_EQ(LatencyHistogram::bucket_of((int64_t{1} << LatencyHistogram::kMaxExponent) - 1),
              last - 1);

    LatencyHistogram histogram = empty_histogram();
    histogram.record(-7);
    EXPECT_EQ(histogram.min(), 0);
    histogram.record(INT64_MAX);
    EXPECT_EQ(histogram.bucket_count(last), 1u);
    EXPECT_EQ(*histogram.quantile(1.0), static_cast<double>(INT64_MAX));
}

TEST(LatencyHistogram, OneValueReadsBackWithinTheError) {
    // From 10 us to 100 s, a single value is its own every quantile.
    for (int64_t value = 10; value <= 100'000'000; value = value * 3 + 1) {
        LatencyHistogram histogram = empty_histogram();
        histogram.record(value);
        EXPECT_EQ(*histogram.quantile(0.5), static_cast<double>(value));  // clamped to min/max
        EXPECT_EQ(histogram.count(), 1u);
    }
}

TEST(LatencyHistogram, UniformDistributionQuantiles) {
    LatencyHistogram histogram = empty_histogram();
    std::vector<int64_t> values;
    for (int64_t value = 1; value <= 100'000; ++value) {  // 1 us .. 100 ms
        histogram.record(value);
        values.push_back(value);
    }
    for (double p : {0.01, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999})
        expect_close(*histogram.quantile(p), exact_quantile(values, p));
    EXPECT_EQ(*histogram.quantile(0.0), 1.0);
    EXPECT_EQ(*histogram.quantile(1.0), 100'000.0);
}

TEST(LatencyHistogram, LogNormalDistributionQuantiles) {
    // Latencies as they look in practice: a long tail over many powers of two.
    std::mt19937_64 generator(42);
    std::lognormal_distribution<double> latency_us(std::log(2'000.0), 1.5);
    LatencyHistogram histogram = empty_histogram();
    std::vector<int64_t> values;
    for (int i = 0; i < 200'000; ++i) {
        auto value = static_cast<int64_t>(latency_us(generator));
        histogram.record(value);
        values.push_back(value);
    }
    for (double p : {0.5, 0.9, 0.99, 0.999})
        expect_close(*histogram.quantile(p), exact_quantile(values, p));
}

TEST(LatencyHistogram, TwoClustersSplitAtTheRank) {
    LatencyHistogram histogram = empty_histogram();
    for (int i = 0; i < 90; ++i)
        histogram.record(1'000);  // 1 ms
    for (int i = 0; i < 10; ++i)
        histogram.record(2'000'000);  // 2 s
    expect_close(*histogram.quantile(0.5), 1'000);
    expect_close(*histogram.quantile(0.9), 1'000);  // rank 90 is still the fast cluster
    expect_close(*histogram.quantile(0.91), 2'000'000);
    expect_close(*histogram.quantile(0.99), 2'000'000);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverything) {
    LatencyHistogram left = empty_histogram();
    LatencyHistogram right = empty_histogram();
    LatencyHistogram both = empty_histogram();
    for (int64_t value = 5; value < 1'000'000; value = value * 5 / 4 + 1) {
        (value % 2 ? left : right).record(value);
        both.record(value);
    }
    LatencyHistogram empty = empty_histogram();
    left.merge(empty);
    EXPECT_EQ(left.count() + right.count(), both.count());
    left.merge(right);
    EXPECT_EQ(left.count(), both.count());
    EXPECT_EQ(left.min(), both.min());
    EXPECT_EQ(left.max(), both.max());
    for (int bucket = 0; bucket < LatencyHistogram::kBuckets; ++bucket)
        ASSERT_EQ(left.bucket_count(bucket), both.bucket_count(bucket));

    empty.merge(both);
    EXPECT_EQ(empty.min(), both.min());
    EXPECT_EQ(*empty.quantile(0.5), *both.quantile(0.5));
}

TEST(LatencyHistogram, ClearForgetsEverything) {
    LatencyHistogram histogram = empty_histogram();
    histogram.record(123);
    histogram.clear();
    EXPECT_EQ(histogram.count(), 0u);
    EXPECT_FALSE(histogram.quantile(0.5).has_value());
    histogram.record(50);
    EXPECT_EQ(histogram.min(), 50);
}

}  // namespace
}  // namespace mq
