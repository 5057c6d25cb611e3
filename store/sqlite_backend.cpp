// The SQLite backend: one file in WAL mode, one connection used by the
// store thread.
//
// A commit writes one journal row (journal_codec.hpp) with the broker-state
// operations of its batches, the named-queue items to their table, and
// next_id, in one transaction: one statement where the tables would take
// several per message. Whether a batch keeps Batch's rules is decided before,
// against an index of what exists (a memory backend that keeps references
// only), so a batch that breaks one is refused alone. When the journal has
// grown past a bound, fold() applies it to the tables in one transaction,
// after dropping what later operations undid (compact.hpp): under steady
// traffic to persistent sessions nearly every queued message is sent and
// acknowledged before then and never reaches the tables. Opening the file
// replays the journal on top of the tables; closing the store folds it.
#include <sqlite3.h>
#include <sys/stat.h>

#include <optional>

#include "store/backend.hpp"
#include "store/compact.hpp"
#include "store/errors.hpp"
#include "store/file_lock.hpp"
#include "store/journal_codec.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_schema.hpp"
#include "store/sqlite_tables.hpp"

namespace mqgate::store {

namespace {

// Past either bound the journal is folded into the tables. The window lets queue entries and
// in-flight entries cancel out with their acknowledgements (~25 ms of QoS 1 traffic at 50k
// messages/s, several commits). It is kept short because commits wait while a fold runs, and QoS 1
// deliveries do not: a 50,000-operation fold took 55-75 ms (0.5-0.7 s under ASan), during which a
// subscriber drained its backlog with none of it recorded, all sent again after a kill -9.
constexpr std::size_t kFoldOperations = 5000;
constexpr std::size_t kFoldBytes = 4 << 20;

std::int64_t signed_id(std::uint64_t id) { return static_cast<std::int64_t>(id); }

// A rule of Batch broken (a missing session or message, a too large value): the batch's own fault.
bool batch_error(int rc) {
    const int primary = rc & 0xff;
    return primary == SQLITE_CONSTRAINT || primary == SQLITE_TOOBIG || primary == SQLITE_MISMATCH ||
           primary == SQLITE_RANGE;
}

// SQLITE_FULL is a full disk (ENOSPC); anything else, a file-size limit or a quota included (SQLite
// reports those as SQLITE_IOERR_WRITE), is an I/O error.
std::error_code write_error(int rc) { return (rc & 0xff) == SQLITE_FULL ? errc::disk_full : errc::io_error; }

std::uint64_t size_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// The statements are prepared once the schema exists.
SqliteDb& prepared(SqliteDb& db, Sync sync) {
    prepare_store_file(db, sync);
    return db;
}

// `state` as one batch that recreates it in an empty backend.
Batch as_batch(const LoadedState& state, MemoryKeeps keeps) {
    Batch b;
    for (const auto& [id, m] : state.messages)
        b.add(op::PutMessage{id, keeps == MemoryKeeps::everything ? m : StoredMessage{}});
    for (const RetainedRecord& r : state.retained) b.add(op::PutRetained{r.topic, r.message});
    for (const SessionRecord& s : state.sessions) {
        b.add(op::PutSession{s.client_id});
        for (const auto& x : s.subscriptions) b.add(op::Subscribe{s.client_id, x});
        for (const auto& x : s.queue) b.add(op::Enqueue{s.client_id, x});
        for (const auto& x : s.inflight) b.add(op::PutInflight{s.client_id, x});
        for (const auto& x : s.inbound) b.add(op::PutInbound{s.client_id, x});
    }
    if (keeps == MemoryKeeps::everything)
        for (const auto& [name, items] : state.queues)
            for (const QueueItem& item : items) b.add(op::Append{name, item});
    return b;
}

std::unique_ptr<Backend> memory_copy(const LoadedState& state, MemoryKeeps keeps) {
    auto backend = make_memory_backend(keeps);
    Pending all{as_batch(state, keeps), {}, {}};
    backend->commit(std::span(&all, 1), state.next_id);
    return backend;
}

struct TransactionStatements {
    explicit TransactionStatements(SqliteDb& db)
        : begin(db, "BEGIN IMMEDIATE"),
          commit(db, "COMMIT"),
          savepoint(db, "SAVEPOINT batch"),
          release(db, "RELEASE batch"),
          rollback_to(db, "ROLLBACK TO batch"),
          append_journal(db, "INSERT INTO journal(ops) VALUES(?)"),
          read_journal(db, "SELECT seq, ops FROM journal ORDER BY seq"),
          trim_journal(db, "DELETE FROM journal WHERE seq <= ?"),
          set_next_id(db, "UPDATE meta SET value = max(value, ?) WHERE key = 'next_id'") {}

