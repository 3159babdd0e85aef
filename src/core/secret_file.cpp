// The password file reader; see secret_file.hpp.
#include "core/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace mq {
namespace {

// A password longer than this is not a password file's first line.
constexpr size_t kMaxSecret = 4096;

const char* errno_sqlstate(int error) {
    switch (error) {
        case ENOENT:
        case ENOTDIR:
            return mq::sqlstate::kUndefinedFile;  // undefined_file
        case EACCES:
        case EPERM:
            return mq::sqlstate::kInsufficientPrivilege;  // insufficient_privilege
        default:
            return mq::sqlstate::kIoError;  // io_error
    }
}

// Closes the descriptor whatever way the reader leaves.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0)
            close(fd);
    }
};

}  // namespace

std::string read_secret_file(const std::string& path) {
    const std::string quoted = "\"" + path + "\"";
    Fd file{open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
    if (file.fd < 0) {
        int error = errno;
        throw Error(errno_sqlstate(error),
                    "could not open password file " + quoted + ": " + std::strerror(error));
    }
    struct stat st;
    if (fstat(file.fd, &st) != 0) {
        int error = errno;
        throw Error(errno_sqlstate(error),
                    "could not stat password file " + quoted + ": " + std::strerror(error));
    }
    if (!S_ISREG(st.st_mode))
        throw Error(mq::sqlstate::kConfigFileError,
                    "password file " + quoted + " is not a plain file");
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        throw Error(mq::sqlstate::kConfigFileError,
                    "password file " + quoted + " has group or world access",
                    "It must have permissions u=rw (0600) or less, as libpq requires of its "
                    "passfile.",
                    "chmod 0600 " + path);
    std::string content;
    char buffer[512];
    while (content.size() <= kMaxSecret) {
        ssize_t n = read(file.fd, buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int error = errno;
            throw Error(errno_sqlstate(error),
                        "could not read password file " + quoted + ": " + std::strerror(error));
        }
        if (n == 0)
            break;
        content.append(buffer, static_cast<size_t>(n));
        if (content.find('\n') != std::string::npos)
            break;
    }
    size_t end = content.find('\n');
    if (end == std::string::npos) {
        if (content.size() > kMaxSecret)
            throw Error(mq::sqlstate::kConfigFileError,
                        "password file " + quoted + " has a first line over " +
                                     std::to_string(kMaxSecret) + " bytes");
        end = content.size();
    }
    if (end > 0 && content[end - 1] == '\r')
        --end;
    std::string secret = content.substr(0, end);
    // The rest of the buffer held nothing we keep; wipe it rather than let
    // it linger in freed memory.
    std::fill(content.begin(), content.end(), '\0');
    if (secret.empty())
        throw Error(mq::sqlstate::kConfigFileError,
                    "password file " + quoted + " has an empty first line");
    return secret;
}

}  // namespace mq
