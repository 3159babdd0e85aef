// JSON rows to binary COPY; see queue_copy_binary.hpp.
#include "core/queue_copy_binary.hpp"

#include <cstdint>
#include <limits>

#include "core/iso_timestamp.hpp"
#include "core/jsonb_image.hpp"
#include "core/json_text.hpp"

namespace mq::queue {
namespace {

// Network byte order, as the binary format wants every integer.
void put_be(uint64_t value, int bytes, std::string* out) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8)
        out->push_back(static_cast<char>((value >> shift) & 0xFF));
}

void put_null(std::string* out) { put_be(0xFFFFFFFFu, 4, out); }

// A field of fixed size.
void put_field(uint64_t value, int bytes, std::string* out) {
    put_be(static_cast<uint64_t>(bytes), 4, out);
    put_be(value, bytes, out);
}

// A JSON number that is an integer as it stands: an optional minus, then
// digits (JSON allows no leading zero). Anything else (a fraction, an
// exponent) goes to the type's input function, which refuses or rounds.
bool json_integer(std::string_view text, int64_t min, int64_t max, int64_t* value) {
    size_t i = text[0] == '-' ? 1 : 0;
    if (i == text.size())
        return false;
    uint64_t magnitude = 0;
    const uint64_t limit = text[0] == '-' ? static_cast<uint64_t>(-(min + 1)) + 1
                                          : static_cast<uint64_t>(max);
    for (; i < text.size(); ++i) {
        char c = text[i];
        if (c < '0' || c > '9')
            return false;
        uint64_t digit = static_cast<uint64_t>(c - '0');
        if (magnitude > (limit - digit) / 10)
            return false;
        magnitude = magnitude * 10 + digit;
    }
    *value = text[0] == '-' ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    return true;
}

// The mark, then the value's jsonb image; false, with *out as it was, when
// the encoder refuses the value (jsonb_recv then reads its text).
bool put_jsonb_image(std::string_view json, std::string* out) {
    out->push_back(kJsonbImageMark);
    if (append_jsonb_image(json, out))
        return true;
    out->pop_back();
    return false;
}

// Writes one value; false when its column's kind does not take it.
bool put_value(const JsonValue& v, BinaryKind kind, std::string* out) {
    if (v.kind == JsonKind::kNull) {
        put_null(out);
        return true;
    }
    switch (kind) {
        case BinaryKind::kInt2:
        case BinaryKind::kInt4:
        case BinaryKind::kInt8: {
            if (v.kind != JsonKind::kNumber)
                return false;
            int bytes = kind == BinaryKind::kInt2 ? 2 : kind == BinaryKind::kInt4 ? 4 : 8;
            int64_t max = kind == BinaryKind::kInt2   ? std::numeric_limits<int16_t>::max()
                          : kind == BinaryKind::kInt4 ? std::numeric_limits<int32_t>::max()
                                                      : std::numeric_limits<int64_t>::max();
            int64_t value;
            if (!json_integer(v.text, -max - 1, max, &value))
                return false;
            put_field(static_cast<uint64_t>(value), bytes, out);
            return true;
        }
        case BinaryKind::kBool:
            if (v.kind != JsonKind::kBool)
                return false;
            put_field(v.text == "true" ? 1 : 0, 1, out);
            return true;
        case BinaryKind::kTimestamptz: {
            if (v.kind != JsonKind::kString || v.text.find('\\') != std::string_view::npos)
                return false;
            auto micros = parse_iso_timestamptz(v.text.substr(1, v.text.size() - 2));
            if (!micros)
                return false;
            put_field(static_cast<uint64_t>(*micros), 8, out);
            return true;
        }
        case BinaryKind::kText:
        case BinaryKind::kJsonb:
        case BinaryKind::kJsonbImage:
            break;
    }
    // Variable length: the length is written once the value is.
    size_t length_at = out->size();
    put_be(0, 4, out);
    if (kind == BinaryKind::kText) {
        switch (v.kind) {
            case JsonKind::kString:
                if (!put_json_string_raw(v.text, out))
                    return false;
                break;
            case JsonKind::kNumber:
                if (!number_keeps_text(v.text))
                    return false;
                out->append(v.text);
                break;
            case JsonKind::kBool:
                out->append(v.text);
                break;
            default:
                return false;  // (a nested object or array, as COPY text refuses)
        }
    } else if (kind == BinaryKind::kJsonbImage && put_jsonb_image(v.text, out)) {
        // The image, as jsonb_in would have made it.
    } else {
        // jsonb_recv: a version byte, then the JSON text jsonb_in reads, with
        // the checks COPY text makes of the same value.
        if (!valid_utf8(v.text))
            return false;
        if (v.text.find("\\u") != std::string_view::npos) {
            if (v.kind == JsonKind::kContainer)
                return false;  // as COPY text: left to the SQL path
            std::string probe;
            if (v.kind == JsonKind::kString && !put_json_string_raw(v.text, &probe))
                return false;
        }
        out->push_back('\1');
        out->append(v.text);
    }
    uint64_t length = out->size() - length_at - 4;
    if (length > static_cast<uint64_t>(std::numeric_limits<int32_t>::max()))
        return false;
    for (int k = 0; k < 4; ++k)
        (*out)[length_at + static_cast<size_t>(k)] =
            static_cast<char>((length >> (8 * (3 - k))) & 0xFF);
    return true;
}

}  // namespace

void append_binary_header(std::string* out) {
    static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // and its '\0'
    out->append(kSignature, sizeof kSignature);
    put_be(0, 4, out);  // flags: no OIDs
    put_be(0, 4, out);  // no header extension
}

void append_binary_trailer(std::string* out) { put_be(0xFFFF, 2, out); }

namespace {

bool fits(const std::vector<std::string>& columns, const std::vector<BinaryKind>& kinds) {
    return !columns.empty() && kinds.size() == columns.size() &&
           columns.size() <= static_cast<size_t>(std::numeric_limits<int16_t>::max());
}

// Appends the tuple of values found for columns; false, with *out as it
// was, when a value is missing or its kind does not take it.
bool put_row(const RowValues& values, const std::vector<BinaryKind>& kinds, std::string* out) {
    size_t original_size = out->size();
    put_be(kinds.size(), 2, out);
    for (size_t i = 0; i < kinds.size(); ++i) {
        if (!values[i].set || !put_value(values[i], kinds[i], out)) {
            out->resize(original_size);
            return false;
        }
    }
    return true;
}

}  // namespace

bool append_binary_row(std::string_view row, const std::vector<std::string>& columns,
                       const std::vector<BinaryKind>& kinds, std::string* out,
                       CopyRowHint* hint) {
    if (!fits(columns, kinds))
        return false;
    RowValues values(columns.size());
    if (!find_row_values(row, columns, values.data(), hint))
        return false;
    return put_row(values, kinds, out);
}

bool append_binary_row(const JsonRow& row, const std::vector<BinaryKind>& kinds,
                       std::string* out, CopyRowHint* hint) {
    if (row.keys == nullptr || !fits(*row.keys, kinds))
        return false;
    if (row.member_count == 0)
        return append_binary_row(row.text, *row.keys, kinds, out, hint);
    RowValues values(row.keys->size());
    for (size_t i = 0; i < row.member_count; ++i) {
        const RowMember& member = row.members[i];
        if (member.column >= row.keys->size())
            return false;
        values.data()[member.column] = {row.text.substr(member.at, member.size), member.kind, true};
    }
    return put_row(values, kinds, out);
}

}  // namespace mq::queue
