// A JSON value's jsonb image: the bytes PostgreSQL 15 stores for it
// (utils/jsonb.h's container format, numbers as numeric), built here for the
// drain's binary COPY. jsonb_recv would parse the text again with
// PostgreSQL's JSON parser, build a tree, sort every object's keys and then
// serialize it: the drain took 15% longer that way (bench/jsonb_images.sh,
// 1M events with one jsonb object each; BENCHMARKS.md), which is why the
// images, and copy_load.cpp's receive function for them, are worth their
// dependence on PostgreSQL 15's layout. PostgreSQL-free.
//
// The image must be byte for byte what jsonb_in makes of the same text, since
// it is stored as it is (test 219 compares 1,500 random values; make fuzz a
// million). So this encoder takes only what it is sure of and
// refuses the rest (false), which then goes to jsonb_recv as text, where
// PostgreSQL judges it and raises its own errors: text that is not JSON or
// not UTF-8, \u0000 and lone surrogates, numbers with more than a thousand
// digits or an exponent past +-1000, nesting deeper than 64, and an image
// that would not fit jsonb's 28-bit lengths.
#pragma once

#include <string>
#include <string_view>

namespace mq::queue {

// Appends the jsonb datum of one JSON value (whitespace around it allowed),
// without its 4-byte varlena header, in this machine's byte order, as
// jsonb_in would make it in a UTF-8 database. False, leaving *out as it
// was, for anything this encoder refuses (see above).
bool append_jsonb_image(std::string_view json, std::string* out);

}  // namespace mq::queue
