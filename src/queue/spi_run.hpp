// Running the drain's SQL through SPI, inside apply_batch's SPI connection:
// statements with text parameters, and the one value a query returned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pg/postgres.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace mq::queue {

// Any successful SPI result: an INSERT that a table's rule rewrote into
// something else (or into nothing: SPI_OK_REWRITTEN) is what its owner asked for.
constexpr int kAnySuccess = -1;

// Runs one SPI statement with text parameters (at most 8); returns rows
// processed. An SPI result other than expected is an error. saved: the
// statement is one of the drain's own, run for every batch; its plan is made
// once and kept for the worker's life (the plan cache revalidates it after
// DDL), rather than parsed and planned every batch.
int64_t run_sql(const std::string& sql, const std::vector<const std::string*>& params,
                int expected, bool saved = false);

// The single text value the last SPI statement returned, or nullopt.
std::optional<std::string> spi_single_value();

}  // namespace mq::queue
