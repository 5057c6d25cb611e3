#include "store/sqlite_schema.hpp"

#include <sqlite3.h>

#include <string>

#include "store/errors.hpp"

namespace mqgate::store {

namespace {

// Version 1. Messages are stored once; retained topics, queue entries and in-flight entries refer to
// them by id, and triggers keep each message's count of references (`refs`) so a commit deletes the
// messages nothing refers to any more (found through the partial index, which holds only those).
// Text keys compare bytewise (SQLite's BINARY collation), so the primary key on retained(topic) serves
// a range scan from a topic filter's literal prefix.
constexpr const char* kSchemaV1 = R"sql(
PRAGMA application_id = 1836148596;
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES('next_id', 1);
CREATE TABLE messages(
    id INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL,
    retain INTEGER NOT NULL, timestamp_ms INTEGER NOT NULL, origin_client_id TEXT NOT NULL,
    refs INTEGER NOT NULL DEFAULT 0);
CREATE INDEX messages_unreferenced ON messages(id) WHERE refs = 0;
CREATE TABLE retained(topic TEXT PRIMARY KEY, message_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE sessions(client_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE subscriptions(
    client_id TEXT NOT NULL REFERENCES sessions(client_id) ON DELETE CASCADE, filter TEXT NOT NULL,
    qos INTEGER NOT NULL, PRIMARY KEY(client_id, filter)) WITHOUT ROWID;
CREATE TABLE session_queue(
    client_id TEXT NOT NULL REFERENCES sessions(client_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    message_id INTEGER NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
    PRIMARY KEY(client_id, seq)) WITHOUT ROWID;
CREATE TABLE inflight(
    client_id TEXT NOT NULL REFERENCES sessions(client_id) ON DELETE CASCADE, packet_id INTEGER NOT NULL,
    seq INTEGER NOT NULL, message_id INTEGER NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
    stage INTEGER NOT NULL, dup INTEGER NOT NULL, PRIMARY KEY(client_id, packet_id)) WITHOUT ROWID;
CREATE TABLE inbound_qos2(
    client_id TEXT NOT NULL REFERENCES sessions(client_id) ON DELETE CASCADE, packet_id INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL, PRIMARY KEY(client_id, packet_id)) WITHOUT ROWID;
CREATE TABLE queue_items(
    queue TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(queue, seq)) WITHOUT ROWID;
)sql";

// The reference-keeping triggers of one table with a message_id column.
std::string reference_triggers(const std::string& table) {
    const std::string check = "SELECT RAISE(ABORT, 'unknown message') WHERE NOT EXISTS "
                              "(SELECT 1 FROM messages WHERE id = new.message_id);";
    const std::string ref = "UPDATE messages SET refs = refs + 1 WHERE id = new.message_id;";
    const std::string unref = "UPDATE messages SET refs = refs - 1 WHERE id = old.message_id;";
    return "CREATE TRIGGER " + table + "_check_insert BEFORE INSERT ON " + table + " BEGIN " + check + " END;\n" +
           "CREATE TRIGGER " + table + "_check_update BEFORE UPDATE OF message_id ON " + table + " BEGIN " + check +
           " END;\n" + "CREATE TRIGGER " + table + "_ref AFTER INSERT ON " + table + " BEGIN " + ref + " END;\n" +
           "CREATE TRIGGER " + table + "_unref AFTER DELETE ON " + table + " BEGIN " + unref + " END;\n" +
           "CREATE TRIGGER " + table + "_reref AFTER UPDATE OF message_id ON " + table + " BEGIN " + unref + ref +
           " END;\n";
}

void create_v1(SqliteDb& db) {
    db.exec_or_throw(kSchemaV1, "cannot create the schema");
    const std::string triggers =
        reference_triggers("retained") + reference_triggers("session_queue") + reference_triggers("inflight");
    db.exec_or_throw(triggers.c_str(), "cannot create the schema");
}

// Version 2: the journal. A commit appends one row holding its batches' broker-state operations
// (journal_codec.hpp), far cheaper than the rows they stand for; the backend folds the journal into
// the tables now and then, when most of what it holds has cancelled out (a message queued, sent and
// acknowledged leaves nothing), and replays what is left of it on open.
void create_v2(SqliteDb& db) {
    db.exec_or_throw("CREATE TABLE journal(seq INTEGER PRIMARY KEY, ops BLOB NOT NULL)", "cannot create the journal");
}

// kMigrations[v] takes a file from schema version v to v + 1; version 0 is a new, empty file.
using Migration = void (*)(SqliteDb&);
constexpr Migration kMigrations[] = {&create_v1, &create_v2};
static_assert(std::size(kMigrations) == kSchemaVersion);

std::int64_t pragma_int(SqliteDb& db, const char* sql, std::string_view what) {
    SqliteStatement stmt(db, sql);
    if (stmt.step() != SQLITE_ROW) throw StoreError(db.describe(what));
    return stmt.column_int(0);
}

// Reads the whole file once: garbage, a truncated or a damaged file is refused here.
void check_integrity(SqliteDb& db) {
    std::string verdict;  // quick_check's first line: "ok", or the first problem found
    const auto first_line = [](void* out, int, char** values, char**) {
        auto& text = *static_cast<std::string*>(out);
        if (text.empty() && values[0]) text = values[0];
        return 0;
    };
    const int rc = sqlite3_exec(db.handle(), "PRAGMA quick_check", first_line, &verdict, nullptr);
    if ((rc & 0xff) == SQLITE_NOTADB) throw StoreError(db.path() + ": not a mqgate store (not an SQLite database)");
    if ((rc & 0xff) == SQLITE_CORRUPT) throw StoreError(db.describe("corrupt"));
    if (rc != SQLITE_OK) throw StoreError(db.describe("cannot read"));
    if (verdict != "ok") throw StoreError(db.path() + ": corrupt: " + verdict);
}

}  // namespace

void prepare_store_file(SqliteDb& db, Sync sync) {
    // Readers such as the sqlite3 tool may hold the file briefly; wait for them rather than fail.
    sqlite3_busy_timeout(db.handle(), 5000);
    check_integrity(db);
    if (sqlite3_db_readonly(db.handle(), "main") == 1)
        throw StoreError(db.path() + ": cannot write: the file is read-only");

    const auto application_id = pragma_int(db, "PRAGMA application_id", "cannot read the header");
    const auto version = pragma_int(db, "PRAGMA user_version", "cannot read the header");
    const auto tables = pragma_int(db, "SELECT count(*) FROM sqlite_schema", "cannot read the schema");
    const bool fresh = application_id == 0 && version == 0 && tables == 0;
    if (!fresh && application_id != kStoreApplicationId)
        throw StoreError(db.path() + ": not a mqgate store (an SQLite database of another application)");
    // user_version is a signed 32-bit header field; the store only ever writes 0..kSchemaVersion.
    if (version < 0) throw StoreError(db.path() + ": corrupt: schema version " + std::to_string(version));
    if (version > kSchemaVersion)
        throw StoreError(db.path() + ": schema version " + std::to_string(version) +
                         " is newer than this mqgate reads (" + std::to_string(kSchemaVersion) + ")");

    db.exec_or_throw("PRAGMA journal_mode = WAL", "cannot switch to WAL mode");
    db.exec_or_throw(sync == Sync::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                     "cannot set synchronous");
    db.exec_or_throw("PRAGMA foreign_keys = ON", "cannot enable foreign keys");
    // The log is reused after each checkpoint; past this size it is truncated back, so one burst does
    // not keep its peak size on disk for good.
    db.exec_or_throw("PRAGMA journal_size_limit = 67108864", "cannot set journal_size_limit");

    for (auto v = version; v < kSchemaVersion; ++v) {
        db.exec_or_throw("BEGIN IMMEDIATE", "cannot migrate the schema");
        try {
            kMigrations[v](db);
            const std::string set_version = "PRAGMA user_version = " + std::to_string(v + 1);
            db.exec_or_throw(set_version.c_str(), "cannot migrate the schema");
            db.exec_or_throw("COMMIT", "cannot migrate the schema");
        } catch (...) {
            db.exec("ROLLBACK");
            throw;
        }
    }
}

}  // namespace mqgate::store
