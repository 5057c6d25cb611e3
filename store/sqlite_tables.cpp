#include "store/sqlite_tables.hpp"

#include <sqlite3.h>

#include <map>

#include "store/errors.hpp"
#include "store/load_check.hpp"

namespace mqgate::store {

namespace {

std::int64_t signed_id(std::uint64_t id) { return static_cast<std::int64_t>(id); }

}  // namespace

// The statements that write the tables, prepared once.
struct SqliteTables::Statements {
    explicit Statements(SqliteDb& db)
        : put_message(db, "INSERT INTO messages(id, topic, payload, qos, retain, timestamp_ms, origin_client_id) "
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
          collect(db, "DELETE FROM messages WHERE refs = 0") {}

    SqliteStatement put_message, put_retained, erase_retained, insert_session, erase_session, subscribe, unsubscribe,
        enqueue, dequeue, put_inflight, erase_inflight, put_inbound, erase_inbound, append, remove;
    SqliteStatement clear_sessions, clear_retained, collect;
};

SqliteTables::SqliteTables(SqliteDb& db) : db_(db), s_(std::make_unique<Statements>(db)) {}

SqliteTables::~SqliteTables() = default;

int SqliteTables::apply(const Operation& o) {
    return std::visit([this](const auto& x) { return apply(x); }, o);
}

int SqliteTables::collect() { return s_->collect.run(); }

int SqliteTables::apply(const op::PutMessage& o) {
    const StoredMessage& m = o.message;
    return s_->put_message.bind(1, signed_id(o.id))
        .bind_text(2, m.topic)
        .bind_blob(3, m.payload)
        .bind(4, m.qos)
        .bind(5, m.retain)
        .bind(6, m.timestamp_ms)
        .bind_text(7, m.origin_client_id)
        .run();
}
int SqliteTables::apply(const op::PutRetained& o) {
    return s_->put_retained.bind_text(1, o.topic).bind(2, signed_id(o.message)).run();
}
int SqliteTables::apply(const op::EraseRetained& o) { return s_->erase_retained.bind_text(1, o.topic).run(); }
int SqliteTables::apply(const op::PutSession& o) {
    if (const int rc = apply(op::EraseSession{o.client_id}); rc != SQLITE_OK) return rc;
    return s_->insert_session.bind_text(1, o.client_id).run();
}
int SqliteTables::apply(const op::EraseSession& o) { return s_->erase_session.bind_text(1, o.client_id).run(); }
int SqliteTables::apply(const op::Subscribe& o) {
    return s_->subscribe.bind_text(1, o.client_id)
        .bind_text(2, o.subscription.filter)
        .bind(3, o.subscription.qos)
        .run();
}
int SqliteTables::apply(const op::Unsubscribe& o) {
    return s_->unsubscribe.bind_text(1, o.client_id).bind_text(2, o.filter).run();
}
int SqliteTables::apply(const op::Enqueue& o) {
    return s_->enqueue.bind_text(1, o.client_id)
        .bind(2, signed_id(o.entry.seq))
        .bind(3, signed_id(o.entry.message))
        .bind(4, o.entry.qos)
        .bind(5, o.entry.retain)
        .run();
}
int SqliteTables::apply(const op::Dequeue& o) {
    return s_->dequeue.bind_text(1, o.client_id).bind(2, signed_id(o.seq)).run();
}
int SqliteTables::apply(const op::PutInflight& o) {
    const InflightRecord& f = o.entry;
    return s_->put_inflight.bind_text(1, o.client_id)
        .bind(2, f.packet_id)
        .bind(3, signed_id(f.seq))
        .bind(4, signed_id(f.message))
        .bind(5, f.qos)
        .bind(6, f.retain)
        .bind(7, static_cast<int>(f.stage))
        .bind(8, f.dup)
        .run();
}
int SqliteTables::apply(const op::EraseInflight& o) {
    return s_->erase_inflight.bind_text(1, o.client_id).bind(2, o.packet_id).run();
}
int SqliteTables::apply(const op::PutInbound& o) {
    return s_->put_inbound.bind_text(1, o.client_id)
        .bind(2, o.entry.packet_id)
        .bind(3, o.entry.received_at_ms)
        .run();
}
int SqliteTables::apply(const op::EraseInbound& o) {
    return s_->erase_inbound.bind_text(1, o.client_id).bind(2, o.packet_id).run();
}
int SqliteTables::apply(const op::ClearBrokerState&) {
    if (const int rc = s_->clear_sessions.run(); rc != SQLITE_OK) return rc;
    return s_->clear_retained.run();
}
int SqliteTables::apply(const op::Append& o) {
    return s_->append.bind_text(1, o.queue).bind(2, signed_id(o.item.seq)).bind_blob(3, o.item.data).run();
}
int SqliteTables::apply(const op::Remove& o) { return s_->remove.bind_text(1, o.queue).bind(2, signed_id(o.seq)).run(); }

namespace {

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

}  // namespace

LoadedState SqliteTables::read(std::uint64_t next) {
    LoadedState state;
    const std::string& path = db_.path();

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

std::vector<QueueItem> SqliteTables::read_queue(const std::string& queue, std::uint64_t after, std::size_t limit) {
    std::vector<QueueItem> items;
    SqliteStatement stmt(db_, "SELECT seq, data FROM queue_items WHERE queue = ? AND seq > ? ORDER BY seq LIMIT ?");
    stmt.bind_text(1, queue).bind(2, signed_id(after)).bind(3, static_cast<std::int64_t>(limit));
    read_rows(db_, stmt, [&](auto& r) { items.push_back({static_cast<std::uint64_t>(r.column_int(0)), r.column_string(1)}); });
    return items;
}

}  // namespace mqgate::store
