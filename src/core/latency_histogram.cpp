// The log-linear latency histogram; see latency_histogram.hpp.
#include "core/latency_histogram.hpp"

#include <cmath>
#include <cstring>

namespace mq {
namespace {

// floor(log2(value)) for value > 0.
int log2_floor(uint64_t value) {
    return 63 - __builtin_clzll(value);
}

}  // namespace

int LatencyHistogram::bucket_of(int64_t value_us) {
    if (value_us < kSubBuckets)
        return value_us < 0 ? 0 : static_cast<int>(value_us);
    int exponent = log2_floor(static_cast<uint64_t>(value_us));
    if (exponent >= kMaxExponent)
        return kBuckets - 1;
    int shift = exponent - kSubBucketBits;
    int sub_bucket = static_cast<int>((value_us >> shift) & (kSubBuckets - 1));
    return kSubBuckets + shift * kSubBuckets + sub_bucket;
}

int64_t LatencyHistogram::bucket_lower(int bucket) {
    if (bucket < kSubBuckets)
        return bucket;
    int shift = (bucket - kSubBuckets) / kSubBuckets;
    int sub_bucket = (bucket - kSubBuckets) % kSubBuckets;
    return static_cast<int64_t>(kSubBuckets + sub_bucket) << shift;
}

int64_t LatencyHistogram::bucket_upper(int bucket) {
    if (bucket < kSubBuckets)
        return bucket + 1;
    int shift = (bucket - kSubBuckets) / kSubBuckets;
    return bucket_lower(bucket) + (int64_t{1} << shift);
}

void LatencyHistogram::clear() {
    std::memset(static_cast<void*>(this), 0, sizeof(*this));
}

void LatencyHistogram::record(int64_t value_us) {
    if (value_us < 0)
        value_us = 0;
    if (count_ == 0 || value_us < min_)
        min_ = value_us;
    if (count_ == 0 || value_us > max_)
        max_ = value_us;
    ++count_;
    ++buckets_[bucket_of(value_us)];
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
    if (other.count_ == 0)
        return;
    if (count_ == 0 || other.min_ < min_)
        min_ = other.min_;
    if (count_ == 0 || other.max_ > max_)
        max_ = other.max_;
    count_ += other.count_;
    for (int i = 0; i < kBuckets; ++i)
        buckets_[i] += other.buckets_[i];
}

std::optional<double> LatencyHistogram::quantile(double p) const {
    if (count_ == 0 || !(p >= 0.0 && p <= 1.0))
        return std::nullopt;
    // Nearest rank: the smallest value with at least p of all values at or below it.
    auto rank = static_cast<uint64_t>(std::ceil(p * static_cast<double>(count_)));
    if (rank < 1)
        rank = 1;
    if (rank > count_)
        rank = count_;
    uint64_t seen = 0;
    int bucket = 0;
    for (; bucket < kBuckets - 1; ++bucket) {
        seen += buckets_[bucket];
        if (seen >= rank)
            break;
    }
    // The last bucket is open-ended: its middle means nothing, its largest value does.
    if (bucket == kBuckets - 1)
        return static_cast<double>(max_);
    double lower = static_cast<double>(bucket_lower(bucket));
    double width = static_cast<double>(bucket_upper(bucket) - bucket_lower(bucket));
    // A bucket of width 1 holds one exact value; wider ones are read at their middle.
    double estimate = width <= 1.0 ? lower : lower + width / 2.0;
    return std::fmin(std::fmax(estimate, static_cast<double>(min_)), static_cast<double>(max_));
}

}  // namespace mq
