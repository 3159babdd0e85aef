// Probes that let the regression tests prove the boundary holds: an error
// raised on either side while a C++ object is alive must reach the client as
// a clean ERROR *and* run that object's destructor.
#include <stdexcept>

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "utils/builtins.h"
}

namespace {

int64 probes_destroyed = 0;  // per backend; read by multiquery_test.probes_destroyed()

// A C++ object whose destructor must run however the function is left.
class Probe {
public:
    Probe() = default;
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
    ~Probe() { ++probes_destroyed; }
};

}  // namespace

// multiquery_test.boundary(failure text): fails the named way while a Probe lives.
MQ_FUNCTION(multiquery_test_boundary) {
    char* failure = mq::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    Probe probe;
    std::string kind(failure);
    if (kind == "cpp_exception")
        throw std::runtime_error("probe threw a C++ exception");
    if (kind == "mq_error")
        throw mq::Error(mq::sqlstate::kInvalidParameterValue, "probe raised an mq::Error",
                        "the detail survives the boundary", "so does the hint");
    if (kind == "pg_error")
        mq::pg::call([] {
            ereport(ERROR, (errcode(ERRCODE_DIVISION_BY_ZERO),
                            errmsg("probe raised a PostgreSQL error"),
                            errdetail("raised by ereport under a live C++ object")));
        });
    if (kind == "none")
        return Int64GetDatum(probes_destroyed);
    throw mq::Error(mq::sqlstate::kInvalidParameterValue, "unknown failure kind \"" + kind + "\"",
                    {}, "Use one of cpp_exception, mq_error, pg_error, none.");
}

// multiquery_test.probes_destroyed(): how many probes this backend destroyed.
MQ_FUNCTION(multiquery_test_probes_destroyed) {
    return Int64GetDatum(probes_destroyed);
}