    SqliteStatement begin, commit, savepoint, release, rollback_to;
    SqliteStatement append_journal, read_journal, trim_journal, set_next_id;
};

class SqliteBackend final : public Backend {
public:
    SqliteBackend(const std::string& path, Sync sync)
        : lock_(path), db_(path), tables_(prepared(db_, sync)), s_(db_) {
        SqliteStatement stmt(db_, "SELECT value FROM meta WHERE key = 'next_id'");
        if (stmt.step() != SQLITE_ROW) throw StoreError(db_.describe("cannot read next_id"));
        next_id_ = static_cast<std::uint64_t>(stmt.column_int(0));
        loaded_ = read_all();
        index_ = memory_copy(*loaded_, MemoryKeeps::references);
    }

    std::error_code commit(std::span<Pending> batches, std::uint64_t next_id) override {
        loaded_.reset();  // no longer what is stored
        if (!index_) {
            // A failed commit left the index ahead of the file: rebuild it from the file.
            try {
                index_ = memory_copy(read_all(), MemoryKeeps::references);
            } catch (const StoreError&) {
                return fail(SQLITE_IOERR, batches);
            }
        }
        index_->commit(batches, next_id);  // sets errc::invalid_batch where a rule is broken
        std::vector<const Batch*> valid;
        for (const Pending& p : batches)
            if (!p.result) valid.push_back(&p.batch);

        row_.clear();
        const std::size_t operations = encode_journal_row(valid, row_);
        if (const int rc = s_.begin.run(); rc != SQLITE_OK) return fail(rc, batches);
        if (operations > 0)
            if (const int rc = s_.append_journal.bind_blob(1, row_).run(); rc != SQLITE_OK) return fail(rc, batches);
        for (const Batch* b : valid)
            for (const Operation& o : b->operations())
                if (!journaled(o))
                    if (const int rc = tables_.apply(o); rc != SQLITE_OK) return fail(rc, batches);
        if (const int rc = s_.set_next_id.bind(1, signed_id(next_id)).run(); rc != SQLITE_OK) return fail(rc, batches);
        if (const int rc = s_.commit.run(); rc != SQLITE_OK) return fail(rc, batches);
        next_id_ = std::max(next_id_, next_id);
        journal_operations_ += operations;
        journal_bytes_ += row_.size();
        if (row_.capacity() > kFoldBytes) row_ = {};  // a burst's buffer is not kept
        return {};
    }

    LoadedState load() override {
        if (loaded_) {
            LoadedState state = std::move(*loaded_);
            loaded_.reset();
            return state;
        }
        return read_all();
    }

    std::vector<QueueItem> read_queue(const std::string& queue, std::uint64_t after, std::size_t limit) override {
        return tables_.read_queue(queue, after, limit);
    }
    std::uint64_t stored_next_id() const override { return next_id_; }
    std::uint64_t file_bytes() const override { return size_of(db_.path()) + size_of(db_.path() + "-wal"); }

    void tidy(bool closing) override {
        const bool due = journal_operations_ >= fold_after_operations_ || journal_bytes_ >= fold_after_bytes_;
        if ((closing && journal_operations_ > 0) || due) fold();
    }

private:
    // The transaction failed as a whole: undo it (SQLite may have already) and fail every batch. The
    // index took the batches already; it is rebuilt before the next commit.
    std::error_code fail(int rc, std::span<Pending> batches) {
        const std::error_code ec = write_error(rc);
        if (db_.in_transaction()) db_.exec("ROLLBACK");
        for (Pending& p : batches) p.result = ec;
        index_.reset();
        return ec;
    }

