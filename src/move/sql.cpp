// The SQL text of a table move's reads; see sql.hpp.
#include "move/sql.hpp"

#include "core/sql_quote.hpp"

namespace mq::move {
namespace {

constexpr const char* kCollateC = " COLLATE pg_catalog.\"C\"";

const std::string& column_name(const MoveColumn& column, Side side) {
    return side == Side::kTarget ? column.local_sql : column.remote_sql;
}

// The column as a value of the target's type (the source casts built-in
// types; other types travel as text).
std::string typed(const MoveColumn& column, Side side) {
    std::string name = "t." + column_name(column, side);
    if (side == Side::kTarget) return name;
    return column.portable ? "CAST(" + name + " AS " + column.type_sql + ")" : name;
}

std::string text_of(const MoveColumn& column, Side side) {
    return "(" + typed(column, side) + ")::pg_catalog.text";
}

// How a key column orders: by its type in "C" collation, or by its text.
std::string order_of(const MoveColumn& column, Side side) {
    if (!column.portable) return text_of(column, side) + kCollateC;
    return typed(column, side) + (column.collatable ? kCollateC : "");
}

std::string key_order(const MovePlan& plan, Side side) {
    if (plan.key.size() == 1) return order_of(plan.columns[plan.key[0]], side);
    std::string row = "ROW(";
    for (size_t i = 0; i < plan.key.size(); ++i)
        row += (i ? ", " : "") + order_of(plan.columns[plan.key[i]], side);
    return row + ")";
}

std::string key_literal(const MoveColumn& column, const Cell& value) {
    std::string literal = sql_literal(value.value_or(""));
    if (!column.portable) return "CAST(" + literal + " AS pg_catalog.text)" + kCollateC;
    return "CAST(" + literal + " AS " + column.type_sql + ")" +
           (column.collatable ? kCollateC : "");
}

std::string bound(const MovePlan& plan, const Row& key) {
    if (plan.key.size() == 1) return key_literal(plan.columns[plan.key[0]], key[0]);
    std::string row = "ROW(";
    for (size_t i = 0; i < plan.key.size(); ++i)
        row += (i ? ", " : "") + key_literal(plan.columns[plan.key[i]], key[i]);
    return row + ")";
}

// The thresholds between the ranges of [first, last], for width_bucket.
std::string thresholds(const MovePlan& plan, const Rows& boundaries, size_t first, size_t last) {
    if (plan.key.size() == 1) {
        const MoveColumn& column = plan.columns[plan.key[0]];
        std::vector<const Cell*> cells;
        for (size_t b = first; b < last; ++b) cells.push_back(&boundaries[b][0]);
        std::string type = column.portable ? column.type_sql : "pg_catalog.text";
        return "CAST(" + sql_literal(array_literal(cells)) + " AS " + type + "[])";
    }
    std::string array = "ARRAY[";
    for (size_t b = first; b < last; ++b)
        array += (b > first ? ", " : "") + bound(plan, boundaries[b]);
    return array + "]";
}

// The range of each row of [first, last] (offset from first), and the
// condition that keeps the scan to them.
std::string range_of_row(const MovePlan& plan, Side side, const Rows& boundaries, size_t first,
                         size_t last) {
    if (last == first) return "0";
    return "pg_catalog.width_bucket(" + key_order(plan, side) + ", " +
           thresholds(plan, boundaries, first, last) + ")";
}

std::string range_filter(const MovePlan& plan, Side side, const Rows& boundaries, size_t first,
                         size_t last) {
    std::string filter = "true";
    if (first > 0)
        filter += " AND " + key_order(plan, side) + " >= " + bound(plan, boundaries[first - 1]);
    if (last < boundaries.size())
        filter += " AND " + key_order(plan, side) + " < " + bound(plan, boundaries[last]);
    return filter;
}

// Whether the key orders as its index does (no column compared in a
// collation): a range is then an index range scan.
bool key_has_index_order(const MovePlan& plan) {
    for (int k : plan.key)
        if (plan.columns[k].collatable || !plan.columns[k].portable)
            return false;
    return true;
}

std::string relation(const MovePlan& plan, Side side) {
    return (side == Side::kTarget ? plan.target_sql : plan.remote_sql) + " AS t";
}

// The rows of ranges [first, last] with the given columns, after r: each
// row's range (offset from first), or 0 when by_range is false (the caller
// wants them all).
std::string ranged_scan(const MovePlan& plan, Side side, const Rows& boundaries, size_t first,
                        size_t last, const std::string& columns, bool by_range = true) {
    std::string range = by_range ? range_of_row(plan, side, boundaries, first, last) : "0";
    return "SELECT " + range + " AS r, " + columns + " FROM " + relation(plan, side) + " WHERE " +
           range_filter(plan, side, boundaries, first, last);
}

}  // namespace

std::string sql_literal(const std::string& value) { return quote_literal(value); }

std::string array_literal(const std::vector<const Cell*>& cells) {
    std::string literal = "{";
    for (size_t i = 0; i < cells.size(); ++i) {
        if (i) literal += ',';
        if (!*cells[i]) {
            literal += "NULL";
            continue;
        }
        literal += '"';
        for (char c : **cells[i]) {
            if (c == '"' || c == '\\') literal += '\\';
            literal += c;
        }
        literal += '"';
    }
    return literal + "}";
}

std::string cut_query(const MovePlan& plan, Side side, long every) {
    std::string keys, order;
    for (size_t i = 0; i < plan.key.size(); ++i) {
        const MoveColumn& column = plan.columns[plan.key[i]];
        keys += text_of(column, side) + " AS k" + std::to_string(i + 1) + ", ";
        order += (i ? ", " : "") + order_of(column, side);
    }
    return "SELECT s.* FROM (SELECT " + keys + "pg_catalog.row_number() OVER (ORDER BY " + order +
           ") AS n FROM " + relation(plan, side) + ") AS s WHERE s.n % " + std::to_string(every) +
           " = 0 ORDER BY s.n";
}

std::string merge_query(const MovePlan& plan, const Rows& a, const Rows& b) {
    std::string arrays, names, texts, order;
    for (size_t i = 0; i < plan.key.size(); ++i) {
        const MoveColumn& column = plan.columns[plan.key[i]];
        std::vector<const Cell*> cells;
        for (const Row& row : a) cells.push_back(&row[i]);
        for (const Row& row : b) cells.push_back(&row[i]);
        std::string name = "x.k" + std::to_string(i + 1);
        arrays += (i ? ", " : "") + ("pg_catalog.unnest(" + sql_literal(array_literal(cells)) +
                                     "::pg_catalog.text[])");
        names += (i ? ", k" : "k") + std::to_string(i + 1);
        std::string value =
            column.portable ? "CAST(" + name + " AS " + column.type_sql + ")" : name;
        texts += (i ? ", " : "") + ("(" + value + ")::pg_catalog.text");
        order += (i ? ", " : "") + value + (column.collatable || !column.portable ? kCollateC : "");
    }
    return "SELECT DISTINCT " + texts + ", " + order + " FROM ROWS FROM (" + arrays + ") AS x (" +
           names + ") ORDER BY " + order;
}

std::string hash_query(const MovePlan& plan, Side side, const Rows& boundaries, size_t first,
                       size_t last) {
    std::string texts;
    for (size_t i = 0; i < plan.columns.size(); ++i)
        texts += (i ? ", " : "") + text_of(plan.columns[i], side);
    // PostgreSQL's own 64-bit text hash, as hash partitioning uses it: the
    // same on every server of one architecture. Servers that hashed
    // differently would only make every range look different (fetched and
    // compared row by row), never two different rows look equal.
    std::string hash = "pg_catalog.hashtextextended(ROW(" + texts + ")::pg_catalog.text, 0)";
    return "SELECT s.r + " + std::to_string(first) +
           ", pg_catalog.count(*), pg_catalog.sum(s.h) FROM (" +
           ranged_scan(plan, side, boundaries, first, last, hash + " AS h") + ") AS s GROUP BY s.r";
}

std::string rows_query(const MovePlan& plan, Side side, const Rows& boundaries, size_t first,
                       size_t last, const std::vector<size_t>& wanted) {
    std::string texts;
    for (size_t i = 0; i < plan.columns.size(); ++i)
        texts += (i ? ", " : "") + text_of(plan.columns[i], side);
    std::string query = "SELECT s.* FROM (" +
                        ranged_scan(plan, side, boundaries, first, last, texts, !wanted.empty()) +
                        ") AS s";
    if (wanted.empty()) return query;
    if (key_has_index_order(plan)) {
        // One index range scan per wanted range: only their rows are read.
        std::string ranges;
        for (size_t range : wanted)
            ranges += std::string(ranges.empty() ? "" : " UNION ALL ") + "SELECT " +
                      std::to_string(range - first) + " AS r, " + texts + " FROM " +
                      relation(plan, side) + " WHERE " +
                      range_filter(plan, side, boundaries, range, range);
        return ranges;
    }
    std::string list;
    for (size_t i = 0; i < wanted.size(); ++i)
        list += (i ? "," : "") + std::to_string(wanted[i] - first);
    return query + " WHERE s.r = ANY ('{" + list + "}'::pg_catalog.int4[])";
}

}  // namespace mq::move
