// Building the caller's tuples from a target's text rows; see result_sink.hpp.
#include "race/result_sink.hpp"

#include <memory>
#include <vector>

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/guc.h"
}

namespace mq::race {
namespace {

// What the error context of a failed conversion names.
struct Conversion {
    const char* target;
    const char* column;
    int number;
    const char* subject;  // empty for race_query
};

// Adds to a conversion error which column of whose row could not be read.
void conversion_context(void* arg) {
    auto* conversion = static_cast<Conversion*>(arg);
    if (conversion->column == nullptr)
        return;
    if (conversion->subject[0] != '\0')
        errcontext("column \"%s\" of a row from race target \"%s\", %s", conversion->column,
                   conversion->target, conversion->subject);
    else
        errcontext("column \"%s\" (number %d) of a row from race target \"%s\"",
                   conversion->column, conversion->number, conversion->target);
}

}  // namespace

ResultSink::ResultSink(Tuplestorestate* store, TupleDesc desc, std::string subject)
    : store_(store), desc_(desc), subject_(std::move(subject)) {
    pg::call([&] {
        input_ = TupleDescGetAttInMetadata(desc_);
        row_context_ = AllocSetContextCreate(CurrentMemoryContext, "multiquery race row",
                                             ALLOCSET_SMALL_SIZES);
    });
}

ResultSink::~ResultSink() {
    MemoryContextDelete(row_context_);
}

void ResultSink::check_shape(const PGresult* result, const std::string& target) const {
    int remote = PQnfields(result);
    if (remote != desc_->natts)
        throw Error(mq::sqlstate::kDatatypeMismatch,
                    "remote query result rowtype does not match the specified FROM clause rowtype",
                    "Race target \"" + target + "\" returned " + std::to_string(remote) +
                        " columns; the column definition list has " +
                        std::to_string(desc_->natts) + ".");
}

void ResultSink::add_rows(const PGresult* result, const std::string& target) {
    int columns = desc_->natts;
    int rows = PQntuples(result);
    std::vector<char*> text(columns);
    std::vector<Datum> values(columns);
    std::unique_ptr<bool[]> nulls(new bool[columns]);
    for (int row = 0; row < rows; ++row) {
        for (int column = 0; column < columns; ++column)
            text[column] = PQgetisnull(result, row, column)
                               ? nullptr
                               : PQgetvalue(const_cast<PGresult*>(result), row, column);
        Conversion conversion{target.c_str(), nullptr, 0, subject_.c_str()};
        pg::call([&] {
            ErrorContextCallback callback{error_context_stack, conversion_context, &conversion};
            error_context_stack = &callback;
            MemoryContext caller = MemoryContextSwitchTo(row_context_);
            for (int column = 0; column < columns; ++column) {
                Form_pg_attribute attribute = TupleDescAttr(desc_, column);
                conversion.column = NameStr(attribute->attname);
                conversion.number = column + 1;
                values[column] = InputFunctionCall(&input_->attinfuncs[column], text[column],
                                                   input_->attioparams[column],
                                                   input_->atttypmods[column]);
                nulls[column] = text[column] == nullptr;
            }
            conversion.column = nullptr;
            HeapTuple tuple = heap_form_tuple(desc_, values.data(), nulls.get());
            tuplestore_puttuple(store_, tuple);
            MemoryContextSwitchTo(caller);
            MemoryContextReset(row_context_);
            error_context_stack = callback.previous;
        });
    }
}

std::string ResultSink::money_locale() const {
    return pg::call([&] {
        // By OID, without a catalog look-up: this runs for every race.
        for (int column = 0; column < desc_->natts; ++column) {
            Oid type = TupleDescAttr(desc_, column)->atttypid;
            if (type == CASHOID || type == MONEYARRAYOID)
                return std::string(GetConfigOption("lc_monetary", false, false));
        }
        return std::string();
    });
}

void ResultSink::clear() {
    pg::call([&] { tuplestore_clear(store_); });
}

}  // namespace mq::race
