// Comparing the two tables by key ranges; see compare.hpp.
#include "move/compare.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include "core/error.hpp"
#include "move/local.hpp"
#include "move/sql.hpp"

namespace mq::move {
namespace {

// Ranges hold about this many rows (more for big tables, so that no more
// than kMaxRanges are cut): small enough that a table differing in 0.1% of
// its rows fetches a few percent of them.
constexpr int64_t kMinRangeRows = 16;
constexpr int64_t kMaxRanges = 32768;
// Ranges hashed per query.
constexpr size_t kRangesPerQuery = 4096;
constexpr const char* kUniqueViolation = "23505";

Row key_of(const MovePlan& plan, const Row& row) {
    Row key;
    for (int column : plan.key) key.push_back(row[column]);
    return key;
}

void append_json_string(std::string* out, const std::string& text) {
    *out += '"';
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            *out += '\\';
            *out += static_cast<char>(c);
        } else if (c < 0x20) {
            char escaped[8];
            snprintf(escaped, sizeof escaped, "\\u%04x", c);
            *out += escaped;
        } else {
            *out += static_cast<char>(c);
        }
    }
    *out += '"';
}

bool json_number(const std::string& text) {
    return !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) ||
                             (text[0] == '-' && text.size() > 1 &&
                              std::isdigit(static_cast<unsigned char>(text[1]))));
}

}  // namespace

const char* kind_name(Difference::Kind kind) {
    switch (kind) {
        case Difference::Kind::kMissing:
            return "missing";
        case Difference::Kind::kExtra:
            return "extra";
        case Difference::Kind::kChanged:
            return "changed";
    }
    return "?";
}

std::string key_json(const MovePlan& plan, const Row& row) {
    std::string json = "{";
    for (size_t i = 0; i < plan.key.size(); ++i) {
        const MoveColumn& column = plan.columns[plan.key[i]];
        const Cell& value = row[plan.key[i]];
        if (i) json += ", ";
        append_json_string(&json, column.name);
        json += ": ";
        if (!value)
            json += "null";
        else if (column.json_boolean)
            json += *value == "t" ? "true" : "false";
        else if (column.json_number && json_number(*value))
            json += *value;
        else
            append_json_string(&json, *value);
    }
    return json + "}";
}

int64_t Comparison::estimated_rows(const std::string& remote_estimate) {
    Rows local = local_rows(
        "SELECT c.reltuples::pg_catalog.int8 FROM pg_catalog.pg_class c "
        "WHERE c.oid = $1::pg_catalog.oid",
        {std::to_string(plan_.target)});
    int64_t rows = std::max<int64_t>(std::stoll(local[0][0].value_or("0")), 0);
    return std::max<int64_t>(rows, std::stoll(remote_estimate));
}

void Comparison::cut_ranges() {
    Rows remote = remote_->query(
        "SELECT c.relrowsecurity, greatest(c.reltuples, 0)::pg_catalog.int8 "
        "FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass(" +
        sql_literal(plan_.remote_sql) + ")");
    if (remote.empty())
        throw Error(sqlstate::kUndefinedTable,
                    "the source's relation " + plan_.remote_sql + " does not exist on \"" +
                        remote_->name() + "\"",
                    "Foreign table \"" + plan_.source_name + "\" names it.");
    if (remote[0][0] == std::string("t"))
        throw Error(sqlstate::kFeatureNotSupported,
                    "the source's relation " + plan_.remote_sql +
                        " has row-level security "
                        "enabled",
                    "Rows its policies hide would be taken for rows to delete from the target.",
                    "Move the table with row-level security disabled on the source.");
    range_rows_ = std::max(kMinRangeRows, estimated_rows(*remote[0][1]) / kMaxRanges + 1);
    remote_->start(cut_query(plan_, Side::kSource, range_rows_));
    Rows local = canonical_rows(cut_query(plan_, Side::kTarget, range_rows_));
    Rows source = remote_->finish();
    Rows merged = canonical_rows(merge_query(plan_, local, source));
    boundaries_.clear();
    for (Row& row : merged) {
        row.resize(plan_.key.size());
        boundaries_.push_back(std::move(row));
    }
}

