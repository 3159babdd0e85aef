// A drain worker's loop turn; see drain.hpp.
#include "queue/drain.hpp"

#include <algorithm>
#include <chrono>

#include "core/queue_streams.hpp"
#include "pg/guard.hpp"
#include "queue/apply.hpp"
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

void log_message(int level, const std::string& message) {
    pg::call([&] { ereport(level, (errmsg_internal("%s", message.c_str()))); });
}

}  // namespace

int64_t monotonic_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Drain::Drain(int worker) : worker_(worker), consumer_("multiquery-" + std::to_string(worker)) {}

void Drain::sync_config(int64_t now_us) {
    bucket_.set_rate(drain_max_rows_per_sec, now_us);
    std::string group = drain_group ? drain_group : "multiquery";
    std::string wanted = drain_streams ? drain_streams : "";
    if (wanted == config_streams_ && group == group_ && !streams_.empty())
        return;
    if (group != group_)
        for (Stream& s : streams_) {
            s.group_ready = false;
            s.recovering = true;
            s.claim_cursor = "0-0";
        }
    group_ = group;
    config_streams_ = wanted;
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

void Drain::set_all_states(const char* state) {
    for (Stream& s : streams_)
        status::set_state(s.slot, state);
}

void Drain::lose_redis(const RedisError& error, int64_t now_us) {
    redis_.reset();
    for (Stream& s : streams_) {
        s.group_ready = false;
        s.recovering = true;  // whatever was read but not acknowledged comes back
        s.claim_cursor = "0-0";
        status::set_error(s.slot, error.what());
    }
    set_all_states("redis unreachable");
    int64_t delay = redis_backoff_.next_delay_ms();
    redis_retry_at_us_ = now_us + delay * 1000;
    if (redis_backoff_.grew())
        log_message(redis_backoff_.failures() == 1 ? WARNING : LOG,
                    "multiquery drain worker " + std::to_string(worker_) +
                        ": Redis unreachable, retrying in " + std::to_string(delay) +
                        " ms: " + error.what());
}

bool Drain::ensure_redis(int64_t now_us, long* wait_ms) {
    RedisConfig config = redis_config();
    if (redis_ && !redis_->broken() && redis_->config() == config)
        return true;
    if (redis_) {
        // Broken (a command interrupted half-way, whose batch may have been
        // delivered to us) or reconfigured: start over from the pending
        // entries on a new connection.
        redis_.reset();
        for (Stream& s : streams_) {
            s.group_ready = false;
            s.recovering = true;
            s.claim_cursor = "0-0";
        }
    }
    if (now_us < redis_retry_at_us_) {
        *wait_ms = std::max<long>(1, static_cast<long>((redis_retry_at_us_ - now_us) / 1000));
        return false;
    }
    try {
        redis_ = RedisClient::connect(config, latch_waiter());
    } catch (const RedisError& e) {
        lose_redis(e, now_us);
        *wait_ms = std::max<long>(1, static_cast<long>((redis_retry_at_us_ - now_us) / 1000));
        return false;
    }
    if (redis_backoff_.failures() > 0)
        log_message(LOG, "multiquery drain worker " + std::to_string(worker_) +
                             ": connected to Redis again");
    redis_backoff_.reset();
    set_all_states("running");
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
        set_all_states("waiting: server is a standby");
    else if (!installed)
        set_all_states("waiting: extension not created in multiquery.drain_database");
    database_ready_ = !standby && installed;
    return database_ready_;
}

int64_t Drain::drain_stream(Stream& s, int64_t count) {
    if (!s.group_ready) {
        try {
            redis_->command({"XGROUP", "CREATE", s.name, group_, "0", "MKSTREAM"});
        } catch (const RedisError& e) {
            if (!e.is_reply("BUSYGROUP"))
                throw;
        }
        s.group_ready = true;
    }
    std::vector<StreamEntry> entries;
    bool more = false;
    std::string n = std::to_string(count);
    if (s.recovering) {
        // XAUTOCLAIM with no idle minimum takes every pending entry of the
        // group, ours from before a crash and those of consumers that are
        // gone, in id order: all of them are applied (or skipped) before any
        // new entry, which is what keeps the stream's order.
        Reply reply = redis_->command(
            {"XAUTOCLAIM", s.name, group_, consumer_, "0", s.claim_cursor, "COUNT", n});
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2) {
            s.claim_cursor = reply_text(reply->element[0]);
            entries = reply_entries(reply->element[1]);
        } else {
            s.claim_cursor = "0-0";
        }
        if (s.claim_cursor == "0-0")
            s.recovering = false;
        more = true;
    } else {
        Reply reply = redis_->command(
            {"XREADGROUP", "GROUP", group_, consumer_, "COUNT", n, "STREAMS", s.name, ">"});
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1) {
            const redisReply* stream = reply->element[0];
            if (stream->type == REDIS_REPLY_ARRAY && stream->elements >= 2)
                entries = reply_entries(stream->element[1]);
        }
    }
    if (entries.empty())
        return more ? 1 : 0;

    BatchResult result = apply_batch(s.name, entries);

    std::vector<std::string> ack{"XACK", s.name, group_};
    for (const StreamEntry& e : entries)
        ack.push_back(e.id);
    try {
        redis_->command(ack);
    } catch (const RedisError& e) {
        // Committed but not acknowledged: the entries come back and are skipped.
        s.recovering = true;
        s.claim_cursor = "0-0";
        throw;
    }
    bucket_.charge(result.rows, monotonic_us());
    status::add_applied(s.slot, result.applied, result.rows, result.skipped, result.dead_letters,
                        result.last_id.c_str());
    status::set_state(s.slot, "running");
    s.backoff.reset();
    return static_cast<int64_t>(entries.size());
}

