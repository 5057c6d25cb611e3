// The SQLite backend: one file in WAL mode, one connection used by the
// store thread. A commit is one transaction with a savepoint per batch, so
// a batch that breaks a rule is undone alone while a write error (disk
// full, I/O) undoes the whole transaction and leaves the file as the last
// commit left it.
#include <sqlite3.h>
#include <sys/stat.h>

#include <map>

#include "store/backend.hpp"
#include "store/errors.hpp"
#include "store/file_lock.hpp"
#include "store/load_check.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_schema.hpp"

namespace mqgate::store {

namespace {

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

// The statements a commit runs, prepared once.
struct WriteStatements {
    explicit WriteStatements(SqliteDb& db)
        : begin(db, "BEGIN IMMEDIATE"),
          commit(db, "COMMIT"),
          savepoint(db, "SAVEPOINT batch"),
          release(db, "RELEASE batch"),
          rollback_to(db, "ROLLBACK TO batch"),
          put_message(db, "INSERT INTO messages(id, topic, payload, qos, retain, timestamp_ms, origin_client_id) "
                          "VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING"),
          put_retained(db, "INSERT INTO retained VALUES(?, ?) "
                           "ON CONFLICT(topic) DO UPDATE SET message_id = excluded.message_id"),
          erase_retained(db, "DELETE FROM retained WHERE topic = ?"),
          insert_session(db, "INSERT INTO sessions VALUES(?)"),
          erase_session(db, "DELETE FROM sessions WHERE client_id = ?"),
          subscribe(db, "INSERT INTO subscriptions VALUES(?, ?, ?) "
                        "ON CONFLICT(client_id, filter) DO UPDATE SET qos = excluded.qos"),
          unsubscribe(db, "DELETE FROM subscriptions WHERE client_id = ? AND filter = ?"),
          enqueue(db, "INSERT INTO session_queue VALUES(?, ?, ?, ?, ?) ON CONFLICT(client_id, seq) DO UPDATE "
                      "SET message_id = excluded.message_id, qos = excluded.qos, retain = excluded.retain"),
          dequeue(db, "DELETE FROM session_queue WHERE client_id = ? AND seq = ?"),
          put_inflight(db, "INSERT INTO inflight VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(client_id, packet_id) "
                           "DO UPDATE SET seq = excluded.seq, message_id = excluded.message_id, qos = excluded.qos, "
                           "retain = excluded.retain, stage = excluded.stage, dup = excluded.dup"),
          erase_inflight(db, "DELETE FROM inflight WHERE client_id = ? AND packet_id = ?"),
          put_inbound(db, "INSERT INTO inbound_qos2 VALUES(?, ?, ?) "
                          "ON CONFLICT(client_id, packet_id) DO UPDATE SET received_at_ms = excluded.received_at_ms"),
          erase_inbound(db, "DELETE FROM inbound_qos2 WHERE client_id = ? AND packet_id = ?"),
          append(db, "INSERT INTO queue_items VALUES(?, ?, ?) ON CONFLICT(queue, seq) DO UPDATE SET data = excluded.data"),
          remove(db, "DELETE FROM queue_items WHERE queue = ? AND seq = ?"),
          clear_sessions(db, "DELETE FROM sessions"),
          clear_retained(db, "DELETE FROM retained"),
          collect(db, "DELETE FROM messages WHERE refs = 0"),
          set_next_id(db, "UPDATE meta SET value = max(value, ?) WHERE key = 'next_id'") {}

    SqliteStatement begin, commit, savepoint, release, rollback_to;
    SqliteStatement put_message, put_retained, erase_retained, insert_session, erase_session, subscribe, unsubscribe,
        enqueue, dequeue, put_inflight, erase_inflight, put_inbound, erase_inbound, append, remove;
    SqliteStatement clear_sessions, clear_retained, collect, set_next_id;
};

class SqliteBackend final : public Backend {
public:
    SqliteBackend(const std::string& path, Sync sync) : lock_(path), db_(path), statements_(prepared(db_, sync)) {
        SqliteStatement stmt(db_, "SELECT value FROM meta WHERE key = 'next_id'");
        if (stmt.step() != SQLITE_ROW) throw StoreError(db_.describe("cannot read next_id"));
        next_id_ = static_cast<std::uint64_t>(stmt.column_int(0));
    }

    std::error_code commit(std::span<Pending> batches, std::uint64_t next_id) override {
        auto& s = statements_;
        if (const int rc = s.begin.run(); rc != SQLITE_OK) return fail(rc, batches);
        for (Pending& p : batches) {
            if (!values_valid(p.batch)) {
                p.result = errc::invalid_batch;
                continue;
            }
            if (const int rc = s.savepoint.run(); rc != SQLITE_OK) return fail(rc, batches);
            int rc = SQLITE_OK;
            for (const Operation& o : p.batch.operations()) {
                rc = std::visit([this](const auto& x) { return apply(x); }, o);
                if (rc != SQLITE_OK) break;
            }
            if (rc != SQLITE_OK && !batch_error(rc)) return fail(rc, batches);
            if (rc != SQLITE_OK) {
                p.result = errc::invalid_batch;
                if (const int undo = s.rollback_to.run(); undo != SQLITE_OK) return fail(undo, batches);
            }
            if (const int done = s.release.run(); done != SQLITE_OK) return fail(done, batches);
        }
        if (const int rc = s.collect.run(); rc != SQLITE_OK) return fail(rc, batches);
        if (const int rc = s.set_next_id.bind(1, signed_id(next_id)).run(); rc != SQLITE_OK) return fail(rc, batches);
        if (const int rc = s.commit.run(); rc != SQLITE_OK) return fail(rc, batches);
        next_id_ = std::max(next_id_, next_id);
        return {};
    }

