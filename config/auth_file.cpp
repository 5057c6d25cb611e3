#include "config/auth_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mqgate::config {

std::string read_auth_file(const std::string& path, bool missing_ok) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (missing_ok && errno == ENOENT) return {};
        throw AuthFileError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        const bool dir = S_ISDIR(st.st_mode);
        const int err = errno;
        ::close(fd);
        throw AuthFileError(path, 0, dir ? "is a directory, not a file" : std::string("cannot stat: ") + std::strerror(err));
    }
    std::string text;
    char chunk[16 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            throw AuthFileError(path, 0, std::string("cannot read: ") + std::strerror(err));
        }
        if (n == 0) break;
        text.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

}  // namespace mqgate::config
