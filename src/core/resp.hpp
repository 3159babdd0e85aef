// Redis's protocol (RESP2): commands written, replies read, without hiredis's
// reply objects.
//
// hiredis builds a tree of redisReply, with an allocation or two per string:
// about fourteen per entry of an XREADGROUP reply, before we copied each
// string again. Here a reply is the bytes as they came off the socket, kept
// in one buffer, and one flat vector of nodes pointing into them; strings are
// read in place. A 1000-entry reply costs a handful of allocations.
//
// A reader that must bound its memory (the drain, whose entries come from
// any producer) sets limits: a bulk string over them keeps only its first
// bytes, and the rest streams past without being held (see ReadLimits).
//
// The parser is fed as bytes arrive, cut anywhere, and resumes where it
// stopped: a reply of a few hundred kilobytes is scanned once, not once per
// read. The peer is not trusted: a malformed reply is a ProtocolError, and no
// length it claims is allocated before its bytes have arrived.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mq::resp {

enum class Type : uint8_t {
    kNil,      // $-1 or *-1, or an element that is not there
    kString,   // $ bulk string (binary)
    kStatus,   // + simple string
    kError,    // - error
    kInteger,  // :
    kArray,    // *
};

// The bounds a reply must keep. Redis refuses bulk strings over 512 MB
// (proto-max-bulk-len); nothing this client asks for comes near the others
// (its deepest reply, XREADGROUP's, nests five arrays).
constexpr size_t kMaxBulkLength = 512 * 1024 * 1024;
constexpr size_t kMaxArrayLength = 1 << 24;
constexpr size_t kMaxDepth = 16;

// What a reader is willing to hold of a reply. A bulk string longer than
// hold_bytes, or one that would take what the reply holds over
// budget_bytes, is cut: its first kCutPrefix bytes are kept, the rest is
// read and dropped as it arrives. What a reply holds counts its bytes and
// its values (a Node each), so that a million tiny strings weigh what they
// cost. Strings of up to kAlwaysHeld bytes are held, so that a reply's shape
// (ids, names, numbers) survives, until the budget is spent: from then on
// no value is held at all, and each open array is cut where it stands (see
// Cut::kOverBudget on an array).
struct ReadLimits {
    size_t hold_bytes = kMaxBulkLength;
    size_t budget_bytes = static_cast<size_t>(-1);
};
constexpr size_t kCutPrefix = 256;
constexpr size_t kAlwaysHeld = 1024;

// Whether a value was held whole, and if not, why.
enum class Cut : uint8_t {
    kWhole,       // every byte (every element) is held
    kTooLong,     // a string longer than ReadLimits::hold_bytes
    kOverBudget,  // a string that would have taken the reply over its budget, or an
                  // array whose later elements came after the budget was spent
};

// A reply that breaks the protocol: the connection cannot be read further.
class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One value of a reply, as stored. Reply and Value are how to read it.
struct Node {
    uint64_t at;      // text: offset in the reply's bytes; array: index of its first element
    uint32_t size;    // text: bytes held; array: number of elements held
    uint32_t length;  // a bulk string's length as sent (more than size when cut);
                      // a cut array's strings read past, their bytes (at most 4 GB)
    Type type;
    Cut cut;
};

// A value in a reply: a view, valid as long as its Reply (moving the Reply
// keeps it valid). Reading a reply of an unexpected shape never crashes:
// absent elements read as nil, and nil reads as empty.
class Value {
public:
    Value() = default;  // nil

    Type type() const { return node_ ? node_->type : Type::kNil; }
    bool is_array() const { return type() == Type::kArray; }
    bool is_nil() const { return type() == Type::kNil; }
    // A string's, status's or error's bytes, or an integer's digits; "" otherwise.
    std::string_view text() const;
    // How the text was held: a cut string's text() is its first bytes.
    Cut cut() const { return node_ ? node_->cut : Cut::kWhole; }
    // The text's length as sent: text().size() unless cut. A cut array's:
    // the bytes of the strings read past after its cut.
    size_t length() const { return node_ && node_->cut != Cut::kWhole ? node_->length : text().size(); }
    // An integer reply's value; 0 for any other type.
    long long integer() const;
    // An array's number of elements; 0 for any other type.
    size_t size() const { return is_array() ? node_->size : 0; }
    // Element i of an array; nil when there is none.
    Value operator[](size_t i) const {
        return i < size() ? Value(bytes_, nodes_, nodes_ + node_->at + i) : Value();
    }

private:
    friend class Reply;
    Value(const char* bytes, const Node* nodes, const Node* node)
        : bytes_(bytes), nodes_(nodes), node_(node) {}

