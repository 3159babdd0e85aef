// Reading a text[] argument; see text_array.hpp.
#include "pg/text_array.hpp"

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type_d.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace mq::pg {

std::vector<std::optional<std::string>> text_array_elements(Datum array_datum, const char* what) {
    ArrayType* array = call([&] { return DatumGetArrayTypeP(array_datum); });
    if (ARR_NDIM(array) > 1)
        throw mq::Error(mq::sqlstate::kArrayElementError,
                        std::string(what) + " must be a one-dimensional array");
    Datum* elements = nullptr;
    bool* nulls = nullptr;
    int count = 0;
    call([&] {
        deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, &count);
    });
    std::vector<std::optional<std::string>> values;
    values.reserve(count);
    for (int i = 0; i < count; ++i) {
        if (nulls[i]) {
            values.emplace_back(std::nullopt);
            continue;
        }
        char* value = call([&] { return TextDatumGetCString(elements[i]); });
        values.emplace_back(std::string(value));
    }
    return values;
}

}  // namespace mq::pg
