// The boundary's out-of-line half: classifying C++ exceptions and raising them.
#include "pg/guard.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "core/error.hpp"

namespace mq::pg {
namespace {

// Copies prefix + text into the current memory context without ever throwing
// or ereporting: this runs inside a catch handler, where either would strand
// the exception being handled.
const char* copy_without_error(const char* text, const char* prefix = "") {
    if (text == nullptr || *text == '\0')
        return nullptr;
    size_t prefix_length = std::strlen(prefix);
    size_t length = std::min(std::strlen(text), static_cast<size_t>(MaxAllocSize / 2));
    auto* copy = static_cast<char*>(
        palloc_extended(prefix_length + length + 1, MCXT_ALLOC_NO_OOM));
    if (copy == nullptr)
        return "out of memory while reporting an error";
    std::memcpy(copy, prefix, prefix_length);
    std::memcpy(copy + prefix_length, text, length);
    copy[prefix_length + length] = '\0';
    return copy;
}

int sqlstate_code(const std::string& sqlstate) {
    if (sqlstate.size() != 5)
        return ERRCODE_INTERNAL_ERROR;
    return MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3], sqlstate[4]);
}

}  // namespace

const char* PgException::what() const noexcept {
    return error_ != nullptr && error_->message != nullptr ? error_->message
                                                           : "PostgreSQL error";
}

void capture_current_exception(PendingError* error) noexcept {
    *error = PendingError{};
    try {
        throw;
    } catch (const PgException& e) {
        error->pg_error = e.error();
    } catch (const mq::Error& e) {
        error->sqlerrcode = sqlstate_code(e.sqlstate());
        error->message = copy_without_error(e.what());
        error->detail = copy_without_error(e.detail().c_str());
        error->hint = copy_without_error(e.hint().c_str());
        error->context = copy_without_error(e.context().c_str());
    } catch (const std::bad_alloc&) {
        error->sqlerrcode = ERRCODE_OUT_OF_MEMORY;
        error->message = "out of memory";
    } catch (const std::exception& e) {
        error->sqlerrcode = ERRCODE_INTERNAL_ERROR;
        error->message = copy_without_error(e.what(), "unexpected C++ exception: ");
    } catch (...) {
        error->sqlerrcode = ERRCODE_INTERNAL_ERROR;
        error->message = "unexpected C++ exception of unknown type";
    }
    if (error->pg_error == nullptr && error->message == nullptr)
        error->message = "unexpected C++ exception with an empty message";
}

void raise(const PendingError* error) {
    if (error->pg_error != nullptr)
        ReThrowError(error->pg_error);
    ereport(ERROR, (errcode(error->sqlerrcode), errmsg_internal("%s", error->message),
                    error->detail ? errdetail_internal("%s", error->detail) : 0,
                    error->hint ? errhint("%s", error->hint) : 0,
                    error->context ? errcontext("%s", error->context) : 0));
    pg_unreachable();
}

ErrorData* take_error(MemoryContext caller_context) {
    MemoryContextSwitchTo(caller_context);
    ErrorData* error = CopyErrorData();
    FlushErrorState();
    return error;
}

}  // namespace mq::pg
