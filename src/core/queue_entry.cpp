// Entry checking; see queue_entry.hpp.
#include "core/queue_entry.hpp"

#include <cerrno>
#include <cstdlib>

#include "core/sqlstate.hpp"

namespace mq::queue {
namespace {

std::optional<EntryContent> refuse(EntryProblem* problem, const char* sqlstate,
                                   std::string message) {
    problem->sqlstate = sqlstate;
    problem->message = std::move(message);
    return std::nullopt;
}

}  // namespace

namespace {

// A dead letter's id as retry_of carries it: a positive decimal bigint.
std::optional<long long> letter_id(std::string_view value) {
    // strtoll needs a terminated string; retry_of is rare.
    std::string text(value);
    errno = 0;
    char* end = nullptr;
    long long id = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || id <= 0)
        return std::nullopt;
    return id;
}

}  // namespace

bool is_payload_field(std::string_view name) {
    return name == "table" || name == "row" || name == "rows";
}

std::optional<long long> entry_retry_of(const EntryFields& fields) {
    std::optional<long long> found;
    for (const auto& [name, value] : fields) {
        if (name != "retry_of")
            continue;
        if (found)
            return std::nullopt;
        found = letter_id(value);
        if (!found)
            return std::nullopt;
    }
    return found;
}

std::optional<EntryContent> read_entry(const EntryFields& fields, size_t max_bytes,
                                       KeySets* key_sets, EntryProblem* problem) {
    EntryContent content;
    bool have_table = false, have_json = false;
    size_t total = 0;
    for (const auto& [name, value] : fields) {
        total += name.size() + value.size();
        if (name == "table" || name == "row" || name == "rows" || name == "retry_of") {
            bool is_json = name == "row" || name == "rows";
            if ((name == "table" && have_table) || (is_json && have_json) ||
                (name == "retry_of" && content.retry_of))
                return refuse(problem, mq::sqlstate::kInvalidParameterValue,
                              is_json ? "entry has more than one of the fields \"row\" and \"rows\""
                                      : "entry has the field \"" + std::string(name) +
                                            "\" more than once");
            if (name == "table") {
                have_table = true;
                content.table = value;
            } else if (is_json) {
                have_json = true;
                content.json = value;
                content.many = name == "rows";
            } else {
                content.retry_of = letter_id(value);
                if (!content.retry_of)
                    return refuse(problem, mq::sqlstate::kInvalidParameterValue,
                                  "entry has an invalid \"retry_of\" field");
            }
        }
    }
    if (max_bytes > 0 && total > max_bytes) {
        *problem = oversize_entry(total, max_bytes);
        return std::nullopt;
    }
    if (!have_table)
        return refuse(problem, mq::sqlstate::kInvalidParameterValue,
                      "entry has no \"table\" field");
    if (!have_json)
        return refuse(problem, mq::sqlstate::kInvalidParameterValue,
                      "entry has neither a \"row\" nor a \"rows\" field");
    if (content.table.empty())
        return refuse(problem, mq::sqlstate::kInvalidParameterValue,
                      "entry has an empty \"table\" field");
    std::string error;
    if (!scan_json_rows(content.json, content.many, key_sets, &content.rows, &error))
        return refuse(problem, mq::sqlstate::kInvalidTextRepresentation,
                      std::string("invalid JSON in the \"") + (content.many ? "rows" : "row") +
                          "\" field: " + error);
    return content;
}

EntryProblem unholdable_entry() {
    return {mq::sqlstate::kProgramLimitExceeded,
            "entry has more names and values than one read of the drain can hold"};
}

EntryProblem oversize_entry(size_t bytes, size_t max_bytes) {
    return {mq::sqlstate::kProgramLimitExceeded,
            "entry is " + std::to_string(bytes) + " bytes, more than "
            "multiquery.drain_max_entry_size (" + std::to_string(max_bytes) + " bytes)"};
}

std::string detail_naming_table(const std::string& message, const std::string& detail,
                                const std::string& qualified_name, const std::string& relname) {
    if (message.find(qualified_name) != std::string::npos ||
        message.find("\"" + relname + "\"") != std::string::npos)
        return detail;
    std::string named = "The entry is for table " + qualified_name + ".";
    return detail.empty() ? named : detail + "\n" + named;
}

}  // namespace mq::queue
