// A store file that SQLite accepts but whose rows the store never writes
// (edited with the sqlite3 tool, or by another program without the store's
// triggers and foreign keys): load() refuses it, naming the file, the table
// and the value, rather than handing the broker records it cannot use.
#include <sqlite3.h>

#include "store_helpers.hpp"

namespace mqgate::store {
namespace {

using namespace testing;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class StoreLoadCheckTest : public ::testing::Test {
protected:
    StoreLoadCheckTest() {
        auto store = Store::open(sqlite_options(path_));
        const MessageId m = store->next_id(), q = store->next_id(), f = store->next_id(), w = store->next_id();
        Batch batch;
        batch.add(op::PutMessage{m, StoredMessage{"t", "payload", 1, false, 1, "pub"}})
            .add(op::PutRetained{"t", m})
            .add(op::PutSession{"dev"})
            .add(op::Subscribe{"dev", {"t/#", 1}})
            .add(op::Enqueue{"dev", {q, m, 1, false}})
            .add(op::PutInflight{"dev", {5, f, m, 2, false, InflightStage::awaiting_pubrec, false}})
            .add(op::PutInbound{"dev", {6, 1}})
            .add(op::Append{"commands", {w, "x"}});
        EXPECT_FALSE(commit(*store, std::move(batch)));
    }

    // Runs `sql` on the closed store file as another program would.
    void edit(const char* sql) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
        char* error = nullptr;
        EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
        sqlite3_free(error);
        sqlite3_close(db);
    }

    // The StoreError of opening and loading the file ("" if both succeed).
    std::string load_error() {
        try {
            Store::open(sqlite_options(path_))->load();
        } catch (const StoreError& e) {
            return e.what();
        }
        return "";
    }

    TempDir dir_;
    std::string path_ = dir_.file("mqgate.db");
};

TEST_F(StoreLoadCheckTest, TheUneditedFileLoads) { EXPECT_EQ(load_error(), ""); }

TEST_F(StoreLoadCheckTest, AQosAboveTwoIsRefused) {
    edit("UPDATE subscriptions SET qos = 258");  // would read as QoS 2 if cut to a byte
    EXPECT_EQ(load_error(), path_ + ": corrupt: subscriptions.qos is 258, outside 0..2");
}

TEST_F(StoreLoadCheckTest, AnInflightStageOutOfRangeOrNotFittingItsQosIsRefused) {
    edit("UPDATE inflight SET stage = 9");
    EXPECT_EQ(load_error(), path_ + ": corrupt: inflight.stage is 9, outside 1..3");
    edit("UPDATE inflight SET stage = 1");  // awaiting PUBACK for a QoS 2 message
    EXPECT_PRED2(contains, load_error(), "in-flight packet 5 has QoS 2 and stage 1");
}

TEST_F(StoreLoadCheckTest, APacketIdOfZeroIsRefused) {
    edit("UPDATE inbound_qos2 SET packet_id = 0");
    EXPECT_EQ(load_error(), path_ + ": corrupt: inbound_qos2.packet_id is 0, outside 1..65535");
}

TEST_F(StoreLoadCheckTest, AReferenceToAMissingMessageIsRefused) {
    edit("DELETE FROM messages");  // the referencing rows stay: no trigger guards this table
    EXPECT_PRED2(contains, load_error(), ": corrupt: retained topic 't' names message 1, which is missing");
}

TEST_F(StoreLoadCheckTest, ARowOfASessionThatDoesNotExistIsRefused) {
    edit("INSERT INTO subscriptions VALUES('ghost', 'a', 0)");  // foreign keys are off by default
    EXPECT_EQ(load_error(), path_ + ": corrupt: subscriptions has a row of client 'ghost', which has no session");
}

TEST_F(StoreLoadCheckTest, IdsAtOrAboveTheStoredNextIdAreRefused) {
    // A lowered counter would hand out ids that are in use.
    edit("UPDATE meta SET value = 2 WHERE key = 'next_id'");
    EXPECT_PRED2(contains, load_error(), "(ids below meta.next_id)");
}

}  // namespace
}  // namespace mqgate::store
