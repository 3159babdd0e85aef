// An error raised by PostgreSQL-free code, shaped like a PostgreSQL report so
// that the boundary can turn it into one without losing anything.
#pragma once

#include <stdexcept>
#include <string>

namespace mq {

class Error : public std::runtime_error {
public:
    // sqlstate is the five-character code ("22023"); detail and hint may be empty.
    Error(std::string sqlstate, const std::string& message, std::string detail = {},
          std::string hint = {})
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)),
          detail_(std::move(detail)), hint_(std::move(hint)) {}

    const std::string& sqlstate() const noexcept { return sqlstate_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }
    // Where the error happened (PostgreSQL's CONTEXT lines), outermost last.
    const std::string& context() const noexcept { return context_; }

    // Adds a CONTEXT line, as an error context callback would.
    Error& add_context(const std::string& line) {
        context_ += (context_.empty() ? "" : "\n") + line;
        return *this;
    }

private:
    std::string sqlstate_;
    std::string detail_;
    std::string hint_;
    std::string context_;
};

// SQLSTATEs the core raises itself; remote ones travel through unchanged.
namespace sqlstate {
inline constexpr const char* kInvalidParameterValue = "22023";
inline constexpr const char* kInternalError = "XX000";
inline constexpr const char* kOutOfMemory = "53200";
}  // namespace sqlstate

}  // namespace mq
