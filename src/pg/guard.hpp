// The C++/PostgreSQL boundary: the one mechanism the whole code base uses.
//
// PostgreSQL raises errors with siglongjmp, which runs no C++ destructors; C++
// raises them with exceptions, which PostgreSQL's C frames cannot carry. So
// errors cross the boundary only in these two places:
//
//  * PostgreSQL -> C++: every SQL-callable function (and every callback that
//    PostgreSQL calls: hooks, cache invalidation, worker main) is written with
//    MQ_FUNCTION or run through mq::pg::run_guarded(). Its body may throw any C++
//    exception; the guard catches it, lets every frame of the body unwind (so
//    every destructor runs), and only then raises the PostgreSQL error from a
//    frame that holds no C++ object.
//
//  * C++ -> PostgreSQL: C++ code that holds objects with destructors calls any
//    PostgreSQL function that may ereport(ERROR) (palloc, SPI, input functions,
//    CHECK_FOR_INTERRUPTS, ...) through mq::pg::call(). The ERROR's longjmp stops
//    in call()'s own frame; the ErrorData is copied and thrown as PgException,
//    which unwinds the C++ frames normally and is re-raised, unchanged, by the
//    guard. The lambda given to call() must itself hold no such objects.
//
// A PgException must reach the guard (or be handled inside a subtransaction the
// code rolls back): catching one and carrying on would leave the transaction in
// whatever state the failed call left it.
#pragma once

#include <exception>
#include <type_traits>

#include "pg/postgres.hpp"

namespace mq::pg {

// A PostgreSQL ERROR caught by call(), carrying its full report.
class PgException : public std::exception {
public:
    explicit PgException(ErrorData* error) : error_(error) {}
    const char* what() const noexcept override;
    ErrorData* error() const noexcept { return error_; }

private:
    ErrorData* error_;  // palloc'd in the caller's memory context
};

// What the guard re-raises; plain data so that raising it destroys nothing.
struct PendingError {
    ErrorData* pg_error;  // set when a PgException crossed the guard
    int sqlerrcode;
    const char* message;
    const char* detail;
    const char* hint;
    const char* context;
};

// Classifies the exception being handled into *error. Never throws, never ereports.
void capture_current_exception(PendingError* error) noexcept;

// Raises the captured error as a PostgreSQL ERROR. Call only from a frame that
// holds no C++ object with a destructor.
[[noreturn]] void raise(const PendingError* error);

// Runs body; returns false with *error filled if it threw. All of body's C++
// objects are destroyed by the time this returns.
template <typename Body>
bool capture_errors(Body&& body, PendingError* error) noexcept {
    try {
        body();
        return true;
    } catch (...) {
        capture_current_exception(error);
        return false;
    }
}

// Runs a C++ body from a PostgreSQL callback; a C++ exception becomes an ERROR.
template <typename Body>
void run_guarded(Body&& body) {
    PendingError error{};
    if (!capture_errors(body, &error))
        raise(&error);
}

// Copies the current PostgreSQL error into caller_context and clears it.
ErrorData* take_error(MemoryContext caller_context);

// Runs a PostgreSQL call that may ereport(ERROR), turning the error into a
// PgException. A C++ exception from fn is carried past PG_END_TRY so that
// PostgreSQL's exception stack is always restored.
template <typename Fn>
auto call(Fn&& fn) -> decltype(fn()) {
    using Result = decltype(fn());
    MemoryContext caller_context = CurrentMemoryContext;
    ErrorData* pg_error = nullptr;
    std::exception_ptr cpp_error;
    std::conditional_t<std::is_void_v<Result>, int, Result> result{};

    PG_TRY();
    {
        try {
            if constexpr (std::is_void_v<Result>)
                fn();
            else
                result = fn();
        } catch (...) {
            cpp_error = std::current_exception();
        }
    }
    PG_CATCH();
    {
        pg_error = take_error(caller_context);
    }
    PG_END_TRY();

    if (pg_error != nullptr)
        throw PgException(pg_error);
    if (cpp_error)
        std::rethrow_exception(cpp_error);
    if constexpr (!std::is_void_v<Result>)
        return result;
}

// Serves pending interrupts (query cancel, statement_timeout, terminate) from C++.
inline void check_for_interrupts() {
    call([] { CHECK_FOR_INTERRUPTS(); });
}

}  // namespace mq::pg

// Defines an SQL-callable function whose body is guarded C++:
//   MQ_FUNCTION(multiquery_version) { return CStringGetTextDatum(...); }
#define MQ_FUNCTION(name)                                                          \
    static Datum name##_guarded_body(FunctionCallInfo fcinfo);                     \
    extern "C" {                                                                   \
    PG_FUNCTION_INFO_V1(name);                                                     \
    }                                                                              \
    Datum name(PG_FUNCTION_ARGS) {                                                 \
        Datum result = (Datum)0;                                                   \
        mq::pg::PendingError error{};                                              \
        if (!mq::pg::capture_errors([&] { result = name##_guarded_body(fcinfo); }, \
                                    &error))                                       \
            mq::pg::raise(&error);                                                 \
        return result;                                                             \
    }                                                                              \
    static Datum name##_guarded_body(FunctionCallInfo fcinfo)
