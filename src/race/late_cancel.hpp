// Cancels, between races, the losers a race left to finish
// (multiquery.race_cancel_grace) once their grace is over: without it a
// stalled loser would run on its server until the backend's next race.
//
// A race's end arms a PostgreSQL timeout for the connections draining such a
// loser; if it fires before the next race, its handler sends their cancel
// requests. It runs in a signal handler, so it only makes system calls on
// data prepared when it was armed (where each server listens, each backend's
// key, a file slot reserved per request). The next race's start (and backend
// exit) stops the timeout and hands each request's socket to its connection,
// which then, as after any cancel, takes no new query until the server has
// closed that socket: a late signal can never hit the next query.
#pragma once

namespace mq::race {

// At a race's end, after the cache is trimmed: arms the timeout for every
// cached connection draining a loser left to finish. Never throws.
void arm_late_cancels() noexcept;

// Before anything uses the cache: stops the timeout and gives each request it
// sent to its connection (counted in race_stats.cancels), closing the others.
void settle_late_cancels();

}  // namespace mq::race
