// The durable store: the one place broker state and the later durable
// queues (device commands, webhook outbox, bridge queue) are written.
//
// Writes are batches (batch.hpp) handed to submit() from any thread. One
// store thread takes every batch submitted while the previous commit ran and
// commits them in ONE transaction (group commit), then calls each batch's
// callback, from the store thread, with the outcome: success means the
// batch is durable as StoreOptions::sync says. Reads happen at start-up
// (load()). Before a commit, writes that a later batch of the same group
// undoes are dropped (compact.hpp); a group with nothing left commits
// without touching the disk.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "store/backend.hpp"
#include "store/batch.hpp"
#include "store/errors.hpp"
#include "store/options.hpp"
#include "store/records.hpp"

namespace mqgate::store {

struct StoreStats {
    std::uint64_t commits = 0;              // transactions committed
    std::uint64_t batches = 0;              // batches committed (invalid ones not counted)
    std::uint64_t operations = 0;           // operations of those batches written
    std::uint64_t cancelled_operations = 0; // operations a later one of the same commit undid (compact.hpp)
    std::uint64_t empty_commits = 0;        // commits with nothing left to write: no transaction, no sync
    std::uint64_t invalid_batches = 0;
    std::uint64_t failed_commits = 0;       // transactions that failed to write (disk full, I/O error)
    std::uint64_t write_error_episodes = 0; // runs of failed commits ended by a successful one or ongoing
    bool write_failing = false;             // the last commit failed: an episode is going on
    std::uint64_t last_commit_us = 0;
    std::uint64_t avg_commit_us = 0;        // over every commit attempt
    std::uint64_t file_bytes = 0;           // database and write-ahead log
    std::uint64_t pending_batches = 0;      // submitted, callback not yet called
};

class Store {
public:
    // Opens (creating it if needed) the store StoreOptions names. Throws StoreError naming the file
    // and the reason when the file cannot be opened, is not a mqgate store, has a newer schema or is
    // corrupt.
    static std::unique_ptr<Store> open(const StoreOptions& options);
    ~Store();  // close()
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Everything committed, after what was submitted before the call has committed. Meant for
    // start-up; throws StoreError if the file cannot be read.
    LoadedState load();

    // Up to `limit` items of the named queue `queue` with a seq above `after`, in seq order, as
    // committed: for a queue's consumer paging through it. Reads the disk on the calling thread;
    // throws StoreError if the file cannot be read.
    std::vector<QueueItem> read_queue(const std::string& queue, std::uint64_t after, std::size_t limit);

    // A fresh id for a message, a queue entry's seq or a named queue item's seq: unique within the
    // store and increasing, also across restarts.
    std::uint64_t next_id() noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed); }

    // Queues `batch` for the next commit; `done` is called once, from the store thread, with its
    // outcome (it must not throw, and should only hand the result to the caller's own thread).
    // Returns errc::queue_full (max_pending_batches pending) or errc::closed without queuing, and
    // then never calls `done`.
    std::error_code submit(Batch batch, CommitCallback done);

    // Waits until everything submitted before the call has committed and its callback returned.
    void flush();
    StoreStats stats() const;
    // Commits what is pending, then stops the store thread. Later submits get errc::closed.
    void close();

private:
    explicit Store(std::unique_ptr<Backend> backend, const StoreOptions& options);
    void run();
    void record_commit(std::error_code ec, std::size_t invalid, std::size_t batches, std::size_t operations,
                       std::size_t cancelled, bool empty, std::uint64_t micros);

    std::unique_ptr<Backend> backend_;
    std::size_t max_pending_;
    std::atomic<std::uint64_t> next_id_;

    mutable std::mutex mutex_;  // guards everything below, except the backend
    std::condition_variable work_cv_;
    std::condition_variable done_cv_;
    std::vector<Pending> queue_;
    std::uint64_t submitted_ = 0;
    std::uint64_t completed_ = 0;  // callbacks returned
    bool closing_ = false;
    StoreStats stats_;
    std::uint64_t total_commit_us_ = 0;
    std::uint64_t commit_attempts_ = 0;

    std::mutex backend_mutex_;  // the store thread's commit against load()
    std::thread thread_;
};

}  // namespace mqgate::store
