// Parsing multiquery.drain_superuser_tables; see table_list.hpp.
#include "core/table_list.hpp"

#include <algorithm>

namespace mq::queue {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Reads one identifier at text[*at], as SQL writes it: "quoted" (with ""
// for a quote) or plain (letters, digits, _, $ and any byte beyond ASCII),
// downcased. Returns false on an empty or unterminated identifier.
bool read_identifier(std::string_view text, size_t* at, std::string* out) {
    out->clear();
    size_t i = *at;
    if (i < text.size() && text[i] == '"') {
        for (++i; i < text.size(); ++i) {
            if (text[i] != '"') {
                out->push_back(text[i]);
            } else if (i + 1 < text.size() && text[i + 1] == '"') {
                out->push_back('"');
                ++i;
            } else {
                *at = i + 1;
                return !out->empty();
            }
        }
        return false;
    }
    for (; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80 ||
                     (!out->empty() && ((c >= '0' && c <= '9') || c == '$'));
        if (!plain)
            break;
        out->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : text[i]);
    }
    *at = i;
    return !out->empty();
}

void skip_blanks(std::string_view text, size_t* at) {
    while (*at < text.size() && blank(text[*at]))
        ++*at;
}

}  // namespace

bool TableList::contains(std::string_view schema, std::string_view table) const {
    return all || std::any_of(names.begin(), names.end(), [&](const auto& name) {
               return name.first == schema && name.second == table;
           });
}

std::optional<TableList> parse_table_list(std::string_view text, std::string* error) {
    TableList list;
    size_t at = 0;
    skip_blanks(text, &at);
    if (at == text.size())
        return list;
    while (true) {
        size_t item = at;
        if (text[at] == '*') {
            list.all = true;
            ++at;
        } else {
            std::string schema, table;
            bool ok = read_identifier(text, &at, &schema);
            if (ok) {
                skip_blanks(text, &at);
                ok = at < text.size() && text[at] == '.';
            }
            if (ok) {
                ++at;
                skip_blanks(text, &at);
                ok = read_identifier(text, &at, &table);
            }
            if (!ok) {
                size_t end = text.find(',', item);
                *error = "\"" + std::string(text.substr(item, end == std::string_view::npos
                                                                  ? std::string_view::npos
                                                                  : end - item)) +
                         "\" is not a schema-qualified table name (schema.table).";
                return std::nullopt;
            }
            list.names.emplace_back(std::move(schema), std::move(table));
        }
        skip_blanks(text, &at);
        if (at == text.size())
            break;
        if (text[at] != ',') {
            *error = "Unexpected \"" + std::string(text.substr(at, 1)) + "\" after \"" +
                     std::string(text.substr(item, at - item)) +
                     "\": list tables as schema.table, separated by commas.";
            return std::nullopt;
        }
        ++at;
        skip_blanks(text, &at);
        if (at == text.size()) {
            *error = "The list ends with a comma.";
            return std::nullopt;
        }
    }
    if (list.all && !list.names.empty()) {
        *error = "\"*\" stands for every table; it cannot be combined with table names.";
        return std::nullopt;
    }
    return list;
}

}  // namespace mq::queue
