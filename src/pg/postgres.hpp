// postgres.h for C++. Every file that uses the server includes this header
// (itself, or through pg/guard.hpp) before the other server headers it needs,
// which it then includes itself inside extern "C": postgres.h must come first,
// the headers are C and need C linkage, and a few of postgres.h's macros need
// taming in C++. (race/cancel_key.cpp is libpq's frontend side and includes
// no server header.)
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

// postgres.h defines these as macros for C; they break the C++ standard library.
#ifdef gettext
#undef gettext
#endif
#ifdef dgettext
#undef dgettext
#endif
#ifdef ngettext
#undef ngettext
#endif
#ifdef dngettext
#undef dngettext
#endif
