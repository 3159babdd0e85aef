// Applying differences to the target; see apply.hpp.
#include "move/apply.hpp"

#include <algorithm>

#include "move/sql.hpp"

namespace mq::move {
namespace {

std::string cast(const MoveColumn& column, const std::string& value) {
    return "CAST(" + value + " AS " + column.type_sql + ")";
}

std::string param(int number) { return "$" + std::to_string(number); }

// The key, then every column still as compared: the compare-and-set.
std::string unchanged_condition(const MovePlan& plan, int first_param) {
    std::string where;
    int number = first_param;
    for (int k : plan.key)
        where += (where.empty() ? "" : " AND ") + ("t." + plan.columns[k].local_sql) + " = " +
                 cast(plan.columns[k], param(number++));
    for (const MoveColumn& column : plan.columns) {
        std::string value = param(number++);
        where +=
            " AND " +
            (column.has_equality
                 ? "t." + column.local_sql + " IS NOT DISTINCT FROM " + cast(column, value)
                 : "t." + column.local_sql + "::pg_catalog.text IS NOT DISTINCT FROM " + value);
    }
    return where;
}

}  // namespace

Writer::Writer(const MovePlan& plan, bool deletes) : plan_(plan), deletes_(deletes) {
    for (size_t i = 0; i < plan.columns.size(); ++i) {
        if (plan.columns[i].generated) continue;
        written_.push_back(static_cast<int>(i));
        if (std::find(plan.key.begin(), plan.key.end(), static_cast<int>(i)) == plan.key.end())
            set_.push_back(static_cast<int>(i));
    }
    std::string names, values, unnested, aliases;
    for (size_t i = 0; i < written_.size(); ++i) {
        const MoveColumn& column = plan.columns[written_[i]];
        std::string alias = "x.c" + std::to_string(i + 1);
        names += (i ? ", " : "") + column.local_sql;
        // An array column travels as text[] (an array of arrays would flatten).
        values += (i ? ", " : "") + (column.is_array ? cast(column, alias) : alias);
        unnested += (i ? ", " : "") + ("pg_catalog.unnest(" + param(static_cast<int>(i) + 1) + ")");
        aliases += (i ? ", c" : "c") + std::to_string(i + 1);
    }
    inserter_.prepare(plan, written_,
                      "INSERT INTO " + plan.target_sql + " (" + names + ")" +
                          (plan.identity_always ? " OVERRIDING SYSTEM VALUE" : "") + " SELECT " +
                          values + " FROM ROWS FROM (" + unnested + ") AS x (" + aliases +
                          ") ON CONFLICT DO NOTHING");
    int key_and_old = static_cast<int>(plan.key.size() + plan.columns.size());
    if (!set_.empty()) {
        std::string assignments;
        for (size_t i = 0; i < set_.size(); ++i)
            assignments += (i ? ", " : "") + plan.columns[set_[i]].local_sql + " = " +
                           cast(plan.columns[set_[i]], param(static_cast<int>(i) + 1));
        update_.prepare("UPDATE " + plan.target_sql + " AS t SET " + assignments + " WHERE " +
                            unchanged_condition(plan, static_cast<int>(set_.size()) + 1),
                        static_cast<int>(set_.size()) + key_and_old);
    }
    if (deletes_)
        delete_.prepare(
            "DELETE FROM " + plan.target_sql + " AS t WHERE " + unchanged_condition(plan, 1),
            key_and_old);
}

std::vector<Cell> Writer::key_params(const Row& row) const {
    std::vector<Cell> params;
    for (int k : plan_.key) params.push_back(row[k]);
    return params;
}

std::vector<Cell> Writer::old_params(const Row& row) const {
    std::vector<Cell> params = key_params(row);
    params.insert(params.end(), row.begin(), row.end());
    return params;
}

void Writer::insert(const std::vector<const Row*>& rows, Applied* applied) {
    if (rows.empty()) return;
    auto inserted = static_cast<int64_t>(inserter_.run(rows));
    applied->inserted += inserted;
    applied->skipped += static_cast<int64_t>(rows.size()) - inserted;
}

Applied Writer::apply(const std::vector<Difference>& differences) {
    Applied applied;
    std::vector<const Row*> missing;
    for (const Difference& difference : differences) {
        switch (difference.kind) {
            case Difference::Kind::kMissing:
                missing.push_back(&difference.source);
                break;
            case Difference::Kind::kChanged: {
                if (!update_.prepared()) {
                    ++applied.skipped;
                    break;
                }
                std::vector<Cell> params;
                for (int column : set_) params.push_back(difference.source[column]);
                std::vector<Cell> old = old_params(difference.target);
                params.insert(params.end(), old.begin(), old.end());
                if (update_.run(params) == 1)
                    ++applied.updated;
                else
                    ++applied.skipped;
                break;
            }
            case Difference::Kind::kExtra:
                if (!deletes_) break;
                if (delete_.run(old_params(difference.target)) == 1)
                    ++applied.deleted;
                else
                    ++applied.skipped;
                break;
        }
    }
    insert(missing, &applied);
    return applied;
}

void Writer::set_sequences() {
    for (const std::string& statement : plan_.sequences) local_rows(statement);
}

}  // namespace mq::move
