// Where a drain worker reads a stream from: the committed progress, and
// what the stream says about it; see drain.hpp.
#include "queue/drain.hpp"

#include <algorithm>

#include "pg/guard.hpp"
#include "queue/progress.hpp"
#include "queue/settings.hpp"
#include "queue/status.hpp"

extern "C" {
#include "access/xlog.h"
}

namespace mq::queue {

void Drain::rewind(Stream& s) {
    // Whatever was sent ahead was sent from the old position.
    settle();
    try {
        redis_->command({"XGROUP", "CREATE", s.name, group_, "0", "MKSTREAM"});
    } catch (const RedisError& e) {
        if (!e.is_reply("BUSYGROUP"))
            throw;
    }
    std::string committed = committed_progress(s.name);
    StreamId committed_id = parse_stream_id(committed).value_or(StreamId{});
    StreamInfo info = stream_info(s.name);
    // Only when the group is elsewhere (it was given entries that were not
    // applied). SETID alone makes Redis forget how many entries the group
    // was given, which report_removed_unread needs: it is given back, less
    // the entries after the committed one that the group had.
    int64_t given = info.group_entries_read;  // up to and with committed_id
    if (info.group_last_delivered != committed_id) {
        std::vector<std::string> setid{"XGROUP", "SETID", s.name, group_, committed};
        given = entries_given_up_to(s.name, committed_id, info);
        if (given >= 0) {
            setid.emplace_back("ENTRIESREAD");
            setid.push_back(std::to_string(given));
        }
        redis_->command(setid);
    }
    // Entries left pending by a version that read without NOACK (before
    // 0.4) are acknowledged, all of them: the applied ones are applied, and
    // '>' delivers the others again from the committed id, pending or not.
    while (true) {
        Reply pending = redis_->command({"XPENDING", s.name, group_, "-", "+", "1000"});
        if (!pending.is_array() || pending.size() == 0)
            break;
        std::vector<std::string> ack{"XACK", s.name, group_};
        for (size_t i = 0; i < pending.size(); ++i)
            if (pending[i].is_array() && pending[i].size() > 0)
                ack.emplace_back(pending[i][0].text());
        redis_->command(ack);
        if (pending.size() < 1000)
            break;
    }
    report_gaps(s, committed_id, info, given);
    // What is committed is trimmable once the standbys have it.
    uint64_t now_lsn = pg::call([] { return GetXLogInsertRecPtr(); });
    s.unsafe.clear();
    s.unsafe.push_back({now_lsn, committed_id, now_us()});
    s.group_ready = true;
}

int64_t Drain::entries_given_up_to(const std::string& stream, const StreamId& committed,
                                   const StreamInfo& info) {
    // The group is ahead by what the worker read and did not apply: the
    // batch being applied and at most one read sent ahead. More (a progress
    // row moved back by hand) is not counted: the XRANGE reply holds the
    // entries, and must stay within what a drain holds anyway.
    const int64_t max_counted = 2 * static_cast<int64_t>(drain_batch_size);
    if (info.group_entries_read < 0 || !(committed < info.group_last_delivered))
        return -1;
    Reply range;
    try {
        range = redis_->command({"XRANGE", stream, "(" + committed.to_string(),
                                 info.group_last_delivered.to_string(), "COUNT",
                                 std::to_string(max_counted + 1)});
    } catch (const RedisError& e) {
        if (e.connection_lost())
            throw;
        return -1;  // (an ACL without XRANGE): the rewind goes on without the count
    }
    int64_t after = static_cast<int64_t>(range.size());
    if (!range.is_array() || after > max_counted)
        return -1;
    // Entries the group was given and that are gone since are counted as
    // given: a loss that late is not reported (docs/write_queue.md).
    return std::max<int64_t>(0, info.group_entries_read - after);
}

int64_t Drain::entries_deleted_after(const std::string& stream, const StreamId& committed,
                                     const StreamInfo& info, int64_t given) {
    // Every entry ever added was given to the group up to committed, is
    // still in the stream after it, or was removed after it. The entries
    // after it are counted only up to what a drain holds anyway.
    const int64_t max_counted = 2 * static_cast<int64_t>(drain_batch_size);
    if (info.entries_added < 0 || given < 0)
        return -1;
    Reply range;
    try {
        range = redis_->command({"XRANGE", stream, "(" + committed.to_string(), "+", "COUNT",
                                 std::to_string(max_counted + 1)});
    } catch (const RedisError& e) {
        if (e.connection_lost())
            throw;
        return -1;
    }
    int64_t after = static_cast<int64_t>(range.size());
    if (!range.is_array() || after > max_counted)
        return -1;
    int64_t removed = info.entries_added - given - after;
    return removed > 0 ? removed : -1;
}

void Drain::report_gaps(Stream& s, const StreamId& committed, const StreamInfo& info,
                        int64_t given) {
    DrainState problem;
    if (info.last_generated < committed)
        problem = DrainState::kStreamBehindProgress;
    else if (committed < info.max_deleted && s.trimmed_to < info.max_deleted)
        problem = DrainState::kStreamTrimmedPastProgress;
    else
        return;
    // Entries behind the committed progress were applied: only deleted
    // entries after it are lost unread, counted when Redis can tell how many.
    int64_t removed = problem == DrainState::kStreamTrimmedPastProgress
                          ? entries_deleted_after(s.name, committed, info, given)
                          : -1;
    // Counted once: the group counts them as given from here on, so that
    // report_removed_unread does not find them again once the group has
    // read past them.
    if (removed > 0)
        redis_->command({"XGROUP", "SETID", s.name, group_, committed.to_string(), "ENTRIESREAD",
                         std::to_string(given + removed)});
    std::string lost = removed < 0    ? "entries"
                       : removed == 1 ? "1 entry"
                                      : std::to_string(removed) + " entries";
    std::string message = to_string(problem);
    std::string detail =
        problem == DrainState::kStreamBehindProgress
            ? "Redis stream \"" + s.name + "\" ends at " + info.last_generated.to_string() +
                  " but entries up to " + committed.to_string() +
                  " are recorded as applied; entries up to that id are skipped."
            : "Redis stream \"" + s.name + "\" has lost " + lost + " after " +
                  committed.to_string() + ", the last one applied here (deleted up to " +
                  info.max_deleted.to_string() + ").";
    status::set_state(s.slot, problem);
    status::set_error(s.slot, detail.c_str());
    if (removed > 0)
        status::add_removed_unread(s.slot, removed);
    s.show_running = false;  // the problem stays shown until entries flow again
    pg::call([&] {
        ereport(WARNING, (errmsg("%s", message.c_str()),
                          errdetail_internal("%s", detail.c_str()),
                          errhint("A stream recreated or trimmed by hand: reset its row in "
                                  "multiquery.drain_progress once you know what was applied.")));
    });
}

Drain::StreamInfo Drain::stream_info(const std::string& stream) {
    StreamInfo info;
    Reply reply = redis_->command({"XINFO", "STREAM", stream});
    for (size_t f = 0; f + 1 < reply.size(); f += 2) {
        std::string_view field = reply[f].text();
        std::string_view value = reply[f + 1].text();
        if (field == "last-generated-id")
            info.last_generated = parse_stream_id(value).value_or(StreamId{});
        else if (field == "max-deleted-entry-id")
            info.max_deleted = parse_stream_id(value).value_or(StreamId{});
        else if (field == "entries-added" && reply[f + 1].type() == resp::Type::kInteger)
            info.entries_added = reply[f + 1].integer();
    }
    Reply groups = redis_->command({"XINFO", "GROUPS", stream});
    for (size_t g = 0; g < groups.size(); ++g) {
        resp::Value group = groups[g];
        std::string_view name, last;
        int64_t entries_read = -1, lag = -1;
        for (size_t f = 0; f + 1 < group.size(); f += 2) {
            std::string_view field = group[f].text();
            bool counted = group[f + 1].type() == resp::Type::kInteger;
            if (field == "name")
                name = group[f + 1].text();
            else if (field == "last-delivered-id")
                last = group[f + 1].text();
            else if (field == "entries-read")
                entries_read = counted ? group[f + 1].integer() : -1;
            else if (field == "lag")
                lag = counted ? group[f + 1].integer() : -1;
        }
        if (name == group_) {
            info.group_last_delivered = parse_stream_id(last).value_or(StreamId{});
            info.group_entries_read = entries_read;
            info.group_lag = lag;
        }
    }
    return info;
}

int64_t Drain::report_removed_unread(Stream& s, const StreamInfo& info) {
    // Redis counts every entry added to the stream and every entry given to
    // the group, and only this worker moves the group (its reads, its
    // rewinds), so the group's count cannot change between the two XINFOs.
    // Once the group has been given the stream's last entry, what was added
    // and never given was removed first: trimmed (XTRIM, XADD MAXLEN or
    // MINID) or deleted (XDEL, which Redis 7.0 reports only at a rewind:
    // the count is unknown with entries deleted ahead of the group). Our
    // own trimming removes only entries the group was given.
    if (info.entries_added < 0 || info.group_entries_read < 0 ||
        info.group_last_delivered != info.last_generated ||
        info.entries_added <= info.group_entries_read)
        return 0;
    int64_t removed = info.entries_added - info.group_entries_read;
    std::string last = info.group_last_delivered.to_string();
    // Counted once: from here on the group counts from what the stream holds.
    redis_->command({"XGROUP", "SETID", s.name, group_, last, "ENTRIESREAD",
                     std::to_string(info.entries_added)});
    bool one = removed == 1;
    std::string detail = std::to_string(removed) + (one ? " entry" : " entries") +
                         " of Redis stream \"" + s.name + "\"" +
                         (one ? " was removed before the drain read it"
                              : " were removed before the drain read them") +
                         " (XTRIM, XADD MAXLEN or MINID, or XDEL); the last entry it read is " +
                         last + ".";
    status::set_state(s.slot, DrainState::kStreamEntriesRemovedUnread);
    status::set_error(s.slot, detail.c_str());
    status::add_removed_unread(s.slot, removed);
    s.show_running = false;  // the problem stays shown until entries flow again
    pg::call([&] {
        ereport(WARNING,
                (errmsg("stream entries removed unread"),
                 errdetail_internal("%s", detail.c_str()),
                 errhint("Entries the drain has not applied are lost when a stream is capped "
                         "by its producers or by hand; leave trimming to the drain "
                         "(multiquery.drain_trim).")));
    });
    return removed;
}

}  // namespace mq::queue