std::vector<size_t> Comparison::differing_ranges() {
    size_t ranges = range_count();
    target_sums_.assign(ranges, {});
    source_sums_.assign(ranges, {});
    // An empty target (the first sync: the copy) differs wherever the source
    // has rows: hashing the source would only tell which ranges are empty.
    if (local_rows("SELECT NOT EXISTS (SELECT FROM " + plan_.target_sql + ")")[0][0] ==
        std::string("t")) {
        std::vector<size_t> all(ranges);
        for (size_t r = 0; r < ranges; ++r) {
            all[r] = r;
            source_sums_[r].count = range_rows_;
        }
        return all;
    }
    for (size_t first = 0; first < ranges; first += kRangesPerQuery) {
        size_t last = std::min(ranges - 1, first + kRangesPerQuery - 1);
        remote_->start(hash_query(plan_, Side::kSource, boundaries_, first, last));
        Rows local = canonical_rows(hash_query(plan_, Side::kTarget, boundaries_, first, last));
        Rows source = remote_->finish();
        for (auto [rows, sums] :
             {std::make_pair(&local, &target_sums_), std::make_pair(&source, &source_sums_)})
            for (const Row& row : *rows) {
                if (!row[0]) continue;  // a null key (the source's): in no range
                size_t range = std::stoul(*row[0]);
                if (range < first || range > last) continue;
                (*sums)[range] = {std::stoll(*row[1]), row[2].value_or("")};
            }
    }
    std::vector<size_t> differing;
    for (size_t r = 0; r < ranges; ++r)
        if (target_sums_[r].count != source_sums_[r].count ||
            target_sums_[r].hash != source_sums_[r].hash)
            differing.push_back(r);
    return differing;
}

std::vector<std::vector<size_t>> Comparison::chunks(const std::vector<size_t>& ranges,
                                                    int64_t max_rows) const {
    std::vector<std::vector<size_t>> chunks;
    int64_t rows = 0;
    for (size_t range : ranges) {
        int64_t size = std::max(target_sums_[range].count, source_sums_[range].count);
        if (chunks.empty() || (rows > 0 && rows + size > max_rows)) {
            chunks.emplace_back();
            rows = 0;
        }
        chunks.back().push_back(range);
        rows += size;
    }
    return chunks;
}

namespace {

// The ranges of chunk to filter on: none when it is every range between its
// first and last.
std::vector<size_t> wanted_ranges(const std::vector<size_t>& chunk) {
    if (chunk.back() - chunk.front() + 1 == chunk.size()) return {};
    return chunk;
}

}  // namespace

void Comparison::prefetch(const std::vector<size_t>& chunk) {
    remote_->start(rows_query(plan_, Side::kSource, boundaries_, chunk.front(), chunk.back(),
                              wanted_ranges(chunk)));
    prefetched_ = chunk;
}

std::vector<Difference> Comparison::compare(const std::vector<size_t>& chunk) {
    size_t first = chunk.front(), last = chunk.back();
    std::vector<size_t> wanted = wanted_ranges(chunk);
    if (prefetched_ != chunk) prefetch(chunk);
    prefetched_.clear();
    Rows target =
        canonical_rows(rows_query(plan_, Side::kTarget, boundaries_, first, last, wanted));
    Rows source = remote_->finish();
    rows_fetched_ += static_cast<int64_t>(source.size());
    ranges_fetched_ += static_cast<int64_t>(chunk.size());

    // Row texts without the leading range number.
    auto strip = [](Row& row) { row.erase(row.begin()); };
    std::map<Row, Row> source_by_key;
    for (Row& row : source) {
        strip(row);
        Row key = key_of(plan_, row);
        // try_emplace moves the row only when the key is new: a duplicate's
        // row is still whole for the error.
        if (!source_by_key.try_emplace(std::move(key), std::move(row)).second)
            throw Error(kUniqueViolation,
                        "foreign table \"" + plan_.source_name +
                            "\" has more than one row with key " + key_json(plan_, row),
                        "The source's rows must be unique on the target's primary key.");
    }
    std::vector<Difference> differences;
    for (Row& row : target) {
        strip(row);
        auto found = source_by_key.find(key_of(plan_, row));
        if (found == source_by_key.end()) {
            differences.push_back({Difference::Kind::kExtra, {}, std::move(row)});
            continue;
        }
        if (found->second != row)
            differences.push_back(
                {Difference::Kind::kChanged, std::move(found->second), std::move(row)});
        source_by_key.erase(found);
    }
    for (auto& [key, row] : source_by_key)
        differences.push_back({Difference::Kind::kMissing, std::move(row), {}});
    return differences;
}

}  // namespace mq::move
