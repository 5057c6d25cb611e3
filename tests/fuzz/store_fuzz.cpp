// The durable store's loader on damaged files. A valid store file with every
// kind of record is made once; each input then damages a copy of it, either as
// another program could through SQL (values the store never writes, rows
// without their session or message, a lowered id counter, dropped tables) or as
// a disk could (bytes overwritten at input-chosen offsets, the header's schema
// version and application id among them, the file cut short). The file holds
// a commit still in its journal, as a killed process leaves it. Opening and
// loading the copy must then either throw StoreError (start-up exits 2 naming
// the file) or return records the broker can use: QoS within range, packet ids
// non-zero, in-flight stages that fit their QoS, every referenced message
// present, every id below the next one to be handed out.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>

#include "store/store.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace mqgate::store;

namespace {

std::string work_dir;
std::string pristine;  // the valid store file's bytes

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

StoreOptions options(const std::string& path) {
    StoreOptions o;
    o.path = path;
    o.sync = Sync::normal;
    return o;
}

void make_pristine() {
    const std::string path = work_dir + "/pristine.db";
    const std::string killed = work_dir + "/killed.db";
    {
        auto store = Store::open(options(path));
        const MessageId m1 = store->next_id(), m2 = store->next_id();
        const std::uint64_t queued = store->next_id();
        Batch batch;
        batch.add(op::PutMessage{m1, StoredMessage{"a/b", "one", 1, true, 1, "pub"}})
            .add(op::PutMessage{m2, StoredMessage{"c", std::string("\0\xff", 2), 2, false, 2, "pub"}})
            .add(op::PutRetained{"a/b", m1})
            .add(op::PutSession{"dev"})
            .add(op::PutSession{"idle"})
            .add(op::Subscribe{"dev", {"a/#", 1}})
            .add(op::Subscribe{"dev", {"c", 2}})
            .add(op::Enqueue{"dev", {queued, m1, 1, false}})
            .add(op::Enqueue{"dev", {store->next_id(), m2, 2, false}})
            .add(op::PutInflight{"dev", {7, store->next_id(), m2, 2, false, InflightStage::awaiting_pubcomp, true}})
            .add(op::PutInflight{"dev", {8, store->next_id(), m1, 1, true, InflightStage::awaiting_puback, false}})
            .add(op::PutInbound{"dev", {9, 3}})
            .add(op::Append{"commands", {store->next_id(), "x"}});
        // A second commit stays in the journal (store/journal_codec.hpp) of the copy taken below.
        Batch later;
        later.add(op::Dequeue{"dev", queued})
            .add(op::PutInflight{"dev", {10, store->next_id(), m1, 1, false, InflightStage::awaiting_puback, false}})
            .add(op::EraseInbound{"dev", 9})
            .add(op::PutRetained{"c", m2})
            .add(op::Unsubscribe{"dev", "c"});
        int done = 0;
        FUZZ_CHECK(!store->submit(std::move(batch), [&done](std::error_code ec) { done += !ec; }));
        store->flush();
        FUZZ_CHECK(!store->submit(std::move(later), [&done](std::error_code ec) { done += !ec; }));
        store->flush();
        FUZZ_CHECK(done == 2);
        // The files as a kill -9 would leave them; closing the store would fold the journal.
        write_file(killed, read_file(path));
        write_file(killed + "-wal", read_file(path + "-wal"));
    }
    // Another program's connection checkpoints the log into the file as it closes.
    sqlite3* db = nullptr;
    FUZZ_CHECK(sqlite3_open(killed.c_str(), &db) == SQLITE_OK);
    FUZZ_CHECK(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    pristine = read_file(killed);
    FUZZ_CHECK(!pristine.empty());
}

// Statements another program could run on the file; `?` takes an input value.
constexpr const char* kEdits[] = {
    "UPDATE messages SET qos = ?",
    "UPDATE messages SET id = ? WHERE id = 1",
    "DELETE FROM messages WHERE id = ?",
    "UPDATE retained SET message_id = ?",
    "UPDATE subscriptions SET qos = ?",
    "UPDATE session_queue SET qos = ?",
    "UPDATE session_queue SET seq = ?",
    "UPDATE session_queue SET message_id = ?",
    "UPDATE inflight SET stage = ?",
    "UPDATE inflight SET qos = ?",
    "UPDATE inflight SET packet_id = ?",
    "UPDATE inflight SET seq = ?",
    "UPDATE inbound_qos2 SET packet_id = ?",
    "UPDATE queue_items SET seq = ?",
    "UPDATE meta SET value = ? WHERE key = 'next_id'",
    "DELETE FROM meta",
    "DELETE FROM sessions WHERE client_id = 'dev'",
    "INSERT INTO subscriptions VALUES('ghost', 'x', ?)",
    "INSERT INTO messages(id, topic, payload, qos, retain, timestamp_ms, origin_client_id) VALUES(?, 't', x'00', 0, 0, 0, '')",
    "UPDATE messages SET topic = NULL",
    "UPDATE messages SET payload = ?",
    "DROP TABLE inflight",
    "DROP TRIGGER retained_ref",
    "UPDATE journal SET ops = ?",
    "UPDATE journal SET ops = substr(ops, 1, ?)",
    "INSERT INTO journal(ops) SELECT ops FROM journal",
    "DELETE FROM journal",
};

void sql_damage(FuzzedDataProvider& in, const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    for (int n = in.ConsumeIntegralInRange(1, 4); n > 0 && in.remaining_bytes() > 0; --n) {
        const char* sql = kEdits[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kEdits) - 1)];
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
            if (sqlite3_bind_parameter_count(stmt) > 0) {
                switch (in.ConsumeIntegralInRange(0, 2)) {
                    case 0: sqlite3_bind_int64(stmt, 1, in.ConsumeIntegralInRange<std::int64_t>(-3, 70000)); break;
                    case 1: sqlite3_bind_int64(stmt, 1, in.ConsumeIntegral<std::int64_t>()); break;
                    default: {
                        const std::string text = in.ConsumeRandomLengthString(16);
                        sqlite3_bind_text(stmt, 1, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
                    }
                }
            }
            sqlite3_step(stmt);  // an edit SQLite refuses (a constraint) is simply not made
        }
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
}

void byte_damage(FuzzedDataProvider& in, std::string& bytes) {
    if (in.ConsumeBool()) bytes.resize(in.ConsumeIntegralInRange<std::size_t>(0, bytes.size()));
    for (int n = in.ConsumeIntegralInRange(1, 8); n > 0 && in.remaining_bytes() > 1 && !bytes.empty(); --n) {
        // Half the writes land in the 100-byte file header (page size, schema version, application
        // id, ...), which random offsets into a many-page file would seldom reach.
        const std::size_t last = in.ConsumeBool() ? std::min<std::size_t>(bytes.size(), 100) - 1 : bytes.size() - 1;
        const auto at = in.ConsumeIntegralInRange<std::size_t>(0, last);
        bytes[at] = static_cast<char>(in.ConsumeIntegral<std::uint8_t>());
    }
}

void check_loaded(const LoadedState& s) {
    const auto below_next = [&](std::uint64_t id) { return id >= 1 && id < s.next_id; };
    for (const auto& [id, m] : s.messages) {
        FUZZ_CHECK(below_next(id));
        FUZZ_CHECK(m.qos <= 2);
    }
    for (const auto& r : s.retained) FUZZ_CHECK(s.messages.contains(r.message));
    for (const auto& session : s.sessions) {
        FUZZ_CHECK(!session.client_id.empty() || session.subscriptions.empty());
        for (const auto& sub : session.subscriptions) FUZZ_CHECK(sub.qos <= 2);
        for (const auto& q : session.queue) {
            FUZZ_CHECK(q.qos <= 2 && below_next(q.seq));
            FUZZ_CHECK(s.messages.contains(q.message));
        }
        for (const auto& f : session.inflight) {
            FUZZ_CHECK(f.packet_id != 0 && below_next(f.seq));
            FUZZ_CHECK(s.messages.contains(f.message));
            FUZZ_CHECK(f.qos == 1 ? f.stage == InflightStage::awaiting_puback
                                  : f.qos == 2 && f.stage != InflightStage::awaiting_puback);
        }
        for (const auto& i : session.inbound) FUZZ_CHECK(i.packet_id != 0);
    }
    for (const auto& [name, items] : s.queues)
        for (const auto& item : items) FUZZ_CHECK(below_next(item.seq));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // tmpfs where there is one: each input writes a file and SQLite syncs it.
    char pattern[] = "/dev/shm/mqgate-store-fuzz-XXXXXX";
    if (::access("/dev/shm", W_OK) != 0) std::snprintf(pattern, sizeof pattern, "/tmp/mqgate-store-fuzz-XXXXXX");
    FUZZ_CHECK(::mkdtemp(pattern) != nullptr);
    work_dir = pattern;
    make_pristine();
    std::atexit([] {
        for (const char* name : {"/pristine.db", "/pristine.db-wal", "/pristine.db-shm", "/killed.db", "/killed.db-wal",
                                 "/killed.db-shm", "/case.db", "/case.db-wal", "/case.db-shm"})
            std::remove((work_dir + name).c_str());
        ::rmdir(work_dir.c_str());
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const std::string path = work_dir + "/case.db";
    std::remove((path + "-wal").c_str());
    std::remove((path + "-shm").c_str());
    std::string bytes = pristine;
    const bool by_sql = in.ConsumeBool();
    if (!by_sql) byte_damage(in, bytes);
    write_file(path, bytes);
    if (by_sql) sql_damage(in, path);
    try {
        auto store = Store::open(options(path));
        check_loaded(store->load());
    } catch (const StoreError&) {
        // refused, naming the file: start-up exits 2
    }
    return 0;
}
