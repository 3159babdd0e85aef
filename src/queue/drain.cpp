// A drain worker's loop turn; see drain.hpp.
#include "queue/drain.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/queue_streams.hpp"
#include "pg/guard.hpp"
#include "queue/apply.hpp"
#include "queue/progress.hpp"
#include "queue/redis_wait.hpp"
#include "queue/settings.hpp"
#include "queue/status.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "commands/extension.h"
#include "utils/snapmgr.h"
}

namespace mq::queue {
namespace {

// How long an idle worker sleeps between polls of its streams.
constexpr long kIdleWaitMs = 50;
// How often the backlog numbers (XPENDING, XINFO GROUPS) are refreshed.
constexpr int64_t kBacklogRefreshUs = 1000000;
// How often the standbys' positions are read to trim applied entries.
constexpr int64_t kTrimIntervalUs = 200000;
// How often the standbys' replay lag is read for drain_replica_lag_limit.
constexpr int64_t kLagCheckIntervalUs = 100000;
// The bytes of entries one read may hold, at least: with 1000 entries of up
// to multiquery.drain_max_entry_size a reply could otherwise take a
// gigabyte. Twice the largest entry, when that is more, so that a reply
// always holds its first entry if that is within the limit.
constexpr size_t kReadBudgetBytes = 8 * 1024 * 1024;

resp::ReadLimits read_limits() {
    size_t max_entry = static_cast<size_t>(drain_max_entry_size);
    return {max_entry, std::max(kReadBudgetBytes, 2 * max_entry)};
}

// One log line in PostgreSQL's shape: what happened, then the details.
void log_message(int level, int sqlerrcode, const std::string& message,
                 const std::string& detail = {}) {
    pg::call([&] {
        ereport(level, (errcode(sqlerrcode), errmsg_internal("%s", message.c_str()),
                        detail.empty() ? 0 : errdetail_internal("%s", detail.c_str())));
    });
}

}  // namespace

Drain::Drain(int worker) : worker_(worker), consumer_("multiquery-" + std::to_string(worker)) {}

void Drain::sync_config(int64_t now_us) {
    bucket_.set_rate(drain_max_rows_per_sec, now_us);
    std::string group = drain_group ? drain_group : "multiquery";
    std::string wanted = drain_streams ? drain_streams : "";
    if (wanted == config_streams_ && group == group_ && !streams_.empty())
        return;
    if (group != group_)
        for (Stream& s : streams_)
            s.group_ready = false;
    group_ = group;
    config_streams_ = wanted;
    // Replies in flight belong to the streams as they were: start over on a
    // new connection rather than match them to streams that moved.
    if (redis_ && redis_->unreceived() > 0)
        forget_redis();
    std::string error;
    auto names = parse_stream_list(wanted, &error).value_or(std::vector<std::string>{});
    std::vector<Stream> next;
    for (const std::string& name : names) {
        if (stream_owner(name, drain_workers) != worker_)
            continue;
        auto old = std::find_if(streams_.begin(), streams_.end(),
                                [&](const Stream& s) { return s.name == name; });
        if (old != streams_.end()) {
            next.push_back(std::move(*old));
        } else {
            Stream s;
            s.name = name;
            s.slot = status::attach(worker_, name.c_str(), MyProcPid);
            next.push_back(std::move(s));
        }
    }
    streams_ = std::move(next);
    std::vector<const char*> keep;
    for (const Stream& s : streams_)
        keep.push_back(s.name.c_str());
    status::detach_others(worker_, keep.data(), static_cast<int>(keep.size()));
}

void Drain::set_all_states(DrainState state) {
    for (Stream& s : streams_)
        status::set_state(s.slot, state);
}

void Drain::forget_redis() {
    redis_.reset();
    for (Stream& s : streams_) {
        s.group_ready = false;  // rewound to the committed progress when back
        s.read_sent = false;
    }
}

void Drain::lose_redis(const RedisError& error, int64_t now_us) {
    forget_redis();
    for (Stream& s : streams_)
        status::set_error(s.slot, error.what());
    set_all_states(DrainState::kRedisUnreachable);
    int64_t delay = redis_backoff_.next_delay_ms();
    redis_retry_at_us_ = now_us + delay * 1000;
    if (redis_backoff_.grew())
        log_message(redis_backoff_.failures() == 1 ? WARNING : LOG,
                    ERRCODE_CONNECTION_FAILURE,
                    "cannot use Redis, retrying in " + std::to_string(delay) + " ms",
                    error.what());
}

bool Drain::ensure_redis(int64_t now_us, long* wait_ms) {
    RedisConfig config = redis_config();
    SentinelConfig sentinel = sentinel_config();
    if (redis_ && !redis_->broken() && redis_config_ == config && redis_sentinel_ == sentinel)
        return true;
    if (redis_) {
        // Broken (a command interrupted half-way, whose batch may have been
        // delivered to us) or reconfigured: start over from the committed
        // progress on a new connection.
        forget_redis();
    }
    if (now_us < redis_retry_at_us_) {
        *wait_ms = std::max<long>(1, static_cast<long>((redis_retry_at_us_ - now_us) / 1000));
        return false;
    }
    try {
        redis_ = connect_master(config, sentinel, latch_waiter());
        redis_config_ = config;
        redis_sentinel_ = sentinel;
    } catch (const RedisError& e) {
        lose_redis(e, now_us);
        *wait_ms = std::max<long>(1, static_cast<long>((redis_retry_at_us_ - now_us) / 1000));
        return false;
    }
    if (redis_backoff_.failures() > 0)
        log_message(LOG, ERRCODE_SUCCESSFUL_COMPLETION, "reached Redis again");
    redis_backoff_.reset();
    // Shown as running once a stream's first read succeeds: a Redis that
    // accepts connections may still refuse commands (LOADING).
    for (Stream& s : streams_)
        s.show_running = true;
    return true;
}

bool Drain::database_ready(int64_t now_us) {
    if (database_ready_)
        return true;
    if (now_us < database_check_at_us_)
        return false;
    database_check_at_us_ = now_us + 1000000;
    bool standby = false, installed = false;
    pg::call([&] {
        StartTransactionCommand();
        standby = RecoveryInProgress();
        installed = OidIsValid(get_extension_oid("multiquery", true));
        CommitTransactionCommand();
    });
    if (standby)
        set_all_states(DrainState::kWaitingStandby);
    else if (!installed)
        set_all_states(DrainState::kWaitingExtension);
    database_ready_ = !standby && installed;
    return database_ready_;
}

std::vector<std::string> Drain::read_command(const Stream& s, int64_t count) const {
    // NOACK: the entries never enter the group's pending list, so there is
    // nothing to acknowledge after the commit. The read position is the
    // committed progress (rewind()), never the pending list: what was read
    // and not committed is read again after a rewind, as before. Redis does
    // a fifth of the work for such a read, and no XACK.
    return {"XREADGROUP", "GROUP", group_, consumer_, "COUNT", std::to_string(count),
            "NOACK", "STREAMS", s.name, ">"};
}

void Drain::settle() {
    // A read whose reply is dropped delivered entries to us that '>' will
    // not deliver again: its stream is rewound before it reads again.
    for (Stream& s : streams_) {
        if (s.read_sent)
            s.group_ready = false;
        s.read_sent = false;
    }
    while (redis_ && redis_->unreceived() > 0) {
        try {
            redis_->receive();
        } catch (const RedisError& e) {
            if (e.connection_lost())
                throw;
        }
    }
}

int64_t Drain::drain_stream(Stream& s, int64_t count) {
    // The read position is PostgreSQL's committed progress, not the group's:
    // after a restart, a failure or a failover, reading goes on from there.
    if (!s.group_ready)
        rewind(s);
    if (s.read_cap > 0)
        count = std::min(count, s.read_cap);
    Reply reply;
    if (s.read_sent) {
        // Sent while the previous batch was applied: Redis built this reply
        // meanwhile. Replies come in the order of the commands, so it is
        // the oldest one awaited (pipelining is for a worker with one stream).
        s.read_sent = false;
        reply = redis_->receive();
    } else {
        reply = redis_->command(read_command(s, count));
    }
    // The entries are views into the reply's bytes: the batch holds both
    // until apply_batch has returned.
    StreamBatch batch = stream_batch(std::move(reply));
    size_t judgeable = judgeable_entries(batch);
    if (must_read_again(batch, judgeable)) {
        // The reply went over its byte budget: the entries after the last
        // one held are read again, from the committed progress, by reads
        // asking for no more than this one held.
        batch.entries.resize(judgeable);
        s.group_ready = false;
        s.read_cap = static_cast<int64_t>(std::max<size_t>(judgeable, 1));
    } else if (s.read_cap > 0 && static_cast<int64_t>(batch.entries.size()) >= count) {
        s.read_cap = s.read_cap * 2 >= drain_batch_size ? 0 : s.read_cap * 2;
    }
    const std::vector<StreamEntry>& entries = batch.entries;
    if (s.show_running) {
        status::set_state(s.slot, DrainState::kRunning);
        s.show_running = false;
    }
    if (entries.empty())
        return 0;

    // A full batch from a backlog: the next read is sent now, and Redis
    // builds its reply while this batch is applied. Entries it delivers are
    // applied by the next turn, or re-read after a rewind if anything fails
    // first (settle()); only without a throttle, whose allowance decides the
    // next read's size, and with one stream, whose replies alone are awaited.
    if (streams_.size() == 1 && drain_max_rows_per_sec <= 0 && s.group_ready &&
        static_cast<int64_t>(entries.size()) >= count) {
        redis_->send(read_command(s, s.read_cap > 0 ? s.read_cap : drain_batch_size));
        s.read_sent = true;
    }

    s.applying_from = entries.front().id;
    int failed_before = s.failing_from == s.applying_from ? s.failed_attempts : 0;
    bool isolate = failed_before >= drain_max_attempts;
    BatchResult result = apply_batch(s.name, entries, isolate, failed_before + 1);
    s.applying_from.clear();
    s.failing_from.clear();
    s.failed_attempts = 0;
    remember_commit(s, result);

    bucket_.charge(result.rows, now_us());
    status::add_applied(s.slot, result.applied, result.rows, result.skipped, result.dead_letters,
                        result.last_id.c_str());
    status::set_state(s.slot, DrainState::kRunning);
    s.backoff.reset();
    return static_cast<int64_t>(entries.size());
}

void Drain::remember_commit(Stream& s, const BatchResult& result) {
    auto last = parse_stream_id(result.last_id);
    if (result.commit_lsn == 0 || !last)
        return;
    // Bounded however long the standbys lag: the newest two points merge,
    // which only makes the newest wait for the later LSN.
    if (s.unsafe.size() >= kMaxUnsafePoints)
        s.unsafe.pop_back();
    s.unsafe.push_back({result.commit_lsn, *last, now_us()});
}

bool Drain::replicas_behind(int64_t now_us) {
    int64_t limit_bytes = static_cast<int64_t>(drain_replica_lag_limit_kb) * 1024;
    if (limit_bytes <= 0) {
        replicas_behind_ = false;
        return false;
    }
    if (now_us < lag_check_at_us_)
        return replicas_behind_;
    lag_check_at_us_ = now_us + kLagCheckIntervalUs;
    bool was_behind = replicas_behind_;
    replicas_behind_ = replica_lag_bytes() > limit_bytes;
    if (was_behind && !replicas_behind_)
        set_all_states(DrainState::kRunning);
    return replicas_behind_;
}

void Drain::trim(int64_t now_us) {
    if (!drain_trim || now_us < trim_at_us_)
        return;
    trim_at_us_ = now_us + kTrimIntervalUs;
    bool any = std::any_of(streams_.begin(), streams_.end(),
                           [](const Stream& s) { return s.group_ready && !s.unsafe.empty(); });
    if (!any)
        return;
    uint64_t safe_lsn = replication_safe_lsn();
    int64_t old_enough = now_us - static_cast<int64_t>(drain_trim_delay_ms) * 1000;
    for (size_t i = 0; i < streams_.size(); ++i) {
        Stream& s = streams_[i];
        std::optional<StreamId> upto;
        while (s.group_ready && !s.unsafe.empty() && s.unsafe.front().commit_lsn <= safe_lsn &&
               s.unsafe.front().committed_us <= old_enough) {
            upto = s.unsafe.front().last;
            s.unsafe.pop_front();
        }
        if (!upto || !(s.trimmed_to < *upto))
            continue;
        // MINID removes the entries below it: everything up to and with upto.
        StreamId below{upto->ms, upto->seq + 1};
        working_ = static_cast<int>(i);
        redis_->command({"XTRIM", s.name, "MINID", below.to_string()});
        working_ = -1;
        s.trimmed_to = *upto;
        status::set_trimmed(s.slot, upto->to_string().c_str());
    }
}

void Drain::refresh_backlog(Stream& s, int64_t now_us) {
    if (now_us < s.stats_at_us || !s.group_ready)
        return;
    s.stats_at_us = now_us + kBacklogRefreshUs;
    int64_t pending = -1;
    Reply summary = redis_->command({"XPENDING", s.name, group_});
    if (summary[0].type() == resp::Type::kInteger)
        pending = summary[0].integer();
    StreamInfo info = stream_info(s.name);
    int64_t removed = report_removed_unread(s, info);
    status::set_backlog(s.slot, pending, info.group_lag < 0 ? -1 : info.group_lag - removed);
}

long Drain::run_once() {
    working_ = -1;
    int64_t now = now_us();
    sync_config(now);
    long wait_ms = kIdleWaitMs;
    // The database first: a server whose drain database lacks the extension
    // (it preloads the library for other reasons) never bothers Redis.
    if (!database_ready(now))
        return 1000;
    if (!ensure_redis(now, &wait_ms))
        return wait_ms;
    // Any reply (XINFO STREAM's carries entries too) holds an entry over
    // the limit only by its first bytes: the rest streams past.
    redis_->set_read_limits(read_limits());
    // The heavy writer yields to replay: the standbys' reads stay fast.
    if (replicas_behind(now)) {
        set_all_states(DrainState::kPausedReplicaLag);
        return kLagCheckIntervalUs / 1000;
    }

    bool worked = false, throttled = false;
    try {
        for (size_t i = 0; i < streams_.size(); ++i) {
            Stream& s = streams_[i];
            if (now < s.retry_at_us) {
                wait_ms = std::min<long>(wait_ms, (s.retry_at_us - now) / 1000 + 1);
                continue;
            }
            int64_t allowed = bucket_.allowance(drain_batch_size, now_us());
            if (allowed == 0) {
                throttled = true;
                break;
            }
            current_ = working_ = static_cast<int>(i);
            worked |= drain_stream(s, allowed) > 0;
            current_ = -1;
            refresh_backlog(s, now_us());
            working_ = -1;
        }
        trim(now_us());
    } catch (const RedisError& e) {
        // A replica since a failover (READONLY) or a restarting Redis
        // (LOADING) is an unavailable master: found again, with backoff.
        if (master_unavailable(e)) {
            working_ = -1;  // Redis as a whole, not the stream
            lose_redis(e, now_us());
            return kIdleWaitMs;
        }
        throw;  // an error reply: the stream backs off, via failed()
    }
    current_ = -1;
    if (worked)
        return 0;
    if (throttled)
        return std::max<long>(1, static_cast<long>(bucket_.wait_us(now_us()) / 1000));
    return std::max<long>(1, wait_ms);
}

const char* Drain::working_stream() const noexcept {
    if (working_ < 0 || working_ >= static_cast<int>(streams_.size()))
        return nullptr;
    return streams_[static_cast<size_t>(working_)].name.c_str();
}

void Drain::failed(const char* sqlstate, const char* message) noexcept {
    working_ = -1;
    try {
        database_ready_ = false;  // the extension may be gone; look again
        database_check_at_us_ = 0;
        int64_t now = now_us();
        if (current_ < 0 || current_ >= static_cast<int>(streams_.size())) {
            for (Stream& s : streams_)
                status::set_error(s.slot, message);
            return;
        }
        Stream& s = streams_[current_];
        current_ = -1;
        // Rewound to the committed progress: the batch is read again, and
        // the error may be NOGROUP after the stream was deleted.
        s.group_ready = false;
        if (!s.applying_from.empty() && s.applying_from == s.failing_from) {
            ++s.failed_attempts;
        } else {
            s.failing_from = s.applying_from;
            s.failed_attempts = 1;
        }
        s.applying_from.clear();
        int64_t delay = s.backoff.next_delay_ms();
        s.retry_at_us = now + delay * 1000;
        status::set_error(s.slot, message);
        status::set_state(s.slot, DrainState::kRetryingAfterError, sqlstate);
    } catch (...) {
        // Nothing to do: the status is only informative.
    }
}

void Drain::stopped() noexcept {
    try {
        status::set_worker_state(worker_, DrainState::kStopped, true);
    } catch (...) {
    }
}

}  // namespace mq::queue