    LoadedState load() override;
    std::vector<QueueItem> read_queue(const std::string& queue, std::uint64_t after, std::size_t limit) override;
    std::uint64_t stored_next_id() const override { return next_id_; }
    std::uint64_t file_bytes() const override { return size_of(db_.path()) + size_of(db_.path() + "-wal"); }

private:
    // The transaction failed as a whole: undo it (SQLite may have already) and fail every batch.
    std::error_code fail(int rc, std::span<Pending> batches) {
        const std::error_code ec = write_error(rc);
        if (db_.in_transaction()) db_.exec("ROLLBACK");
        for (Pending& p : batches) p.result = ec;
        return ec;
    }

    int apply(const op::PutMessage& o) {
        const StoredMessage& m = o.message;
        return statements_.put_message.bind(1, signed_id(o.id))
            .bind_text(2, m.topic)
            .bind_blob(3, m.payload)
            .bind(4, m.qos)
            .bind(5, m.retain)
            .bind(6, m.timestamp_ms)
            .bind_text(7, m.origin_client_id)
            .run();
    }
    int apply(const op::PutRetained& o) {
        return statements_.put_retained.bind_text(1, o.topic).bind(2, signed_id(o.message)).run();
    }
    int apply(const op::EraseRetained& o) { return statements_.erase_retained.bind_text(1, o.topic).run(); }
    int apply(const op::PutSession& o) {
        if (const int rc = apply(op::EraseSession{o.client_id}); rc != SQLITE_OK) return rc;
        return statements_.insert_session.bind_text(1, o.client_id).run();
    }
    int apply(const op::EraseSession& o) { return statements_.erase_session.bind_text(1, o.client_id).run(); }
    int apply(const op::Subscribe& o) {
        return statements_.subscribe.bind_text(1, o.client_id)
            .bind_text(2, o.subscription.filter)
            .bind(3, o.subscription.qos)
            .run();
    }
    int apply(const op::Unsubscribe& o) {
        return statements_.unsubscribe.bind_text(1, o.client_id).bind_text(2, o.filter).run();
    }
    int apply(const op::Enqueue& o) {
        return statements_.enqueue.bind_text(1, o.client_id)
            .bind(2, signed_id(o.entry.seq))
            .bind(3, signed_id(o.entry.message))
            .bind(4, o.entry.qos)
            .bind(5, o.entry.retain)
            .run();
    }
    int apply(const op::Dequeue& o) {
        return statements_.dequeue.bind_text(1, o.client_id).bind(2, signed_id(o.seq)).run();
    }
    int apply(const op::PutInflight& o) {
        const InflightRecord& f = o.entry;
        return statements_.put_inflight.bind_text(1, o.client_id)
            .bind(2, f.packet_id)
            .bind(3, signed_id(f.seq))
            .bind(4, signed_id(f.message))
            .bind(5, f.qos)
            .bind(6, f.retain)
            .bind(7, static_cast<int>(f.stage))
            .bind(8, f.dup)
            .run();
    }
    int apply(const op::EraseInflight& o) {
        return statements_.erase_inflight.bind_text(1, o.client_id).bind(2, o.packet_id).run();
    }
    int apply(const op::PutInbound& o) {
        return statements_.put_inbound.bind_text(1, o.client_id)
            .bind(2, o.entry.packet_id)
            .bind(3, o.entry.received_at_ms)
            .run();
    }
    int apply(const op::EraseInbound& o) {
        return statements_.erase_inbound.bind_text(1, o.client_id).bind(2, o.packet_id).run();
    }
    int apply(const op::ClearBrokerState&) {
        if (const int rc = statements_.clear_sessions.run(); rc != SQLITE_OK) return rc;
        return statements_.clear_retained.run();
    }
    int apply(const op::Append& o) {
        return statements_.append.bind_text(1, o.queue).bind(2, signed_id(o.item.seq)).bind_blob(3, o.item.data).run();
    }
    int apply(const op::Remove& o) { return statements_.remove.bind_text(1, o.queue).bind(2, signed_id(o.seq)).run(); }

