// Splitting comma-separated lists; see comma_list.hpp.
#include "core/comma_list.hpp"

namespace mq {

std::vector<std::string> split_comma_list(std::string_view text) {
    constexpr std::string_view kBlank = " \t\r\n";
    std::vector<std::string> items;
    size_t start = 0;
    while (true) {
        size_t comma = text.find(',', start);
        std::string_view item = text.substr(start, comma == std::string_view::npos
                                                       ? std::string_view::npos
                                                       : comma - start);
        size_t first = item.find_first_not_of(kBlank);
        size_t last = item.find_last_not_of(kBlank);
        items.emplace_back(first == std::string_view::npos
                               ? std::string_view()
                               : item.substr(first, last - first + 1));
        if (comma == std::string_view::npos)
            return items;
        start = comma + 1;
    }
}

}  // namespace mq
