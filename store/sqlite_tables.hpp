// The tables of the SQLite store (sqlite_schema.cpp): what an operation
// writes to them, and reading them back. The caller runs the transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/batch.hpp"
#include "store/records.hpp"
#include "store/sqlite_db.hpp"

namespace mqgate::store {

class SqliteTables {
public:
    explicit SqliteTables(SqliteDb& db);  // throws StoreError
    ~SqliteTables();

    // Writes `o`: SQLITE_OK or the error's code.
    int apply(const Operation& o);
    // Deletes the messages nothing refers to any more; for the end of a transaction.
    int collect();
    // Every row, checked (load_check.hpp); ids and seqs must be below `next_id`. Throws StoreError.
    LoadedState read(std::uint64_t next_id);
    // Up to `limit` items of the named queue `queue` with a seq above `after`, in seq order. Throws StoreError.
    std::vector<QueueItem> read_queue(const std::string& queue, std::uint64_t after, std::size_t limit);

private:
    struct Statements;
    int apply(const op::PutMessage& o);
    int apply(const op::PutRetained& o);
    int apply(const op::EraseRetained& o);
    int apply(const op::PutSession& o);
    int apply(const op::EraseSession& o);
    int apply(const op::Subscribe& o);
    int apply(const op::Unsubscribe& o);
    int apply(const op::Enqueue& o);
    int apply(const op::Dequeue& o);
    int apply(const op::PutInflight& o);
    int apply(const op::EraseInflight& o);
    int apply(const op::PutInbound& o);
    int apply(const op::EraseInbound& o);
    int apply(const op::ClearBrokerState& o);
    int apply(const op::Append& o);
    int apply(const op::Remove& o);

    SqliteDb& db_;
    std::unique_ptr<Statements> s_;
};

}  // namespace mqgate::store
