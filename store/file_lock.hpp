// One process per store file: an exclusive flock(2) on "<store path>.lock",
// held for the backend's life. Two mqgate processes on one data directory
// would each commit their own view of the sessions and queues over the
// other's; the second one stops at start-up instead. The kernel drops the
// lock when the holder exits, however it exits (kill -9 included), so a
// stale lock file never blocks a restart.
#pragma once

#include <string>

namespace mqgate::store {

class FileLock {
public:
    // Throws StoreInUse naming the lock file and the holder's pid when another
    // process has it, StoreError when the lock file cannot be opened or locked.
    explicit FileLock(const std::string& store_path);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int fd_ = -1;
};

}  // namespace mqgate::store
