// The SQLite file itself: what open() accepts and refuses, and group commit
// with real fsyncs.
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "store/sqlite_schema.hpp"
#include "store_helpers.hpp"

namespace mqgate::store {
namespace {

using namespace testing;

// Runs `sql` on `path` with a connection of its own, as another program would.
std::int64_t sql_int(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    std::int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
        const int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
        EXPECT_TRUE(rc == SQLITE_ROW || rc == SQLITE_DONE) << sqlite3_errmsg(db);
    } else {
        ADD_FAILURE() << sqlite3_errmsg(db);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

// The message of the StoreError that opening `path` throws ("" if it opens).
std::string open_error(const std::string& path) {
    try {
        Store::open(sqlite_options(path));
    } catch (const StoreError& e) {
        return e.what();
    }
    return "";
}

class StoreSqliteTest : public ::testing::Test {
protected:
    TempDir dir_;
    std::string path_ = dir_.file("mqgate.db");
};

TEST_F(StoreSqliteTest, ANewFileIsAWalStoreAtTheCurrentSchemaVersion) {
    Store::open(sqlite_options(path_));
    EXPECT_EQ(sql_int(path_, "PRAGMA application_id"), kStoreApplicationId);
    EXPECT_EQ(sql_int(path_, "PRAGMA user_version"), kSchemaVersion);
    // WAL mode is a property of the file: another connection sees it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

TEST_F(StoreSqliteTest, AnEmptyFileBecomesAStore) {
    std::ofstream(path_).close();
    EXPECT_EQ(open_error(path_), "");
}

TEST_F(StoreSqliteTest, GarbageIsRefusedNamingTheFile) {
    std::ofstream out(path_, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not a database ";
    out.close();
    EXPECT_EQ(open_error(path_), path_ + ": not a mqgate store (not an SQLite database)");
}

TEST_F(StoreSqliteTest, AnotherApplicationsDatabaseIsRefusedAndLeftAlone) {
    sql_int(path_, "CREATE TABLE accounts(id INTEGER PRIMARY KEY, owner TEXT)");
    EXPECT_EQ(open_error(path_), path_ + ": not a mqgate store (an SQLite database of another application)");
    EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM sqlite_schema"), 1);  // nothing added to it
}

TEST_F(StoreSqliteTest, ANewerSchemaVersionIsRefused) {
    Store::open(sqlite_options(path_));
    sql_int(path_, "PRAGMA user_version = 3");
    EXPECT_EQ(open_error(path_), path_ + ": schema version 3 is newer than this mqgate reads (2)");
}

// Found by store_fuzz: a negative version indexed the migration table below its start.
TEST_F(StoreSqliteTest, ANegativeSchemaVersionIsRefusedAsCorrupt) {
    Store::open(sqlite_options(path_));
    sql_int(path_, "PRAGMA user_version = -3");
    EXPECT_EQ(open_error(path_), path_ + ": corrupt: schema version -3");
}

TEST_F(StoreSqliteTest, ACorruptFileIsRefused) {
    {
        auto store = Store::open(sqlite_options(path_));
        Batch batch;
        for (int i = 0; i < 200; ++i) {
            const MessageId m = store->next_id();
            batch.add(op::PutMessage{m, message("t/" + std::to_string(i), std::string(500, 'x'))})
                .add(op::PutRetained{"t/" + std::to_string(i), m});
        }
        ASSERT_FALSE(commit(*store, std::move(batch)));
    }  // closing checkpoints the log into the file
    const auto pages = sql_int(path_, "PRAGMA page_count");
    ASSERT_GT(pages, 8);
    std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
    for (std::int64_t page = 2; page < pages; page += 2) {  // every other page after the header's
        file.seekp(page * 4096);
        file << std::string(4096, '\x5a');
    }
    file.close();
    const std::string error = open_error(path_);
    EXPECT_EQ(error.rfind(path_ + ": corrupt", 0), 0u) << error;
}

TEST_F(StoreSqliteTest, AnUnopenablePathIsRefusedNamingIt) {
    const std::string error = open_error(dir_.file("no-such-dir/mqgate.db"));
    // The lock file next to it (store/file_lock.hpp) is the first thing that cannot be created.
    EXPECT_EQ(error.rfind(dir_.file("no-such-dir/mqgate.db") + ": cannot open: ", 0), 0u) << error;
    EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
}

// The files as a kill -9 of the process holding `path` would leave them: the database and its
// write-ahead log, copied to `copy` while the store is open (nothing writes between commits).
void copy_as_killed(const std::string& path, const std::string& copy) {
    std::filesystem::copy_file(path, copy);
    std::filesystem::copy_file(path + "-wal", copy + "-wal");
}

// A persistent session with `count` queued messages, as one batch.
Batch session_with_queue(Store& store, const std::string& client_id, int count) {
    Batch batch;
    batch.add(op::PutSession{client_id});
    for (int i = 0; i < count; ++i) {
        const MessageId m = store.next_id();
        batch.add(op::PutMessage{m, message("q/" + std::to_string(i), "payload")})
            .add(op::Enqueue{client_id, {store.next_id(), m, 1, false}});
    }
    return batch;
}

TEST_F(StoreSqliteTest, CommitsGoToTheJournalAndClosingFoldsThemIntoTheTables) {
    LoadedState before;
    {
        auto store = Store::open(sqlite_options(path_));
        ASSERT_FALSE(commit(*store, session_with_queue(*store, "c", 3)));
        const MessageId m = store->next_id();
        ASSERT_FALSE(commit(*store, Batch().add(op::PutMessage{m, message("r", "kept")}).add(op::PutRetained{"r", m})));
        EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM journal"), 2);
        EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM session_queue"), 0);
        before = store->load();
    }
    EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM journal"), 0);
    EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM session_queue"), 3);
    EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM retained"), 1);
    EXPECT_EQ(Store::open(sqlite_options(path_))->load(), before);
}

TEST_F(StoreSqliteTest, AKilledStoreReplaysItsJournalOnOpen) {
    auto store = Store::open(sqlite_options(path_));
    ASSERT_FALSE(commit(*store, session_with_queue(*store, "c", 5)));
    const auto first = store->load().sessions.at(0).queue;
    Batch acks;  // two sent and acknowledged, one in flight
    acks.add(op::Dequeue{"c", first[0].seq}).add(op::Dequeue{"c", first[1].seq}).add(op::Dequeue{"c", first[2].seq});
    acks.add(op::PutInflight{"c", {1, first[2].seq, first[2].message, 1, false, InflightStage::awaiting_puback, false}});
    ASSERT_FALSE(commit(*store, std::move(acks)));
    const LoadedState expected = store->load();
    ASSERT_EQ(expected.sessions.at(0).queue.size(), 2u);
    ASSERT_EQ(expected.sessions.at(0).inflight.size(), 1u);
    const std::string killed = dir_.file("killed.db");
    copy_as_killed(path_, killed);
    EXPECT_EQ(Store::open(sqlite_options(killed))->load(), expected);
}

// Past its bound (5,000 operations) the journal is folded while the store runs, and what cancelled
// out inside it never reaches the tables.
TEST_F(StoreSqliteTest, AJournalPastItsBoundIsFoldedWithoutWhatCancelledOut) {
    auto store = Store::open(sqlite_options(path_));
    ASSERT_FALSE(commit(*store, session_with_queue(*store, "c", 2000)));  // 4,001 operations
    EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM session_queue"), 0);
    const auto queue = store->load().sessions.at(0).queue;
    Batch acks;
    for (std::size_t i = 10; i < queue.size(); ++i) acks.add(op::Dequeue{"c", queue[i].seq});
    ASSERT_FALSE(commit(*store, std::move(acks)));
    // The fold runs after the commit that crossed the bound and before the next one.
    ASSERT_FALSE(commit(*store, Batch().add(op::Subscribe{"c", {"a/#", 1}})));
    EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM journal"), 1);
    EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM session_queue"), 10);
    EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM messages"), 10);
    EXPECT_EQ(sql_int(path_, "SELECT count(*) FROM subscriptions"), 0);
    EXPECT_EQ(store->load().sessions.at(0).queue.size(), 10u);
}

TEST_F(StoreSqliteTest, AnUnreadableJournalRowIsRefusedAsCorrupt) {
    auto store = Store::open(sqlite_options(path_));
    ASSERT_FALSE(commit(*store, session_with_queue(*store, "c", 1)));
    const std::string killed = dir_.file("killed.db");
    copy_as_killed(path_, killed);
    sql_int(killed, "UPDATE journal SET ops = x'0501'");
    EXPECT_EQ(open_error(killed), killed + ": corrupt: journal row 1 cannot be read");
}

// A row that reads but does not fit the tables (here: a queue entry of a session that is not
// there) is damage too, not something to skip.
TEST_F(StoreSqliteTest, AJournalThatDoesNotFitTheTablesIsRefusedAsCorrupt) {
    auto store = Store::open(sqlite_options(path_));
    ASSERT_FALSE(commit(*store, session_with_queue(*store, "c", 1)));
    ASSERT_FALSE(commit(*store, Batch().add(op::Subscribe{"c", {"a", 0}})));
    const std::string killed = dir_.file("killed.db");
    copy_as_killed(path_, killed);
    // One batch of one op::Enqueue (operation 7) for client "d": seq 1, message 1, QoS 1, no retain.
    sql_int(killed, "UPDATE journal SET ops = x'010107016401010100' WHERE seq = 2");
    EXPECT_EQ(open_error(killed), killed + ": corrupt: the journal does not fit the tables (up to row 2)");
}

// With synchronous=FULL every commit waits for an fsync: submitters on 8 threads then share commits
// without any help.
TEST_F(StoreSqliteTest, ManySubmittersShareCommits) {
    auto store = Store::open(sqlite_options(path_, Sync::full));
    constexpr int kThreads = 8, kPerThread = 125, kBatches = kThreads * kPerThread;
    std::vector<std::atomic<int>> calls(kBatches);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const int n = t * kPerThread + i;
                const MessageId m = store->next_id();
                Batch batch;
                batch.add(op::PutMessage{m, message("n/" + std::to_string(n), std::string(64, 'x'))})
                    .add(op::PutRetained{"n/" + std::to_string(n), m});
                if (store->submit(std::move(batch), [&, n](std::error_code ec) {
                        if (ec) ++failures;
                        ++calls[n];
                    }))
                    ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    store->flush();
    EXPECT_EQ(failures.load(), 0);
    for (int n = 0; n < kBatches; ++n) EXPECT_EQ(calls[n].load(), 1) << "batch " << n;
    const auto stats = store->stats();
    EXPECT_EQ(stats.batches, static_cast<std::uint64_t>(kBatches));
    EXPECT_LT(stats.commits, stats.batches);
    EXPECT_GT(stats.file_bytes, 0u);
    std::cout << "[          ] " << stats.batches << " batches in " << stats.commits << " commits, average commit "
              << stats.avg_commit_us << " us\n";
    EXPECT_EQ(store->load().retained.size(), static_cast<std::size_t>(kBatches));
}

}  // namespace
}  // namespace mqgate::store
