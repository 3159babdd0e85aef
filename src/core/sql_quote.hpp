// Quoting names and values into the SQL text sent to a remote server (the
// remote query of a racing foreign table): identifiers as PostgreSQL's
// quote_identifier writes them, literals so that they read back the same
// whatever the remote standard_conforming_strings.
#pragma once

#include <string>
#include <string_view>

namespace mq {

// Whether a lower-case word is a keyword that must be quoted to be read as a
// name (the caller knows the server's keyword list; the core does not).
using KeywordCheck = bool (*)(const std::string& word);

// name as an SQL identifier: bare when it is lower case, starts with a
// letter or underscore, and is no keyword that needs quoting; otherwise in
// double quotes with inner double quotes doubled.
std::string quote_identifier(std::string_view name, KeywordCheck needs_quoting);

// value as an SQL string literal: single quotes doubled, and, when it holds a
// backslash, written as E'...' with backslashes doubled, so that the text
// means the same with standard_conforming_strings on or off.
std::string quote_literal(std::string_view value);

}  // namespace mq
