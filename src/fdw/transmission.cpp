// The formats values travel in: what deparse prints as constants and what the
// scan sends as parameters are written with DateStyle ISO, IntervalStyle
// postgres and extra_float_digits 3, the settings the remote block sets for
// reading them back (race/engine_pipeline.cpp), so that neither side's
// session settings change a value on the way.
#include "fdw/fdw.hpp"

extern "C" {
#include "catalog/pg_type_d.h"
#include "utils/guc.h"
}

namespace mq::fdw {
namespace {

struct Mode {
    const char* name;
    const char* value;
};

constexpr Mode kModes[] = {
    {"datestyle", "ISO"},
    {"intervalstyle", "postgres"},
    {"extra_float_digits", "3"},
};

}  // namespace

bool prints_in_transmission_modes(Oid type) {
    // The types whose text no DateStyle, IntervalStyle or extra_float_digits
    // changes: a key of one of them is printed without setting the modes,
    // which costs a raced primary-key read a few percent of its CPU.
    switch (type) {
        case BOOLOID:
        case INT2OID:
        case INT4OID:
        case INT8OID:
        case OIDOID:
        case NUMERICOID:
        case TEXTOID:
        case VARCHAROID:
        case BPCHAROID:
        case NAMEOID:
        case UUIDOID:
            return false;
        default:
            return true;
    }
}

int set_transmission_modes() {
    int nest_level = NewGUCNestLevel();
    for (const Mode& mode : kModes) {
        // Set only when different: each set_config_option reparses the value.
        const char* current = GetConfigOption(mode.name, false, false);
        if (current != nullptr && strcmp(current, mode.value) == 0)
            continue;
        (void)set_config_option(mode.name, mode.value, PGC_USERSET, PGC_S_SESSION,
                                GUC_ACTION_SAVE, true, 0, false);
    }
    return nest_level;
}

void reset_transmission_modes(int nest_level) {
    AtEOXact_GUC(true, nest_level);
}

}  // namespace mq::fdw
