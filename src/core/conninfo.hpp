// Recognising libpq connection strings among race targets, and showing them
// without their passwords.
#pragma once

#include <string>
#include <string_view>

namespace mq {

// True when a race target is a libpq connection string (key=value pairs or a
// postgres:// / postgresql:// URI) rather than the name of a foreign server.
bool looks_like_conninfo(std::string_view target);

// The connection string with every password value removed, fit for errors,
// logs and statistics: "host=a password=x" -> "host=a password=***",
// "postgresql://u:x@h/db?password=y" -> "postgresql://u:***@h/db?password=***".
// A string it cannot parse is shown as "<invalid connection string>" rather
// than risk leaking a password.
std::string redact_conninfo(std::string_view conninfo);

// True for a URI libpq reads without user info although an '@' follows the
// host ("postgresql://u:pa/ss@h/db": libpq takes host "u", port "pa"), which
// is most likely a password holding an unencoded '/'. Such a string is
// refused rather than connected to: libpq's errors would quote its pieces.
bool ambiguous_uri_user_info(std::string_view conninfo);

}  // namespace mq