    // The journal's rows in order, as commit groups, and the last row's seq (0 if none); counts what
    // it holds. Throws StoreError naming the first row that is not one commit() wrote.
    std::vector<std::vector<Pending>> read_journal(std::int64_t& last) {
        std::vector<std::vector<Pending>> rows;
        last = 0;
        journal_operations_ = journal_bytes_ = 0;
        int rc = SQLITE_ROW;
        std::vector<Batch> batches;
        while ((rc = s_.read_journal.step()) == SQLITE_ROW) {
            last = s_.read_journal.column_int(0);
            batches.clear();
            const std::string row = s_.read_journal.column_string(1);
            journal_bytes_ += row.size();
            if (!decode_journal_row(row, batches)) {
                s_.read_journal.reset();
                throw StoreError(db_.path() + ": corrupt: journal row " + std::to_string(last) + " cannot be read");
            }
            auto& group = rows.emplace_back();
            for (Batch& b : batches) {
                journal_operations_ += b.size();
                group.push_back(Pending{std::move(b), {}, {}});
            }
        }
        s_.read_journal.reset();
        if (rc != SQLITE_DONE) throw StoreError(db_.describe("cannot read the journal"));
        return rows;
    }

    // The tables with the journal replayed on top: everything committed.
    LoadedState read_all() {
        LoadedState state = tables_.read(next_id_);
        std::int64_t last = 0;
        auto rows = read_journal(last);
        if (rows.empty()) return state;
        auto replay = memory_copy(state, MemoryKeeps::everything);
        for (auto& group : rows) {
            replay->commit(group, next_id_);
            for (const Pending& p : group)
                if (p.result)
                    throw StoreError(db_.path() + ": corrupt: the journal does not fit the tables (up to row " +
                                     std::to_string(last) + ")");
        }
        state = replay->load();
        state.next_id = next_id_;
        return state;
    }

    // Applies the journal to the tables and empties it, in one transaction. A failure (disk full)
    // leaves both as they were; the next try waits until the journal has grown by another bound.
    void fold() {
        fold_after_operations_ = journal_operations_ + kFoldOperations;
        fold_after_bytes_ = journal_bytes_ + kFoldBytes;
        std::int64_t last = 0;
        std::vector<Pending> all;
        try {
            for (auto& group : read_journal(last))
                for (Pending& p : group) all.push_back(std::move(p));
        } catch (const StoreError&) {
            return;  // damage under the running store: open will name it
        }
        compact(all);
        if (!write_folded(all, last)) {
            if (db_.in_transaction()) db_.exec("ROLLBACK");
            return;
        }
        journal_operations_ = journal_bytes_ = 0;
        fold_after_operations_ = kFoldOperations;
        fold_after_bytes_ = kFoldBytes;
    }

    bool write_folded(std::span<Pending> all, std::int64_t last) {
        if (s_.begin.run() != SQLITE_OK) return false;
        for (Pending& p : all) {
            if (p.batch.empty()) continue;
            if (s_.savepoint.run() != SQLITE_OK) return false;
            int rc = SQLITE_OK;
            for (const Operation& o : p.batch.operations())
                if ((rc = tables_.apply(o)) != SQLITE_OK) break;
            if (rc != SQLITE_OK && !batch_error(rc)) return false;
            // The index let it through, so the tables should too; if they do not, the batch alone is
            // lost rather than every later one.
            if (rc != SQLITE_OK && s_.rollback_to.run() != SQLITE_OK) return false;
            if (s_.release.run() != SQLITE_OK) return false;
        }
        return tables_.collect() == SQLITE_OK && s_.trim_journal.bind(1, last).run() == SQLITE_OK &&
               s_.commit.run() == SQLITE_OK;
    }

    FileLock lock_;  // first: no second process opens the file while this one has it
    SqliteDb db_;
    SqliteTables tables_;
    TransactionStatements s_;
    std::uint64_t next_id_ = 1;
    std::unique_ptr<Backend> index_;     // what exists, as committed; null after a failed commit
    std::optional<LoadedState> loaded_;  // read on open, for a load() before the first commit
    std::string row_;                    // the journal row being written, reused
    std::size_t journal_operations_ = 0;  // written to the journal since the last fold
    std::size_t journal_bytes_ = 0;
    std::size_t fold_after_operations_ = kFoldOperations;
    std::size_t fold_after_bytes_ = kFoldBytes;
};

}  // namespace

std::unique_ptr<Backend> open_sqlite_backend(const std::string& path, Sync sync) {
    return std::make_unique<SqliteBackend>(path, sync);
}

}  // namespace mqgate::store
