// How the store reports failure: error codes for writes (the hot path) and
// StoreError, an exception, for opening and loading (start-up only).
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace mqgate::store {

enum class errc {
    queue_full = 1,  // submit(): max_pending_batches batches wait already; nothing was queued
    closed,          // submit() after close()
    invalid_batch,   // the batch breaks a rule of Batch (see batch.hpp); nothing of it was written
    disk_full,       // no space left on the device: nothing of the commit was written
    io_error,        // any other write failure (a file-size limit, a quota, EIO): nothing of the commit was written
};

const std::error_category& store_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), store_category()}; }

// The store file cannot be used. what() names the file and the reason.
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Another process holds the store (store/file_lock.hpp).
class StoreInUse : public StoreError {
public:
    using StoreError::StoreError;
};

}  // namespace mqgate::store

template <>
struct std::is_error_code_enum<mqgate::store::errc> : std::true_type {};
