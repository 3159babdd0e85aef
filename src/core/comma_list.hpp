// Comma-separated lists in settings and options ("a, b,c"): drain_streams,
// a race group's targets.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mq {

// Splits text at commas into items trimmed of spaces, tabs and line breaks.
// Empty items are kept (as ""), so that a caller can refuse or skip them;
// an empty text is one empty item.
std::vector<std::string> split_comma_list(std::string_view text);

}  // namespace mq
