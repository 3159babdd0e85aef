// Rows as the table move reads them: every value as the canonical text of
// the target column's type (fixed DateStyle, IntervalStyle, TimeZone,
// extra_float_digits and bytea_output on both sides), SQL NULL as nullopt.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mq::move {

using Cell = std::optional<std::string>;
using Row = std::vector<Cell>;
using Rows = std::vector<Row>;

}  // namespace mq::move
