// Stream id parsing and printing; see queue_stream_id.hpp.
#include "core/queue_stream_id.hpp"

namespace mq::queue {
namespace {

// Parses a non-empty run of decimal digits into a 64-bit value, refusing overflow.
std::optional<uint64_t> parse_u64(std::string_view digits) {
    if (digits.empty() || digits.size() > 20)
        return std::nullopt;
    // Nineteen digits cannot overflow: only a twentieth needs the check
    // (every entry's id is parsed, a millisecond time of thirteen digits).
    uint64_t value = 0;
    for (size_t i = 0; i < digits.size(); ++i) {
        char c = digits[i];
        if (c < '0' || c > '9')
            return std::nullopt;
        uint64_t digit = static_cast<uint64_t>(c - '0');
        if (i == 19 && value > (UINT64_MAX - digit) / 10)
            return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

}  // namespace

std::string StreamId::to_string() const {
    return std::to_string(ms) + "-" + std::to_string(seq);
}

std::optional<StreamId> parse_stream_id(std::string_view text) {
    size_t dash = text.find('-');
    if (dash == std::string_view::npos)
        return std::nullopt;
    auto ms = parse_u64(text.substr(0, dash));
    auto seq = parse_u64(text.substr(dash + 1));
    if (!ms || !seq)
        return std::nullopt;
    return StreamId{*ms, *seq};
}

}  // namespace mq::queue
