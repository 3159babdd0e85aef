// See prepared_statements.hpp.
#include "core/prepared_statements.hpp"

#include <algorithm>

namespace mq {

PreparedStatements::Use PreparedStatements::use(std::string_view text, int param_count,
                                                size_t capacity) {
    ++tick_;
    if (capacity == 0) {
        while (!entries_.empty()) evict(entries_.size() - 1);
        return {};
    }
    auto matches = [&](const Entry& entry) {
        return entry.param_count == param_count && entry.text == text;
    };
    auto found = std::find_if(entries_.begin(), entries_.end(), matches);
    bool exists = found != entries_.end();
    if (exists) found->used = tick_;
    // Make room, the least recently used first, never the one in use now.
    size_t keep = exists ? capacity : capacity - 1;
    while (entries_.size() > keep) {
        auto oldest =
            std::min_element(entries_.begin(), entries_.end(),
                             [](const Entry& a, const Entry& b) { return a.used < b.used; });
        if (oldest->used == tick_) break;
        evict(static_cast<size_t>(oldest - entries_.begin()));
    }
    if (exists) return {std::find_if(entries_.begin(), entries_.end(), matches)->name, false};
    std::string name = fresh_name(text, param_count);
    entries_.push_back({std::string(text), param_count, name, tick_, false});
    return {name, true};
}

bool PreparedStatements::knows(std::string_view text, int param_count) const {
    return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& entry) {
        return entry.param_count == param_count && entry.text == text;
    });
}

void PreparedStatements::confirm(const std::string& name) {
    for (Entry& entry : entries_)
        if (entry.name == name) entry.confirmed = true;
}

void PreparedStatements::drop(const std::string& name) {
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                  [&](const Entry& entry) { return entry.name == name; }),
                   entries_.end());
}

void PreparedStatements::forget(std::string_view text, int param_count) {
    for (size_t i = 0; i < entries_.size(); ++i)
        if (entries_[i].param_count == param_count && entries_[i].text == text) {
            evict(i);
            return;
        }
}

void PreparedStatements::settle(bool clean) {
    for (size_t i = entries_.size(); i-- > 0;) {
        if (entries_[i].confirmed) continue;
        if (clean)
            entries_[i].confirmed = true;
        else
            evict(i);
    }
}

std::vector<std::string> PreparedStatements::take_deallocations(size_t max) {
    size_t count = std::min(max, deallocate_.size());
    std::vector<std::string> names(deallocate_.begin(), deallocate_.begin() + count);
    deallocate_.erase(deallocate_.begin(), deallocate_.begin() + count);
    return names;
}

void PreparedStatements::clear() {
    entries_.clear();
    deallocate_.clear();
}

std::string PreparedStatements::fresh_name(std::string_view text, int param_count) {
    // FNV-1a of the key: the same query gets the same name on every
    // connection and in every run, so that a remote log or error naming it
    // can be matched to its text.
    uint32_t hash = 2166136261u;
    auto mix = [&](unsigned char byte) { hash = (hash ^ byte) * 16777619u; };
    for (char c : text) mix(static_cast<unsigned char>(c));
    for (int shift = 0; shift < 32; shift += 8)
        mix(static_cast<unsigned char>(static_cast<uint32_t>(param_count) >> shift));
    char hex[9];
    static const char kDigits[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) hex[i] = kDigits[(hash >> (28 - 4 * i)) & 0xf];
    hex[8] = '\0';
    std::string name = std::string(kNamePrefix) + hex;
    // Taken by another key (a collision), or still to be deallocated (its
    // DEALLOCATE may go out after this Parse): a suffix tells them apart.
    auto taken = [&](const std::string& candidate) {
        for (const Entry& entry : entries_)
            if (entry.name == candidate) return true;
        return std::find(deallocate_.begin(), deallocate_.end(), candidate) != deallocate_.end();
    };
    if (!taken(name)) return name;
    std::string suffixed;
    do suffixed = name + "_" + std::to_string(next_suffix_++);
    while (taken(suffixed));
    return suffixed;
}

void PreparedStatements::evict(size_t index) {
    deallocate_.push_back(std::move(entries_[index].name));
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(index));
}

}  // namespace mq
