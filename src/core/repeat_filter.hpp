// Which queries a connection has seen before: a query text is worth a named
// prepared statement only once it comes back. A raced foreign table read
// with custom plans puts its constants into the remote SQL ("WHERE (id =
// 4242)"), so most of its texts are seen once; preparing each would cost a
// Parse of a named statement and, to make room, a DEALLOCATE of another,
// more work per call than running it unnamed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mq {

class RepeatFilter {
public:
    // How many recent first sightings are remembered.
    static constexpr size_t kRemembered = 64;

    // True when (text, param_count) was seen since it was last reported
    // (a hash of it, so a rare collision counts as a repeat: harmless);
    // otherwise remembers it, forgetting the oldest first sighting.
    bool seen_before(std::string_view text, int param_count);

private:
    std::array<uint64_t, kRemembered> hashes_{};  // 0: empty
    size_t next_ = 0;
};

}  // namespace mq
