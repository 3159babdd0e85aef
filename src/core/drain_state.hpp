// What a drain worker is doing with one stream: the state column of the
// multiquery.drain_status view. The code passes and compares these values;
// only the view turns them into its text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mq::queue {

enum class DrainState : uint8_t {
    kStarting,                    // the worker took the stream, has not read it yet
    kRunning,                     // reading and applying
    kPausedReplicaLag,            // the standbys are behind multiquery.drain_replica_lag_limit
    kRedisUnreachable,            // no Redis master to read from; retrying with backoff
    kWaitingStandby,              // the server is a standby: nothing may be written
    kWaitingExtension,            // the extension is not created in multiquery.drain_database
    kRetryingAfterError,          // a batch failed; shown with the error's SQLSTATE
    kStreamBehindProgress,        // the stream ends before the progress recorded as applied
    kStreamTrimmedPastProgress,   // entries after the applied progress were deleted
    kStreamEntriesRemovedUnread,  // entries were removed before the drain read them
    kStopped,                     // the worker exited
};

// The text drain_status.state shows. For kRetryingAfterError, sqlstate (the
// failed batch's five-character SQLSTATE) follows it; other states ignore it.
std::string to_string(DrainState state, std::string_view sqlstate = {});

}  // namespace mq::queue