    const char* bytes_ = nullptr;
    const Node* nodes_ = nullptr;
    const Node* node_ = nullptr;
};

// One whole reply, owning its bytes. Reads like its top value:
// reply.type(), reply.size(), reply[0].text().
class Reply {
public:
    Reply() = default;  // nil

    Value value() const {
        return nodes_.empty() ? Value() : Value(bytes_.get(), nodes_.data(), &nodes_.back());
    }
    Type type() const { return value().type(); }
    bool is_array() const { return value().is_array(); }
    bool is_nil() const { return value().is_nil(); }
    std::string_view text() const { return value().text(); }
    long long integer() const { return value().integer(); }
    size_t size() const { return value().size(); }
    Value operator[](size_t i) const { return value()[i]; }

private:
    friend class ReplyParser;
    std::unique_ptr<char[]> bytes_;
    std::vector<Node> nodes_;  // each array's elements side by side; the top value last
};

// Reads replies from a connection's bytes, one reply after the other.
class ReplyParser {
public:
    ReplyParser();

    // Applies to the replies read from now on (default: hold everything).
    void set_limits(ReadLimits limits) { limits_ = limits; }
    // The bytes the parser's buffer has room for: what it holds in memory.
    size_t capacity() const { return capacity_; }

    // Where the next bytes go: room for at least min_room bytes. Write
    // there (recv), then commit() the count written.
    struct Room {
        char* data;
        size_t size;
    };
    Room room(size_t min_room);
    void commit(size_t count);
    // room() + copy + commit(), for bytes already in hand.
    void feed(std::string_view bytes);

    // The next whole reply, or nullopt until more bytes come. Bytes after
    // the reply stay for the next call. Throws ProtocolError, then again at
    // every call: nothing after a malformed reply can be trusted.
    std::optional<Reply> next();

private:
    // An array whose elements are being read.
    struct Open {
        size_t left;   // elements still to come
        size_t first;  // where its elements start in done_
        Cut cut;       // kOverBudget once its later elements are read past
        uint64_t skipped_text;  // the bytes of the strings read past in it
    };

    // What one parsing step came to.
    enum class Step {
        kWait,   // the bytes end before the next line or bulk body does
        kNext,   // a line or body was read; the reply goes on
        kWhole,  // the reply is whole
    };

    Step parse_line();
    Step parse_bulk_body();
    Step skip_bulk_body();
    void begin_bulk(size_t length);
    bool drop_cut_bytes();
    void drop_skipped_bytes();
    size_t find_line_end();
    size_t held() const;
    bool complete(Node node);
    void place(const Node& node);
    bool count_skipped();
    Node close_array();
    Reply take();
    [[noreturn]] void fail(const std::string& why);

    std::unique_ptr<char[]> data_;
    size_t size_ = 0;      // bytes received
    size_t capacity_ = 0;  // bytes data_ holds
    size_t pos_ = 0;       // bytes parsed (the next line or bulk body starts here)
    size_t scan_ = 0;      // where the search for the current line's end resumes
    long long bulk_ = -1;  // the bytes held of the bulk string whose body is next, or -1
    size_t bulk_length_ = 0;  // that string's length as sent
    Cut bulk_cut_ = Cut::kWhole;
    size_t drop_left_ = 0;    // bytes of a cut string still to drop as they come
    size_t skip_level_ = 0;   // open_.size() of the array being read past, or 0
    size_t skip_from_ = 0;    // where the bytes read past begin (dropped before each wait)
    uint64_t skipped_text_ = 0;  // the bytes of the strings read past so far
    ReadLimits limits_;
    std::vector<Open> open_;
    std::vector<Node> done_;   // finished values whose array is not finished yet
    std::vector<Node> nodes_;  // the reply's nodes so far (see Reply)
    std::string error_;        // set once a reply was malformed
};

// Appends a command as RESP2 sends it: an array of bulk strings, each
// argument binary-safe.
void append_command(const std::vector<std::string>& args, std::string* out);

// Parses an integer as RESP writes it: an optional '-', then digits.
bool parse_integer(std::string_view text, long long* value);

}  // namespace mq::resp
