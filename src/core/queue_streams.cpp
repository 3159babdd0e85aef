// Stream list parsing and assignment; see queue_streams.hpp.
#include "core/queue_streams.hpp"

#include <algorithm>
#include <cstdint>

#include "core/comma_list.hpp"

namespace mq::queue {

std::optional<std::vector<std::string>> parse_stream_list(std::string_view text,
                                                          std::string* error) {
    std::vector<std::string> names;
    for (const std::string& name : split_comma_list(text)) {
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
