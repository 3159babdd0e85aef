// A JSON value's jsonb image; see jsonb_image.hpp.
//
// Two steps, as PostgreSQL's own: the text is parsed into items (strings
// unescaped, numbers turned into numeric's format, each object's pairs
// sorted), then the items are written out in jsonb's layout. The layout
// follows jsonb_util.c's convertJsonb* functions, the numbers numeric.c's
// set_var_from_str and make_result; the comments name what each mirrors.
#include "core/jsonb_image.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/json_lexer.hpp"
#include "core/json_text.hpp"

namespace mq::queue {
namespace {

// utils/jsonb.h
constexpr uint32_t kOffLenMask = 0x0FFFFFFF;  // JENTRY_OFFLENMASK
constexpr uint32_t kTypeMask = 0x70000000;    // JENTRY_TYPEMASK
constexpr uint32_t kHasOffset = 0x80000000;   // JENTRY_HAS_OFF
constexpr uint32_t kEntryString = 0x00000000;
constexpr uint32_t kEntryNumeric = 0x10000000;
constexpr uint32_t kEntryFalse = 0x20000000;
constexpr uint32_t kEntryTrue = 0x30000000;
constexpr uint32_t kEntryNull = 0x40000000;
constexpr uint32_t kEntryContainer = 0x50000000;
constexpr uint32_t kOffsetStride = 32;       // JB_OFFSET_STRIDE
constexpr uint32_t kRawScalar = 0x10000000;  // JB_FSCALAR
constexpr uint32_t kObject = 0x20000000;     // JB_FOBJECT
constexpr uint32_t kArray = 0x40000000;      // JB_FARRAY

// utils/adt/numeric.c (NBASE 10000, four decimal digits to a numeric digit)
constexpr int kDecDigits = 4;
constexpr uint16_t kNumericShort = 0x8000;
constexpr uint16_t kNumericShortNegative = 0x2000;
constexpr int kShortDscaleShift = 7;
constexpr int kShortDscaleMax = 63;
constexpr uint16_t kShortWeightNegative = 0x0040;
constexpr uint16_t kShortWeightMask = 0x003F;
constexpr int kShortWeightMax = 63;
constexpr int kShortWeightMin = -64;
constexpr uint16_t kNumericNegative = 0x4000;
constexpr int kDscaleMask = 0x3FFF;

// This encoder's own bounds, far past what events carry; beyond them the
// text goes to jsonb_recv.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNumberDigits = 1000;
constexpr long kMaxExponent = 1000;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
constexpr bool kBigEndian = true;
#else
constexpr bool kBigEndian = false;
#endif

enum class Type : uint8_t { kNull, kFalse, kTrue, kString, kNumber, kArray, kObject };

// One parsed value. Strings without escapes stay in the input; everything
// else converted lives in Parser::pool_.
struct Item {
    Type type;
    bool in_pool;   // a string or number whose bytes are in the pool
    uint32_t at;    // text: offset in the input or pool; container: first child
    uint32_t size;  // text: bytes; array: elements; object: pairs (2 * size children)
};

template <typename T>
char* put_native(T value, char* to) {
    std::memcpy(to, &value, sizeof(T));
    return to + sizeof(T);
}

// SET_VARSIZE for a 4-byte varlena header.
uint32_t varlena_header(uint32_t size) { return kBigEndian ? size : size << 2; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A JSON number as numeric_in stores it: set_var_from_str's decimal digits
// and weights, then make_result's stripped, short or long form. text is a
// number token as the lexer read it (json_number_end): the grammar is
// checked there, so only the encoder's own bounds are here. Appends the
// numeric datum (with its 4-byte varlena header) to pool.
bool encode_number(std::string_view text, std::string* pool) {
    size_t i = 0, n = text.size();
    bool negative = i < n && text[i] == '-';
    if (negative)
        ++i;
    // The decimal digits, kDecDigits zeros ahead and kDecDigits - 1 after.
    char dec[kDecDigits + kMaxNumberDigits + kDecDigits];
    size_t used = kDecDigits;
    std::memset(dec, 0, kDecDigits);
    int dweight = -1, dscale = 0;
    auto take_digit = [&](char c) {
        if (used == kDecDigits + kMaxNumberDigits)
            return false;
        dec[used++] = static_cast<char>(c - '0');
        return true;
    };
    for (; i < n && is_digit(text[i]); ++i, ++dweight)
        if (!take_digit(text[i]))
            return false;
    if (i < n && text[i] == '.') {
        for (++i; i < n && is_digit(text[i]); ++i, ++dscale)
            if (!take_digit(text[i]))
                return false;
    }
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        bool exponent_negative = false;
        if (i < n && (text[i] == '+' || text[i] == '-'))
            exponent_negative = text[i++] == '-';
        long exponent = 0;
        for (; i < n && is_digit(text[i]); ++i) {
            exponent = exponent * 10 + (text[i] - '0');
            if (exponent > kMaxExponent)
                return false;
        }
        if (exponent_negative)
            exponent = -exponent;
        dweight += static_cast<int>(exponent);
        dscale -= static_cast<int>(exponent);
        if (dscale < 0)
            dscale = 0;
    }
    if (used == kDecDigits || i != n)
        return false;  // (not a number token: never from the lexer)
    int ddigits = static_cast<int>(used) - kDecDigits;
    std::memset(dec + used, 0, kDecDigits - 1);

    // set_var_from_str: to base 10000, the first digit aligned.
    int weight = dweight >= 0 ? (dweight + 1 + kDecDigits - 1) / kDecDigits - 1
                              : -((-dweight - 1) / kDecDigits + 1);
    int offset = (weight + 1) * kDecDigits - (dweight + 1);
    int ndigits = (ddigits + offset + kDecDigits - 1) / kDecDigits;
    int16_t digits_buffer[(kMaxNumberDigits + 2 * kDecDigits) / kDecDigits + 1];
    int16_t* digits = digits_buffer;
    for (int d = 0, k = kDecDigits - offset; d < ndigits; ++d, k += kDecDigits)
        digits[d] = static_cast<int16_t>(((dec[k] * 10 + dec[k + 1]) * 10 + dec[k + 2]) * 10 +
                                         dec[k + 3]);
    // strip_var / make_result: no leading or trailing zero digits; zero is
    // positive with weight 0.
    while (ndigits > 0 && digits[0] == 0) {
        ++digits;
        --weight;
        --ndigits;
    }
    while (ndigits > 0 && digits[ndigits - 1] == 0)
        --ndigits;
    if (ndigits == 0) {
        weight = 0;
        negative = false;
    }
    bool can_be_short =
        dscale <= kShortDscaleMax && weight <= kShortWeightMax && weight >= kShortWeightMin;
    if (!can_be_short && (dscale > kDscaleMask || weight > INT16_MAX || weight < INT16_MIN))
        return false;  // "value overflows numeric format": numeric_in says so
    uint32_t size = 4 + (can_be_short ? 2 : 4) + 2 * static_cast<uint32_t>(ndigits);
    char datum[4 + 4 + sizeof digits_buffer];
    char* to = put_native(varlena_header(size), datum);
    if (can_be_short) {
        uint16_t header = static_cast<uint16_t>(
            (negative ? kNumericShort | kNumericShortNegative : kNumericShort) |
            (dscale << kShortDscaleShift) | (weight < 0 ? kShortWeightNegative : 0) |
            (static_cast<uint16_t>(weight) & kShortWeightMask));
        to = put_native(header, to);
    } else {
        to = put_native(static_cast<uint16_t>((negative ? kNumericNegative : 0) |
                                              (dscale & kDscaleMask)),
                        to);
        to = put_native(static_cast<int16_t>(weight), to);
    }
    std::memcpy(to, digits, 2 * static_cast<size_t>(ndigits));
    pool->append(datum, size);
    return true;
}

class Encoder {
public:
    bool encode(std::string_view json, std::string* out);

private:
    // Parsing: each takes the value whose first token the lexer just read.
    bool parse_value(JsonToken token, Item* item);
    bool parse_string(Item* item);
    bool parse_number(Item* item);
    bool parse_array(Item* item);
    bool parse_object(Item* item);
    std::string_view text_of(const Item& item) const {
        return item.in_pool ? std::string_view(pool_).substr(item.at, item.size)
                            : input_.substr(item.at, item.size);
    }

