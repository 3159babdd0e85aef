// Which libpq connection options the multiquery wrapper accepts, and where.
#pragma once

#include <string>

namespace mq::race {

// Where an option is written.
enum class OptionPlace { kServer, kUserMapping };

// True when name is a libpq option that belongs in that place: credentials
// (user, password, sslpassword) in user mappings, the rest in servers. The
// options race_query sets itself (client_encoding, fallback_application_name)
// and libpq's debug options are accepted nowhere.
bool accepts_option(const std::string& name, OptionPlace place);

// The options accepted in that place, comma separated, for hints.
std::string accepted_options(OptionPlace place);

}  // namespace mq::race
