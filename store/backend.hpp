// What a storage engine implements behind Store (store.hpp), which owns the
// store thread and the group commit: a backend is only ever called from
// one thread at a time, so it needs no locking of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>
#include <system_error>

#include "store/batch.hpp"
#include "store/options.hpp"
#include "store/records.hpp"

namespace mqgate::store {

using CommitCallback = std::function<void(std::error_code)>;

// A submitted batch on its way to a commit.
struct Pending {
    Batch batch;
    CommitCallback done;
    std::error_code result;  // set by Backend::commit()
};

class Backend {
public:
    virtual ~Backend() = default;
    // Applies `batches` in order in one transaction and records `next_id` (every id handed out so far
    // is below it). A batch that breaks a rule of Batch gets errc::invalid_batch and leaves no trace;
    // the others commit. When the transaction fails every batch gets its error, which is returned,
    // and nothing of it stays.
    virtual std::error_code commit(std::span<Pending> batches, std::uint64_t next_id) = 0;
    // Everything committed. Throws StoreError if it cannot be read.
    virtual LoadedState load() = 0;
    // Up to `limit` items of the named queue `queue` with a seq above `after`, in seq order.
    // Throws StoreError if the file cannot be read.
    virtual std::vector<QueueItem> read_queue(const std::string& queue, std::uint64_t after, std::size_t limit) = 0;
    // The next_id recorded by the last commit (1 for a new store).
    virtual std::uint64_t stored_next_id() const = 0;
    // Bytes the store takes on disk (0 in memory). Called from any thread, also during commit().
    virtual std::uint64_t file_bytes() const = 0;
    // Work kept out of commit() (the SQLite backend folds its journal), done between commits;
    // `closing` after the last one.
    virtual void tidy(bool /*closing*/) {}
};

// A batch's values within their ranges: QoS 0-2, packet ids not 0, a known in-flight stage.
// Existence rules (a session, a message) are each backend's to check.
bool values_valid(const Batch& batch);

enum class MemoryKeeps {
    everything,
    // No message contents and no named queues: only what checking a batch's rules needs.
    references,
};
std::unique_ptr<Backend> make_memory_backend(MemoryKeeps keeps = MemoryKeeps::everything);
// Throws StoreError (see Store::open()).
std::unique_ptr<Backend> open_sqlite_backend(const std::string& path, Sync sync);

}  // namespace mqgate::store
