// The wrapper's option lists, taken from the libpq the module links; see
// libpq_options.hpp.
#include "race/libpq_options.hpp"

#include <cstring>
#include <vector>

#include <libpq-fe.h>

namespace mq::race {
namespace {

bool is_credential(const std::string& name) {
    return name == "user" || name == "password" || name == "sslpassword";
}

bool set_by_race_query(const std::string& name) {
    return name == "client_encoding" || name == "fallback_application_name" ||
           name == "replication";
}

// libpq's own option names, minus its debug options; read once per backend.
const std::vector<std::string>& libpq_option_names() {
    static std::vector<std::string> names = [] {
        std::vector<std::string> list;
        PQconninfoOption* defaults = PQconndefaults();
        if (defaults == nullptr)
            throw std::bad_alloc();
        for (PQconninfoOption* option = defaults; option->keyword != nullptr; ++option)
            if (std::strchr(option->dispchar, 'D') == nullptr)
                list.emplace_back(option->keyword);
        PQconninfoFree(defaults);
        return list;
    }();
    return names;
}

}  // namespace

bool accepts_option(const std::string& name, OptionPlace place) {
    if (set_by_race_query(name))
        return false;
    bool known = false;
    for (const std::string& option : libpq_option_names())
        known = known || option == name;
    return known && is_credential(name) == (place == OptionPlace::kUserMapping);
}

std::string accepted_options(OptionPlace place) {
    std::string list;
    for (const std::string& option : libpq_option_names())
        if (accepts_option(option, place))
            list += (list.empty() ? "" : ", ") + option;
    return list;
}

}  // namespace mq::race
