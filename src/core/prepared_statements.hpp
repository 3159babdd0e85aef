// The named statements one connection to a race target has prepared on its
// server, so that a query raced again is only bound and executed there, not
// parsed and planned every time (the larger part of a primary-key lookup).
//
// Keyed by the query text and its parameter count (parameter types are
// inferred from the text, so the two decide the statement). Bounded: the
// least recently used is forgotten first and its name queued for a
// DEALLOCATE in the connection's next pipeline. A statement's Parse goes out
// in the same pipeline as its first execution; until its outcome is seen it
// is unconfirmed: if the pipeline was read without any error the Parse
// succeeded, otherwise it may or may not exist on the server, so it is
// forgotten and its name deallocated (a DEALLOCATE of a name that does not
// exist fails alone, in a sync segment of its own). A new session (a
// reconnect) has none: clear().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mq {

class PreparedStatements {
public:
    // What a pipeline sends for one query: the statement's name, and whether
    // it must be prepared (Parse) before it is executed.
    struct Use {
        std::string name;
        bool prepare = false;
    };

    // The statement for (text, param_count): an existing one, or a new name
    // to prepare (unconfirmed until confirm() or settle()). Evicts the least
    // recently used beyond capacity. capacity 0 evicts everything and
    // returns an empty name: run the query unprepared.
    Use use(std::string_view text, int param_count, size_t capacity);
    // Whether (text, param_count) has a statement (confirmed or not).
    bool knows(std::string_view text, int param_count) const;
    // The Parse of name succeeded.
    void confirm(const std::string& name);
    // The Parse of name failed: the statement does not exist.
    void drop(const std::string& name);
    // The statement for (text, param_count) must not be used again (its
    // cached plan changed result type, or it vanished): forgotten and
    // deallocated.
    void forget(std::string_view text, int param_count);
    // The pipeline that sent unconfirmed Parses was read to its end without
    // seeing their outcomes: clean (no error at all) confirms them, else
    // they are forgotten and deallocated.
    void settle(bool clean);
    // Up to max names to DEALLOCATE, taken off the queue.
    std::vector<std::string> take_deallocations(size_t max);
    bool has_deallocations() const { return !deallocate_.empty(); }
    // A new session: nothing is prepared and nothing is to deallocate.
    void clear();

    // How many statements exist (or may, while unconfirmed) on the server,
    // not counting those queued for deallocation.
    size_t size() const { return entries_.size(); }

    static constexpr const char* kNamePrefix = "multiquery_race_";

private:
    struct Entry {
        std::string text;
        int param_count;
        std::string name;
        uint64_t used;  // the tick of its last use: the least is evicted first
        bool confirmed;
    };
    void evict(size_t index);
    // The key's own name (a hash of it), or a suffixed one if that is in use.
    std::string fresh_name(std::string_view text, int param_count);

    std::vector<Entry> entries_;
    std::vector<std::string> deallocate_;
    uint64_t tick_ = 0;
    uint64_t next_suffix_ = 1;
};

}  // namespace mq
