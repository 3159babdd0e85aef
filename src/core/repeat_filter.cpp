// See repeat_filter.hpp.
#include "core/repeat_filter.hpp"

#include <functional>

namespace mq {

bool RepeatFilter::seen_before(std::string_view text, int param_count) {
    uint64_t hash = std::hash<std::string_view>{}(text) * 31 + static_cast<uint64_t>(param_count);
    if (hash == 0)
        hash = 1;
    for (uint64_t& seen : hashes_)
        if (seen == hash) {
            seen = 0;
            return true;
        }
    hashes_[next_] = hash;
    next_ = (next_ + 1) % kRemembered;
    return false;
}

}  // namespace mq
