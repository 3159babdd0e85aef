// Which streams the drain reads, and which worker reads each.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mq::queue {

// Longest stream name accepted in multiquery.drain_streams (bytes).
inline constexpr size_t kMaxStreamNameLength = 200;

// Splits multiquery.drain_streams ("a, b,c") into names: trimmed, empty
// items dropped, duplicates dropped (first kept). Returns nullopt with *error
// set when a name is too long or contains a control character.
std::optional<std::vector<std::string>> parse_stream_list(std::string_view text,
                                                          std::string* error);

// The worker (0 .. workers-1) that owns a stream: a fixed hash of its name,
// so every process (and every restart) agrees, and one stream is never read
// by two workers at once, which is what keeps its entries in order.
int stream_owner(std::string_view stream, int workers);

}  // namespace mq::queue
