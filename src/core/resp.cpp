// The RESP2 reply parser; see resp.hpp.
#include "core/resp.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>

namespace mq::resp {
namespace {

// A buffer's least size: also the least room a read is given.
constexpr size_t kMinCapacity = 16 * 1024;

// An integer or length line is at most "-9223372036854775808" long: a longer
// one is refused before its CRLF comes, rather than buffered while it grows.
constexpr size_t kMaxNumberLine = 32;

constexpr size_t kNotFound = static_cast<size_t>(-1);

std::string unknown_type(char byte) {
    if (byte != '\0' && std::strchr("_,#!=(%~>|;", byte) != nullptr)
        return std::string("RESP3 reply type '") + byte +
               "' is not supported (this client speaks RESP2)";
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", static_cast<unsigned char>(byte));
    return std::string("invalid reply type byte ") + hex;
}

const char* number_name(char kind) {
    return kind == ':' ? "integer" : kind == '$' ? "bulk string length" : "array length";
}

}  // namespace

void append_command(const std::vector<std::string>& args, std::string* out) {
    out->push_back('*');
    out->append(std::to_string(args.size()));
    out->append("\r\n");
    for (const std::string& arg : args) {
        out->push_back('$');
        out->append(std::to_string(arg.size()));
        out->append("\r\n");
        out->append(arg);
        out->append("\r\n");
    }
}

bool parse_integer(std::string_view text, long long* value) {
    const char* end = text.data() + text.size();
    auto [stop, error] = std::from_chars(text.data(), end, *value);
    return error == std::errc() && stop == end;
}

std::string_view Value::text() const {
    switch (type()) {
        case Type::kString:
        case Type::kStatus:
        case Type::kError:
        case Type::kInteger:
            return {bytes_ + node_->at, node_->size};
        default:
            return {};
    }
}

long long Value::integer() const {
    long long value = 0;
    if (type() == Type::kInteger)
        parse_integer(text(), &value);  // checked when the reply was read
    return value;
}

ReplyParser::ReplyParser() : data_(new char[kMinCapacity]), capacity_(kMinCapacity) {}

ReplyParser::Room ReplyParser::room(size_t min_room) {
    if (capacity_ - size_ < min_room) {
        // Offsets, not pointers, say where parsing is: the bytes may move.
        size_t capacity = std::max(capacity_ * 2, size_ + min_room);
        std::unique_ptr<char[]> bigger(new char[capacity]);
        std::memcpy(bigger.get(), data_.get(), size_);
        data_ = std::move(bigger);
        capacity_ = capacity;
    }
    return {data_.get() + size_, capacity_ - size_};
}

void ReplyParser::commit(size_t count) {
    size_ += std::min(count, capacity_ - size_);
}

void ReplyParser::feed(std::string_view bytes) {
    Room free = room(bytes.size());
    std::memcpy(free.data, bytes.data(), bytes.size());
    commit(bytes.size());
}

std::optional<Reply> ReplyParser::next() {
    if (!error_.empty())
        throw ProtocolError(error_);
    for (;;) {
        Step step = bulk_ >= 0 ? parse_bulk_body() : parse_line();
        if (step == Step::kWait) {
            drop_skipped_bytes();
            return std::nullopt;
        }
        if (step == Step::kWhole)
            return take();
    }
}

size_t ReplyParser::find_line_end() {
    const char* data = data_.get();
    size_t from = std::max(scan_, pos_ + 1);
    while (from < size_) {
        const void* found = std::memchr(data + from, '\r', size_ - from);
        if (found == nullptr) {
            from = size_;
            break;
        }
        size_t at = static_cast<size_t>(static_cast<const char*>(found) - data);
        if (at + 1 == size_) {
            from = at;  // its '\n' has not come yet
            break;
        }
        if (data[at + 1] == '\n')
            return at;
        from = at + 1;
    }
    scan_ = from;
    return kNotFound;
}

ReplyParser::Step ReplyParser::parse_line() {
    if (pos_ == size_)
        return Step::kWait;
    // A reply that has spent its budget holds no further value: the rest
    // of the innermost open array is read past, and so on outwards.
    if (skip_level_ == 0 && !open_.empty() && held() > limits_.budget_bytes) {
        skip_level_ = open_.size();
        skip_from_ = pos_;
        skipped_text_ = 0;
        open_.back().cut = Cut::kOverBudget;
    }
    char kind = data_[pos_];
    bool number = kind == ':' || kind == '$' || kind == '*';
    if (!number && kind != '+' && kind != '-')
        fail(unknown_type(kind));
    size_t end = find_line_end();
    size_t start = pos_ + 1;
    if (end == kNotFound) {
        if (number && size_ - start > kMaxNumberLine)
            fail(std::string(number_name(kind)) + " line longer than " +
                 std::to_string(kMaxNumberLine) + " bytes");
        if (!number && size_ - start > kMaxBulkLength)
            fail("a simple string is longer than 512 MB");
        return Step::kWait;
    }
    std::string_view text(data_.get() + start, end - start);
    if (!number) {
        if (text.size() > kMaxBulkLength)
            fail("a simple string is longer than 512 MB");
        pos_ = end + 2;
        Type type = kind == '+' ? Type::kStatus : Type::kError;
        Node node{start, static_cast<uint32_t>(text.size()), 0, type, Cut::kWhole};
        return complete(node) ? Step::kWhole : Step::kNext;
    }
    long long value = 0;
    if (text.size() > kMaxNumberLine || !parse_integer(text, &value))
        fail(std::string("invalid ") + number_name(kind));
    pos_ = end + 2;
    Node node{start, static_cast<uint32_t>(text.size()), 0, Type::kInteger, Cut::kWhole};
    if (kind == ':')
        return complete(node) ? Step::kWhole : Step::kNext;
    if (value == -1)
        return complete({0, 0, 0, Type::kNil, Cut::kWhole}) ? Step::kWhole : Step::kNext;
    if (value < 0)
        fail(std::string("negative ") + number_name(kind) + " " + std::to_string(value));
    size_t length = static_cast<size_t>(value);
    if (kind == '$') {
        if (length > kMaxBulkLength)
            fail("a bulk string of " + std::to_string(length) + " bytes is over 512 MB");
        begin_bulk(length);
        return Step::kNext;
    }
    if (length > kMaxArrayLength)
        fail("an array of " + std::to_string(length) + " elements is over the limit of " +
             std::to_string(kMaxArrayLength));
    if (length == 0)
        return complete({0, 0, 0, Type::kArray, Cut::kWhole}) ? Step::kWhole : Step::kNext;
    if (open_.size() == kMaxDepth)
        fail("arrays are nested more than " + std::to_string(kMaxDepth) + " deep");
    open_.push_back({length, done_.size(), Cut::kWhole, 0});
    return Step::kNext;
}

// Decides how much of a bulk string of this length the reply holds.
void ReplyParser::begin_bulk(size_t length) {
    bulk_length_ = length;
    bulk_cut_ = Cut::kWhole;
    if (skip_level_ > 0) {
        skipped_text_ += length;
        drop_left_ = length;
        bulk_ = 0;
        return;
    }
    if (length > kAlwaysHeld) {
        if (length > limits_.hold_bytes)
            bulk_cut_ = Cut::kTooLong;
        else if (held() + length > limits_.budget_bytes)
            bulk_cut_ = Cut::kOverBudget;
    }
    size_t kept = bulk_cut_ == Cut::kWhole ? length : std::min(length, kCutPrefix);
    drop_left_ = length - kept;
    bulk_ = static_cast<long long>(kept);
}

size_t ReplyParser::held() const {
    return pos_ + sizeof(Node) * (nodes_.size() + done_.size());
}

// Frees the bytes of the values read past since skipping began (they are
// never referred to), moving what follows them down. Called only before
// waiting for more bytes, so that each byte moves at most once a read.
void ReplyParser::drop_skipped_bytes() {
    if (skip_level_ == 0 || pos_ == skip_from_)
        return;
    std::memmove(data_.get() + skip_from_, data_.get() + pos_, size_ - pos_);
    size_ -= pos_ - skip_from_;
    pos_ = skip_from_;
    scan_ = 0;
}

// The body of a string inside an array being read past: its bytes are
// passed over as they come, and only its CRLF is checked.
ReplyParser::Step ReplyParser::skip_bulk_body() {
    size_t here = std::min(drop_left_, size_ - pos_);
    pos_ += here;
    drop_left_ -= here;
    if (drop_left_ > 0 || size_ - pos_ < 2)
        return Step::kWait;
    if (data_[pos_] != '\r' || data_[pos_ + 1] != '\n')
        fail("a bulk string does not end with CRLF where its length says");
    pos_ += 2;
    bulk_ = -1;
    return complete({}) ? Step::kWhole : Step::kNext;
}

// Drops what has come of a cut string's bytes past its kept prefix, moving
// whatever follows them down. Returns true once all of them are dropped.
bool ReplyParser::drop_cut_bytes() {
    size_t from = pos_ + static_cast<size_t>(bulk_);
    size_t here = std::min(drop_left_, size_ - from);
    std::memmove(data_.get() + from, data_.get() + from + here, size_ - from - here);
    size_ -= here;
    drop_left_ -= here;
    return drop_left_ == 0;
}

ReplyParser::Step ReplyParser::parse_bulk_body() {
    if (skip_level_ > 0)
        return skip_bulk_body();
    size_t kept = static_cast<size_t>(bulk_);
    if (size_ - pos_ < kept)
        return Step::kWait;
    if (drop_left_ > 0 && !drop_cut_bytes())
        return Step::kWait;
    if (size_ - pos_ < kept + 2)
        return Step::kWait;
    const char* end = data_.get() + pos_ + kept;
    if (end[0] != '\r' || end[1] != '\n')
        fail("a bulk string does not end with CRLF where its length says");
    Node node{pos_, static_cast<uint32_t>(kept), static_cast<uint32_t>(bulk_length_),
              Type::kString, bulk_cut_};
    pos_ += kept + 2;
    bulk_ = -1;
    return complete(node) ? Step::kWhole : Step::kNext;
}

// Places a finished value: in its array, which may finish in turn, or as
// the reply itself. Returns true when the reply is whole.
bool ReplyParser::complete(Node node) {
    if (skip_level_ > 0) {
        if (!count_skipped())
            return false;
        node = close_array();
    }
    for (;;) {
        place(node);
        if (open_.empty())
            return true;
        if (--open_.back().left > 0)
            return false;
        node = close_array();
    }
}

// Written field by field: a Node copied whole from the stack stalled on
// store forwarding, 30% of a 1000-entry reply's reading in a profile.
void ReplyParser::place(const Node& node) {
    uint64_t at = node.at;
    uint32_t size = node.size;
    uint32_t length = node.length;
    Type type = node.type;
    Cut cut = node.cut;
    Node& placed = (open_.empty() ? nodes_ : done_).emplace_back();
    placed.at = at;
    placed.size = size;
    placed.length = length;
    placed.type = type;
    placed.cut = cut;
}

// Counts a value read past inside the array being skipped (or inside an
// array nested in it). Returns true once the skipped array is finished.
bool ReplyParser::count_skipped() {
    for (;;) {
        if (--open_.back().left > 0)
            return false;
        if (open_.size() == skip_level_) {
            drop_skipped_bytes();
            skip_level_ = 0;
            open_.back().skipped_text = skipped_text_;
            return true;
        }
        open_.pop_back();
    }
}

// The innermost open array, now finished, as a node: its elements go side
// by side, so that element i is first + i (an element that is an array
// itself keeps pointing at its own). A cut array holds the elements that
// came before its cut, and the length of the strings read past after it.
Node ReplyParser::close_array() {
    const Open array = open_.back();
    open_.pop_back();
    Node node{nodes_.size(), static_cast<uint32_t>(done_.size() - array.first), 0, Type::kArray,
              array.cut};
    if (array.cut != Cut::kWhole)
        node.length = static_cast<uint32_t>(
            std::min<uint64_t>(array.skipped_text, std::numeric_limits<uint32_t>::max()));
    nodes_.insert(nodes_.end(), done_.begin() + static_cast<std::ptrdiff_t>(array.first),
                  done_.end());
    done_.resize(array.first);
    return node;
}

Reply ReplyParser::take() {
    Reply reply;
    reply.bytes_ = std::move(data_);
    reply.nodes_ = std::move(nodes_);
    // The bytes after the reply (the next one's start, pipelined) move to a
    // new buffer, sized for a reply like this one: a stream of 1000-entry
    // replies grows no buffer after the first.
    size_t tail = size_ - pos_;
    capacity_ = std::max({kMinCapacity, pos_ + pos_ / 4, tail + kMinCapacity});
    data_.reset(new char[capacity_]);
    std::memcpy(data_.get(), reply.bytes_.get() + pos_, tail);
    size_ = tail;
    pos_ = 0;
    scan_ = 0;
    nodes_.clear();
    nodes_.reserve(reply.nodes_.size());
    return reply;
}

void ReplyParser::fail(const std::string& why) {
    error_ = "protocol error: " + why;
    throw ProtocolError(error_);
}

}  // namespace mq::resp
