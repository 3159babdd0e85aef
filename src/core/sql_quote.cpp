// Quoting for remote SQL text; see sql_quote.hpp.
#include "core/sql_quote.hpp"

namespace mq {
namespace {

bool plain_name(std::string_view name) {
    if (name.empty())
        return false;
    char first = name.front();
    if (!((first >= 'a' && first <= 'z') || first == '_'))
        return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

}  // namespace

std::string quote_identifier(std::string_view name, KeywordCheck needs_quoting) {
    if (plain_name(name) && (needs_quoting == nullptr || !needs_quoting(std::string(name))))
        return std::string(name);
    std::string quoted = "\"";
    for (char c : name) {
        if (c == '"')
            quoted.push_back('"');
        quoted.push_back(c);
    }
    quoted.push_back('"');
    return quoted;
}

std::string quote_literal(std::string_view value) {
    bool backslash = value.find('\\') != std::string_view::npos;
    std::string quoted = backslash ? "E'" : "'";
    for (char c : value) {
        if (c == '\'' || c == '\\')
            quoted.push_back(c);
        quoted.push_back(c);
    }
    quoted.push_back('\'');
    return quoted;
}

}  // namespace mq
