#include "core/drain_state.hpp"

namespace mq::queue {

std::string to_string(DrainState state, std::string_view sqlstate) {
    switch (state) {
        case DrainState::kStarting:
            return "starting";
        case DrainState::kRunning:
            return "running";
        case DrainState::kPausedReplicaLag:
            return "paused: replica lag";
        case DrainState::kRedisUnreachable:
            return "redis unreachable";
        case DrainState::kWaitingStandby:
            return "waiting: server is a standby";
        case DrainState::kWaitingExtension:
            return "waiting: extension not created in multiquery.drain_database";
        case DrainState::kRetryingAfterError:
            return "retrying after error " + std::string(sqlstate);
        case DrainState::kStreamBehindProgress:
            return "stream behind drain_progress";
        case DrainState::kStreamTrimmedPastProgress:
            return "stream trimmed past drain_progress";
        case DrainState::kStreamEntriesRemovedUnread:
            return "stream entries removed unread";
        case DrainState::kStopped:
            return "stopped";
    }
    return "unknown";
}

}  // namespace mq::queue
