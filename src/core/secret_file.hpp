// Reading a secret (the Redis password) from a file, the way libpq reads its
// passfile: the secret never passes through a GUC, so PostgreSQL never logs
// it ("parameter ... changed to ..."), and a file others may read is refused.
#pragma once

#include <string>

namespace mq {

// Returns the first line of the file at path (without its line end).
// Throws mq::Error naming the file, never its content: 58P01 (missing),
// 42501 (not readable), 58030 (other I/O error), F0000 (not a regular file,
// group or world access, empty first line).
std::string read_secret_file(const std::string& path);

}  // namespace mq