void Drain::refresh_backlog(Stream& s, int64_t now_us) {
    if (now_us < s.stats_at_us || !s.group_ready)
        return;
    s.stats_at_us = now_us + kBacklogRefreshUs;
    int64_t pending = -1, lag = -1;
    Reply summary = redis_->command({"XPENDING", s.name, group_});
    if (summary->type == REDIS_REPLY_ARRAY && summary->elements >= 1 &&
        summary->element[0]->type == REDIS_REPLY_INTEGER)
        pending = summary->element[0]->integer;
    Reply groups = redis_->command({"XINFO", "GROUPS", s.name});
    for (size_t g = 0; groups->type == REDIS_REPLY_ARRAY && g < groups->elements; ++g) {
        const redisReply* info = groups->element[g];
        if (info->type != REDIS_REPLY_ARRAY)
            continue;
        bool ours = false;
        int64_t group_lag = -1;
        for (size_t f = 0; f + 1 < info->elements; f += 2) {
            std::string field = reply_text(info->element[f]);
            if (field == "name")
                ours = reply_text(info->element[f + 1]) == group_;
            else if (field == "lag" && info->element[f + 1]->type == REDIS_REPLY_INTEGER)
                group_lag = info->element[f + 1]->integer;
        }
        if (ours)
            lag = group_lag;
    }
    status::set_backlog(s.slot, pending, lag);
}

long Drain::run_once() {
    int64_t now = monotonic_us();
    sync_config(now);
    long wait_ms = kIdleWaitMs;
    // The database first: a server whose drain database lacks the extension
    // (it preloads the library for other reasons) never bothers Redis.
    if (!database_ready(now))
        return 1000;
    if (!ensure_redis(now, &wait_ms))
        return wait_ms;

    bool worked = false, throttled = false;
    try {
        for (size_t i = 0; i < streams_.size(); ++i) {
            Stream& s = streams_[i];
            if (now < s.retry_at_us) {
                wait_ms = std::min<long>(wait_ms, (s.retry_at_us - now) / 1000 + 1);
                continue;
            }
            int64_t allowed = bucket_.allowance(drain_batch_size, monotonic_us());
            if (allowed == 0) {
                throttled = true;
                break;
            }
            current_ = static_cast<int>(i);
            worked |= drain_stream(s, allowed) > 0;
            current_ = -1;
            refresh_backlog(s, monotonic_us());
        }
    } catch (const RedisError& e) {
        if (e.connection_lost()) {
            lose_redis(e, monotonic_us());
            return kIdleWaitMs;
        }
        throw;  // an error reply: the stream backs off, via failed()
    }
    current_ = -1;
    if (worked)
        return 0;
    if (throttled)
        return std::max<long>(1, static_cast<long>(bucket_.wait_us(monotonic_us()) / 1000));
    return std::max<long>(1, wait_ms);
}

void Drain::failed(const char* sqlstate, const char* message) noexcept {
    try {
        database_ready_ = false;  // the extension may be gone; look again
        database_check_at_us_ = 0;
        int64_t now = monotonic_us();
        if (current_ < 0 || current_ >= static_cast<int>(streams_.size())) {
            for (Stream& s : streams_)
                status::set_error(s.slot, message);
            return;
        }
        Stream& s = streams_[current_];
        current_ = -1;
        s.recovering = true;  // the batch is still pending in Redis
        s.claim_cursor = "0-0";
        s.group_ready = false;  // the error may be NOGROUP after the stream was deleted
        int64_t delay = s.backoff.next_delay_ms();
        s.retry_at_us = now + delay * 1000;
        status::set_error(s.slot, message);
        std::string state = std::string("retrying after error ") + sqlstate;
        status::set_state(s.slot, state.c_str());
    } catch (...) {
        // Nothing to do: the status is only informative.
    }
}

void Drain::stopped() noexcept {
    try {
        status::set_worker_state(worker_, "stopped", true);
    } catch (...) {
    }
}

}  // namespace mq::queue
