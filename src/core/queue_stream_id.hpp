// Redis stream entry ids ("<milliseconds>-<sequence>") and their order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mq::queue {

// A stream entry id. Ids order as (ms, seq) pairs, never as strings:
// "9-0" < "10-0" although "9-0" > "10-0" as text.
struct StreamId {
    uint64_t ms = 0;
    uint64_t seq = 0;

    friend bool operator==(const StreamId& a, const StreamId& b) {
        return a.ms == b.ms && a.seq == b.seq;
    }
    friend bool operator!=(const StreamId& a, const StreamId& b) { return !(a == b); }
    friend bool operator<(const StreamId& a, const StreamId& b) {
        return a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq;
    }
    friend bool operator<=(const StreamId& a, const StreamId& b) { return !(b < a); }
    friend bool operator>(const StreamId& a, const StreamId& b) { return b < a; }

    std::string to_string() const;
};

// Parses a full id "ms-seq" (both parts decimal, no sign, no spaces, each
// fitting 64 bits); nullopt for anything else.
std::optional<StreamId> parse_stream_id(std::string_view text);

}  // namespace mq::queue