    FileLock lock_;  // first: no second process opens the file while this one has it
    SqliteDb db_;
    WriteStatements statements_;
    std::uint64_t next_id_ = 1;
};

// Calls `row` for each row of `stmt`, throwing StoreError when the file cannot be read.
template <typename Row>
void read_rows(SqliteDb& db, SqliteStatement& stmt, Row&& row) {
    int rc = SQLITE_ROW;
    while ((rc = stmt.step()) == SQLITE_ROW) row(stmt);
    if (rc != SQLITE_DONE) throw StoreError(db.describe("cannot load"));
}

template <typename Row>
void read_rows(SqliteDb& db, const char* sql, Row&& row) {
    SqliteStatement stmt(db, sql);
    read_rows(db, stmt, row);
}

LoadedState SqliteBackend::load() {
    LoadedState state;
    const std::string& path = db_.path();
    const std::uint64_t next = next_id_;

    const RowCheck messages(path, "messages");
    read_rows(db_, "SELECT id, topic, payload, qos, retain, timestamp_ms, origin_client_id FROM messages", [&](auto& r) {
        state.messages.emplace(messages.id(r, 0, "id", next),
                               StoredMessage{r.column_string(1), r.column_string(2), messages.qos(r, 3),
                                             r.column_int(4) != 0, r.column_int(5), r.column_string(6)});
    });
    const RowCheck retained(path, "retained");
    read_rows(db_, "SELECT topic, message_id FROM retained ORDER BY topic", [&](auto& r) {
        state.retained.push_back({r.column_string(0), retained.id(r, 1, "message_id", next)});
    });

    std::map<std::string, SessionRecord> sessions;
    read_rows(db_, "SELECT client_id FROM sessions", [&](auto& r) {
        std::string client_id = r.column_string(0);
        sessions[client_id].client_id = client_id;
    });
    // The session a row of `table` belongs to: a row without one is damage
    // (the store deletes them together; only a foreign writer without
    // foreign keys leaves one behind).
    const auto session_of = [&](const SqliteStatement& r, const char* table) -> SessionRecord& {
        const auto it = sessions.find(r.column_string(0));
        if (it == sessions.end())
            throw StoreError(path + ": corrupt: " + table + " has a row of client '" + r.column_string(0) +
                             "', which has no session");
        return it->second;
    };
    const RowCheck subscriptions(path, "subscriptions");
    read_rows(db_, "SELECT client_id, filter, qos FROM subscriptions ORDER BY client_id, filter", [&](auto& r) {
        session_of(r, "subscriptions").subscriptions.push_back({r.column_string(1), subscriptions.qos(r, 2)});
    });
    const RowCheck queue(path, "session_queue");
    read_rows(db_, "SELECT client_id, seq, message_id, qos, retain FROM session_queue ORDER BY client_id, seq",
              [&](auto& r) {
                  session_of(r, "session_queue")
                      .queue.push_back({queue.id(r, 1, "seq", next), queue.id(r, 2, "message_id", next),
                                        queue.qos(r, 3), r.column_int(4) != 0});
              });
    const RowCheck inflight(path, "inflight");
    read_rows(db_,
              "SELECT client_id, packet_id, seq, message_id, qos, retain, stage, dup FROM inflight "
              "ORDER BY client_id, seq",
              [&](auto& r) {
                  session_of(r, "inflight")
                      .inflight.push_back({inflight.packet_id(r, 1), inflight.id(r, 2, "seq", next),
                                           inflight.id(r, 3, "message_id", next),
                                           static_cast<std::uint8_t>(inflight.in_range(r, 4, "qos", 1, 2)),
                                           r.column_int(5) != 0,
                                           static_cast<InflightStage>(inflight.in_range(r, 6, "stage", 1, 3)),
                                           r.column_int(7) != 0});
              });
    const RowCheck inbound(path, "inbound_qos2");
    read_rows(db_, "SELECT client_id, packet_id, received_at_ms FROM inbound_qos2 ORDER BY client_id, packet_id",
              [&](auto& r) {
                  session_of(r, "inbound_qos2").inbound.push_back({inbound.packet_id(r, 1), r.column_int(2)});
              });
    for (auto& [client_id, session] : sessions) state.sessions.push_back(std::move(session));

    const RowCheck items(path, "queue_items");
    read_rows(db_, "SELECT queue, seq, data FROM queue_items ORDER BY queue, seq", [&](auto& r) {
        state.queues[r.column_string(0)].push_back({items.id(r, 1, "seq", next), r.column_string(2)});
    });
    check_references(state, path);
    state.next_id = next;
    return state;
}

std::vector<QueueItem> SqliteBackend::read_queue(const std::string& queue, std::uint64_t after, std::size_t limit) {
    std::vector<QueueItem> items;
    SqliteStatement stmt(db_, "SELECT seq, data FROM queue_items WHERE queue = ? AND seq > ? ORDER BY seq LIMIT ?");
    stmt.bind_text(1, queue).bind(2, signed_id(after)).bind(3, static_cast<std::int64_t>(limit));
    read_rows(db_, stmt, [&](auto& r) { items.push_back({static_cast<std::uint64_t>(r.column_int(0)), r.column_string(1)}); });
    return items;
}

}  // namespace

std::unique_ptr<Backend> open_sqlite_backend(const std::string& path, Sync sync) {
    return std::make_unique<SqliteBackend>(path, sync);
}

}  // namespace mqgate::store
