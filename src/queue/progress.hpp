// What PostgreSQL knows about a stream's progress, read outside the batch
// transaction: the committed read position, and how far the standbys have
// the commits (which decides what Redis may forget).
#pragma once

#include <cstdint>
#include <string>

namespace mq::queue {

// The last entry id committed in multiquery.drain_progress for stream, or
// "0-0". The drain reads on from there after any restart or failure, so that
// a promoted standby re-applies what the old primary applied but never
// replicated (Redis' own consumer-group position may be ahead of it).
std::string committed_progress(const std::string& stream);

// The WAL position up to which commits are safe everywhere a promoted server
// could come from: flushed locally, on every connected standby, and kept by
// every physical replication slot (a stopped standby's included).
uint64_t replication_safe_lsn();

// How many bytes of WAL the standby furthest behind has yet to replay: the
// primary's current position minus each connected standby's replay position
// and each physical slot's restart position (a standby that is down but
// holds a slot). -1 when the primary knows of no standby.
int64_t replica_lag_bytes();
// The query behind replica_lag_bytes (one text value, NULL for no standby),
// for callers that run it inside a transaction of their own.
extern const char* const kReplicaLagQuery;

}  // namespace mq::queue
