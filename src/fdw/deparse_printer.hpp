// The printer of remote SQL that deparse.cpp's statements share with the
// expressions of deparse_expr.cpp: where the text goes, what it may name,
// and the parameters it collects. Internal to the raced tables' deparse.
#pragma once

#include "fdw/fdw.hpp"

extern "C" {
#include "lib/stringinfo.h"
}

namespace mq::fdw::printer {

struct Printer {
    PlannerInfo* root;
    const RelInfo* info;
    StringInfo buf;
    List** params;
    // The GUC nest level of the transmission modes, set at the first
    // constant whose text they change; -1 while unset (most key lookups
    // print none, and setting them costs a planning a few percent).
    int modes_level = -1;
};

// Ends the transmission modes a constant's printing set, if any.
void end_transmission_modes(Printer* p);

void append_literal(StringInfo buf, const char* value);
// A column or table by its remote name (column_name, schema_name and
// table_name options), quoted.
void append_column(StringInfo buf, Oid table, AttrNumber attnum);
void append_relation(StringInfo buf, Oid table);
void append_collation(StringInfo buf, Oid collation);

// An argument of an operation that uses input_collation: collated names the
// collation, untyped leaves a constant's or parameter's cast out.
void print_arg(Expr* arg, Oid collation, bool collated, bool untyped, Printer* p);
void print_expr(Expr* expr, Printer* p);
void print_list(List* items, const char* separator, Printer* p);

}  // namespace mq::fdw::printer