    void release_if_large();

    // Writing.
    char* extend(size_t bytes);
    void pad();
    bool put_value(const Item& item, uint32_t* entry);
    bool put_container(const Item& item, bool raw_scalar, uint32_t* length);

    std::string_view input_;
    JsonLexer lexer_{{}};
    std::string pool_;            // unescaped strings and numeric datums
    std::vector<Item> children_;  // every container's children, side by side
    std::vector<Item> pending_;   // the children of containers still open
    std::vector<uint32_t> order_;  // parse_object's scratch
    std::string image_;            // the image being written: its first used_ bytes
    size_t used_ = 0;
};

bool Encoder::parse_value(JsonToken token, Item* item) {
    switch (token) {
        case JsonToken::kString: return parse_string(item);
        case JsonToken::kNumber: return parse_number(item);
        case JsonToken::kObjectStart: return parse_object(item);
        case JsonToken::kArrayStart: return parse_array(item);
        case JsonToken::kTrue: *item = Item{Type::kTrue, false, 0, 0}; return true;
        case JsonToken::kFalse: *item = Item{Type::kFalse, false, 0, 0}; return true;
        case JsonToken::kNull: *item = Item{Type::kNull, false, 0, 0}; return true;
        default: return false;
    }
}

bool Encoder::parse_number(Item* item) {
    size_t at = pool_.size();
    if (!encode_number(lexer_.token(), &pool_)) {
        pool_.resize(at);
        return false;
    }
    *item = Item{Type::kNumber, true, static_cast<uint32_t>(at),
                 static_cast<uint32_t>(pool_.size() - at)};
    return true;
}

// Most strings have no escape: they stay where they are in the input.
bool Encoder::parse_string(Item* item) {
    std::string_view token = lexer_.token();
    if (!lexer_.escaped()) {
        *item = Item{Type::kString, false, static_cast<uint32_t>(lexer_.token_start() + 1),
                     static_cast<uint32_t>(token.size() - 2)};
        return true;
    }
    size_t at = pool_.size();
    lexer_.append_string(&pool_);
    *item = Item{Type::kString, true, static_cast<uint32_t>(at),
                 static_cast<uint32_t>(pool_.size() - at)};
    return true;
}

bool Encoder::parse_array(Item* item) {
    size_t first = pending_.size();
    JsonToken token = lexer_.next();
    if (token != JsonToken::kArrayEnd) {
        for (;;) {
            Item element;
            if (!parse_value(token, &element))
                return false;
            pending_.push_back(element);
            token = lexer_.next();
            if (token == JsonToken::kArrayEnd)
                break;
            if (token != JsonToken::kComma)
                return false;
            token = lexer_.next();
        }
    }
    size_t count = pending_.size() - first;
    *item = Item{Type::kArray, false, static_cast<uint32_t>(children_.size()),
                 static_cast<uint32_t>(count)};
    children_.insert(children_.end(), pending_.begin() + static_cast<long>(first), pending_.end());
    pending_.resize(first);
    return count <= kOffLenMask;
}

bool Encoder::parse_object(Item* item) {
    size_t first = pending_.size();
    JsonToken token = lexer_.next();
    if (token != JsonToken::kObjectEnd) {
        for (;;) {
            Item key, value;
            if (token != JsonToken::kString || !parse_string(&key))
                return false;
            if (lexer_.next() != JsonToken::kColon || !parse_value(lexer_.next(), &value))
                return false;
            pending_.push_back(key);
            pending_.push_back(value);
            token = lexer_.next();
            if (token == JsonToken::kObjectEnd)
                break;
            if (token != JsonToken::kComma)
                return false;
            token = lexer_.next();
        }
    }
    // uniqueifyJsonbObject: pairs sorted by key, shorter keys first, then
    // bytewise; of equal keys the last one given stays.
    size_t pairs = (pending_.size() - first) / 2;
    std::vector<uint32_t>& order = order_;  // (a nested object is done with it)
    order.resize(pairs);
    for (uint32_t p = 0; p < pairs; ++p)
        order[p] = p;
    auto key = [&](uint32_t p) { return text_of(pending_[first + 2 * p]); };
    auto before = [&](uint32_t a, uint32_t b) {
        std::string_view ka = key(a), kb = key(b);
        if (ka.size() != kb.size())
            return ka.size() < kb.size();
        return std::memcmp(ka.data(), kb.data(), ka.size()) < 0;
    };
    if (pairs <= 32) {
        // Objects are mostly small: an insertion sort, stable, allocates nothing.
        for (size_t k = 1; k < pairs; ++k) {
            uint32_t moving = order[k];
            size_t j = k;
            for (; j > 0 && before(moving, order[j - 1]); --j)
                order[j] = order[j - 1];
            order[j] = moving;
        }
    } else {
        std::stable_sort(order.begin(), order.end(), before);
    }
    *item = Item{Type::kObject, false, static_cast<uint32_t>(children_.size()), 0};
    for (size_t k = 0; k < pairs; ++k) {
        if (k + 1 < pairs && key(order[k]) == key(order[k + 1]))
            continue;  // a later pair has the same key
        children_.push_back(pending_[first + 2 * order[k]]);
        children_.push_back(pending_[first + 2 * order[k] + 1]);
        ++item->size;
    }
    pending_.resize(first);
    return item->size <= kOffLenMask / 2;
}

// Room for bytes more at the end of the image; the buffer is kept from one
// value to the next.
char* Encoder::extend(size_t bytes) {
    if (used_ + bytes > image_.size())
        image_.resize(std::max(2 * image_.size(), used_ + bytes + 256));
    char* at = &image_[used_];
    used_ += bytes;
    return at;
}

// padBufferToInt: data that must be aligned starts on a 4-byte boundary of
// the datum (whose 4-byte header is not in image_).
void Encoder::pad() {
    size_t padding = (4 - used_ % 4) % 4;
    if (padding > 0)
        std::memset(extend(padding), 0, padding);
}

// convertJsonbValue / convertJsonbScalar: appends the value's data and
// gives its JEntry.
bool Encoder::put_value(const Item& item, uint32_t* entry) {
    switch (item.type) {
        case Type::kNull: *entry = kEntryNull; return true;
        case Type::kFalse: *entry = kEntryFalse; return true;
        case Type::kTrue: *entry = kEntryTrue; return true;
        case Type::kString: {
            std::string_view text = text_of(item);
            std::memcpy(extend(text.size()), text.data(), text.size());
            *entry = kEntryString | item.size;
            return item.size <= kOffLenMask;
        }
        case Type::kNumber: {
            size_t start = used_;
            pad();
            std::string_view datum = text_of(item);
            std::memcpy(extend(datum.size()), datum.data(), datum.size());
            *entry = kEntryNumeric | static_cast<uint32_t>(used_ - start);
            return true;
        }
        case Type::kArray:
        case Type::kObject: {
            uint32_t length;
            if (!put_container(item, false, &length))
                return false;
            *entry = kEntryContainer | length;
            return true;
        }
    }
    return false;
}

// convertJsonbArray / convertJsonbObject: a header word, a JEntry for each
// child (an object's keys, then its values), then the children's data. Every
// 32nd JEntry holds the end offset of its data instead of the length.
bool Encoder::put_container(const Item& item, bool raw_scalar, uint32_t* length) {
    size_t start = used_;
    pad();
    bool object = item.type == Type::kObject;
    uint32_t header = item.size | (object ? kObject : kArray | (raw_scalar ? kRawScalar : 0));
    put_native(header, extend(4));
    uint32_t count = object ? 2 * item.size : item.size;
    size_t entries = used_;
    extend(4 * static_cast<size_t>(count));
    uint64_t total = 0;
    for (uint32_t i = 0; i < count; ++i) {
        uint32_t child = object ? (i < item.size ? 2 * i : 2 * (i - item.size) + 1) : i;
        uint32_t entry;
        if (!put_value(children_[item.at + child], &entry))
            return false;
        total += entry & kOffLenMask;
        if (total > kOffLenMask)
            return false;  // "total size of jsonb ... exceeds the maximum": PostgreSQL's to say
        if (i % kOffsetStride == 0)
            entry = (entry & kTypeMask) | static_cast<uint32_t>(total) | kHasOffset;
        put_native(entry, &image_[entries + 4 * static_cast<size_t>(i)]);
    }
    size_t size = used_ - start;
    if (size > kOffLenMask)
        return false;
    *length = static_cast<uint32_t>(size);
    return true;
}

bool Encoder::encode(std::string_view json, std::string* out) {
    if (json.size() > kOffLenMask || !valid_utf8(json))
        return false;
    input_ = json;
    lexer_ = JsonLexer(json, JsonDialect::kJsonb, kMaxDepth);
    pool_.clear();
    children_.clear();
    pending_.clear();
    Item root;
    if (!parse_value(lexer_.next(), &root) || !lexer_.at_end())
        return false;
    used_ = 0;
    uint32_t length;
    bool ok;
    if (root.type == Type::kArray || root.type == Type::kObject) {
        ok = put_container(root, false, &length);
    } else {
        // A scalar is stored as a one-element array marked raw scalar.
        uint32_t at = static_cast<uint32_t>(children_.size());
        children_.push_back(root);
        ok = put_container(Item{Type::kArray, false, at, 1}, true, &length);
    }
    if (ok)
        out->append(image_.data(), used_);
    release_if_large();
    return ok;
}

// The buffers are kept for the next value, but not past a size events never
// need: one huge entry must not leave the worker holding its size for good.
void Encoder::release_if_large() {
    constexpr size_t kKeepBytes = 1 << 20;
    if (image_.capacity() > kKeepBytes)
        std::string().swap(image_);
    if (pool_.capacity() > kKeepBytes)
        std::string().swap(pool_);
    if (children_.capacity() * sizeof(Item) > kKeepBytes)
        std::vector<Item>().swap(children_);
    if (pending_.capacity() * sizeof(Item) > kKeepBytes)
        std::vector<Item>().swap(pending_);
    if (order_.capacity() * sizeof(uint32_t) > kKeepBytes)
        std::vector<uint32_t>().swap(order_);
}

}  // namespace

bool append_jsonb_image(std::string_view json, std::string* out) {
    // The worker is single-threaded (and so are the unit tests); the
    // buffers are kept for the next value.
    static Encoder encoder;
    return encoder.encode(json, out);
}

}  // namespace mq::queue
