#include "store/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/errors.hpp"

namespace mqgate::store {

namespace {

// The pid the holder wrote, for the message; "" when unreadable.
std::string holder_of(int fd) {
    char buffer[32] = {};
    const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
    if (n <= 0) return {};
    std::string text(buffer, static_cast<std::size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

}  // namespace

FileLock::FileLock(const std::string& store_path) {
    const std::string path = store_path + ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw StoreError(store_path + ": cannot open: cannot create its lock file " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        const std::string holder = error == EWOULDBLOCK ? holder_of(fd_) : std::string();
        ::close(fd_);
        fd_ = -1;
        if (error == EWOULDBLOCK)
            throw StoreInUse(path + ": the store is in use by another mqgate process" +
                             (holder.empty() ? std::string() : " (pid " + holder + ")") +
                             "; give each node its own data directory");
        throw StoreError(path + ": cannot lock: " + std::strerror(error));
    }
    // For the message a second process shows; the lock, not this text, is what keeps it out.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace mqgate::store
