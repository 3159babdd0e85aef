// multiquery.version(): which build of the library a server has loaded.
#include "pg/guard.hpp"

extern "C" {
#include "utils/builtins.h"
}

MQ_FUNCTION(multiquery_version) {
    return mq::pg::call([] { return CStringGetTextDatum(MQ_VERSION); });
}
