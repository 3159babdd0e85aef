// Where a drain worker reads a stream from: the committed progress, and
// what the stream says about it; see drain.hpp.
#include "queue/drain.hpp"

#include "pg/guard.hpp"
#include "queue/progress.hpp"
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
    // Only when the group is elsewhere: SETID makes Redis forget the
    // group's lag until it has read to the end of the stream again.
    if (info.group_last_delivered != committed_id)
        redis_->command({"XGROUP", "SETID", s.name, group_, committed});
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
    report_gaps(s, committed_id, info);
    // What is committed is trimmable once the standbys have it.
    uint64_t now_lsn = pg::call([] { return GetXLogInsertRecPtr(); });
    s.unsafe.clear();
    s.unsafe.push_back({now_lsn, committed_id, now_us()});
    s.group_ready = true;
}

void Drain::report_gaps(Stream& s, const StreamId& committed, const StreamInfo& info) {
    std::string problem;
    if (info.last_generated < committed)
        problem = "stream behind drain_progress";
    else if (committed < info.max_deleted && s.trimmed_to < info.max_deleted)
        problem = "stream trimmed past drain_progress";
    if (problem.empty())
        return;
    std::string detail =
        problem == "stream behind drain_progress"
            ? "Redis stream \"" + s.name + "\" ends at " + info.last_generated.to_string() +
                  " but entries up to " + committed.to_string() +
                  " are recorded as applied; entries up to that id are skipped."
            : "Redis stream \"" + s.name + "\" has lost entries after " + committed.to_string() +
                  ", the last one applied here (deleted up to " + info.max_deleted.to_string() +
                  ").";
    status::set_state(s.slot, problem.c_str());
    status::set_error(s.slot, detail.c_str());
    s.show_running = false;  // the problem stays shown until entries flow again
    pg::call([&] {
        ereport(WARNING, (errmsg("multiquery drain: %s", problem.c_str()),
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
    }
    Reply groups = redis_->command({"XINFO", "GROUPS", stream});
    for (size_t g = 0; g < groups.size(); ++g) {
        resp::Value group = groups[g];
        std::string_view name, last;
        for (size_t f = 0; f + 1 < group.size(); f += 2) {
            std::string_view field = group[f].text();
            if (field == "name")
                name = group[f + 1].text();
            else if (field == "last-delivered-id")
                last = group[f + 1].text();
        }
        if (name == group_)
            info.group_last_delivered = parse_stream_id(last).value_or(StreamId{});
    }
    return info;
}

}  // namespace mq::queue
