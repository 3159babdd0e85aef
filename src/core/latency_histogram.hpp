// A fixed-size log-linear histogram of latencies in microseconds, plain data
// so that it can live in shared memory and be copied with memcpy.
//
// Values below 16 us each have a bucket of their own; above, every power of
// two is split into 16 equal buckets, so a bucket is at most 1/16 of its lower
// bound wide and a quantile read at its midpoint is within ~3.2% of the truth.
// Values from 2^36 us (about 19 hours) up share the last bucket.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>

namespace mq {

class LatencyHistogram {
public:
    static constexpr int kSubBucketBits = 4;
    static constexpr int kSubBuckets = 1 << kSubBucketBits;  // 16 per power of two
    static constexpr int kMaxExponent = 36;                  // 2^36 us, about 19 h
    // The exact buckets, 16 per power of two up to 2^kMaxExponent, one for the rest.
    static constexpr int kBuckets =
        kSubBuckets + (kMaxExponent - kSubBucketBits) * kSubBuckets + 1;

    // The bucket a value falls in; negative values count as 0.
    static int bucket_of(int64_t value_us);
    // The smallest value of a bucket.
    static int64_t bucket_lower(int bucket);
    // One past the largest value of a bucket (the last bucket is open-ended:
    // this is where it would end if it were as wide as its neighbours).
    static int64_t bucket_upper(int bucket);

    // Forgets every value. A zero-filled histogram is also empty.
    void clear();
    // Adds one value.
    void record(int64_t value_us);
    // Adds every value of another histogram.
    void merge(const LatencyHistogram& other);

    uint64_t count() const { return count_; }
    int64_t min() const { return min_; }
    int64_t max() const { return max_; }
    uint64_t bucket_count(int bucket) const { return buckets_[bucket]; }

    // The p-quantile (0 <= p <= 1) by nearest rank, read at the middle of its
    // bucket and clamped to the smallest and largest value seen; nothing when
    // the histogram is empty or p is out of range (or NaN).
    std::optional<double> quantile(double p) const;

private:
    uint64_t count_;
    int64_t min_;  // meaningful only when count_ > 0
    int64_t max_;
    uint64_t buckets_[kBuckets];
};

static_assert(std::is_trivially_copyable_v<LatencyHistogram>,
              "the histogram lives in shared memory and is copied with memcpy");
static_assert(std::is_standard_layout_v<LatencyHistogram>);

}  // namespace mq
