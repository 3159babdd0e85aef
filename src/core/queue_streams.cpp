// Stream list parsing and assignment; see queue_streams.hpp.
#include "core/queue_streams.hpp"

#include <algorithm>
#include <cstdint>

namespace mq::queue {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<std::vector<std::string>> parse_stream_list(std::string_view text,
                                                          std::string* error) {
    std::vector<std::string> names;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string_view::npos)
            comma = text.size();
        std::string_view name = trim(text.substr(start, comma - start));
        start = comma + 1;
        if (name.empty())
            continue;
        if (name.size() > kMaxStreamNameLength) {
            *error = "stream name \"" + std::string(name.substr(0, 40)) + "...\" is longer than " +
                     std::to_string(kMaxStreamNameLength) + " bytes";
            return std::nullopt;
        }
        for (char c : name)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                *error = "stream name \"" + std::string(name) + "\" contains a control character";
                return std::nullopt;
            }
        if (std::find(names.begin(), names.end(), name) == names.end())
            names.emplace_back(name);
    }
    return names;
}

int stream_owner(std::string_view stream, int workers) {
    if (workers <= 1)
        return 0;
    uint32_t hash = 2166136261u;  // FNV-1a: stable across builds and platforms
    for (unsigned char c : stream) {
        hash ^= c;
        hash *= 16777619u;
    }
    return static_cast<int>(hash % static_cast<uint32_t>(workers));
}

}  // namespace mq::queue
