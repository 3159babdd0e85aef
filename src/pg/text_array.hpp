// Reading a text[] argument into C++.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/postgres.hpp"

namespace mq::pg {

// The elements of a one-dimensional text array; nullopt for NULL elements.
// what names the argument in the error for a multi-dimensional array (2202E).
std::vector<std::optional<std::string>> text_array_elements(Datum array_datum, const char* what);

}  // namespace mq::pg
