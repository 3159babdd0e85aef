// An error raised by PostgreSQL-free code, shaped like a PostgreSQL report so
// that the boundary can turn it into one without losing anything.
#pragma once

#include <stdexcept>
#include <string>

#include "core/sqlstate.hpp"

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


}  // namespace mq
