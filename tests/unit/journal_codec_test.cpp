// The SQLite backend's journal rows: what is written reads back the same,
// and anything else is refused rather than half read.
#include <gtest/gtest.h>

#include <limits>

#include "store/journal_codec.hpp"

namespace mqgate::store {
namespace {

// Every journaled operation once, with values at the edges of their types.
std::vector<Batch> every_operation() {
    std::vector<Batch> batches(2);
    StoredMessage m{"a/b", std::string("\0bin\xff", 5), 2, true, -1234567890123, "origin"};
    batches[0]
        .add(op::PutMessage{std::numeric_limits<MessageId>::max(), m})
        .add(op::PutMessage{1, StoredMessage{}})
        .add(op::PutRetained{"a/b", 1})
        .add(op::EraseRetained{""})
        .add(op::PutSession{"c"})
        .add(op::Subscribe{"c", {"a/#", 1}})
        .add(op::Unsubscribe{"c", "x/+"})
        .add(op::Enqueue{"c", {300, 1, 1, true}})
        .add(op::Dequeue{"c", 300});
    batches[1]
        .add(op::PutInflight{"c", {65535, 7, 1, 2, false, InflightStage::awaiting_pubcomp, true}})
        .add(op::EraseInflight{"c", 65535})
        .add(op::PutInbound{"c", {9, std::numeric_limits<std::int64_t>::min()}})
        .add(op::EraseInbound{"c", 9})
        .add(op::EraseSession{"c"})
        .add(op::ClearBrokerState{});
    return batches;
}

std::string encoded(const std::vector<Batch>& batches) {
    std::vector<const Batch*> pointers;
    for (const Batch& b : batches) pointers.push_back(&b);
    std::string row;
    encode_journal_row(pointers, row);
    return row;
}

TEST(JournalCodec, EveryOperationReadsBackTheSame) {
    const auto batches = every_operation();
    std::vector<Batch> decoded;
    ASSERT_TRUE(decode_journal_row(encoded(batches), decoded));
    ASSERT_EQ(decoded.size(), 2u);
    EXPECT_EQ(decoded[0].operations(), batches[0].operations());
    EXPECT_EQ(decoded[1].operations(), batches[1].operations());
}

TEST(JournalCodec, NamedQueueItemsAndBatchesWithoutStateAreLeftOut) {
    std::vector<Batch> batches(3);
    batches[0].add(op::Append{"outbox", {5, "item"}});
    batches[1].add(op::PutSession{"c"}).add(op::Remove{"outbox", 5});
    std::vector<const Batch*> pointers{&batches[0], &batches[1], &batches[2]};
    std::string row;
    EXPECT_EQ(encode_journal_row(pointers, row), 1u);
    std::vector<Batch> decoded;
    ASSERT_TRUE(decode_journal_row(row, decoded));
    ASSERT_EQ(decoded.size(), 1u);
    EXPECT_EQ(decoded[0].operations(), std::vector<Operation>{op::PutSession{"c"}});
}

TEST(JournalCodec, EveryTruncationAndTrailingBytesAreRefused) {
    const std::string row = encoded(every_operation());
    for (std::size_t n = 0; n < row.size(); ++n) {
        std::vector<Batch> decoded;
        EXPECT_FALSE(decode_journal_row(std::string_view(row).substr(0, n), decoded)) << "prefix of " << n;
    }
    std::vector<Batch> decoded;
    EXPECT_FALSE(decode_journal_row(row + '\0', decoded));
}

TEST(JournalCodec, UnknownOperationsAndOutOfRangeValuesAreRefused) {
    std::vector<Batch> decoded;
    const std::string unknown{1, 1, 100};  // one batch, one operation, operation 100
    EXPECT_FALSE(decode_journal_row(unknown, decoded));
    const auto append = static_cast<char>(Operation(op::Append{}).index());
    EXPECT_FALSE(decode_journal_row(std::string{1, 1, append, 0, 0, 0}, decoded));
    // EraseInflight with packet id 65536 (varint 80 80 04): beyond its 16 bits.
    const auto erase_inflight = static_cast<char>(Operation(op::EraseInflight{}).index());
    EXPECT_FALSE(decode_journal_row(std::string{1, 1, erase_inflight, 1, 'c', '\x80', '\x80', 4}, decoded));
    EXPECT_TRUE(decode_journal_row(std::string{1, 1, erase_inflight, 1, 'c', '\xff', '\xff', 3}, decoded));
    // A batch count far beyond what the row could hold is refused before anything is allocated.
    EXPECT_FALSE(decode_journal_row(std::string{'\xff', '\xff', '\xff', '\xff', 0x0f}, decoded));
}

}  // namespace
}  // namespace mqgate::store
