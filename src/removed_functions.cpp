// C entry points that only earlier versions' install scripts name: 0.1 and
// 0.2 created multiquery._selftest_* (multiquery--0.2--0.3.sql drops them),
// and CREATE EXTENSION multiquery VERSION '0.1' looks each function's symbol
// up in the library. They do nothing but say the function is gone.
#include <string>

#include "core/error.hpp"
#include "pg/guard.hpp"

namespace {

mq::Error removed(const std::string& name) {
    return mq::Error(mq::sqlstate::kFeatureNotSupported,
                     "function multiquery." + name + " was removed in multiquery 0.3", {},
                     "Update the extension: ALTER EXTENSION multiquery UPDATE.");
}

}  // namespace

MQ_FUNCTION(multiquery_selftest_boundary) {
    throw removed("_selftest_boundary");
}
MQ_FUNCTION(multiquery_selftest_probes_destroyed) {
    throw removed("_selftest_probes_destroyed");
}
MQ_FUNCTION(multiquery_selftest_record_race) {
    throw removed("_selftest_record_race");
}
MQ_FUNCTION(multiquery_selftest_latency_quantile) {
    throw removed("_selftest_latency_quantile");
}
