// What load() accepts from a file: the values the store itself writes. A file
// that passes SQLite's integrity check can still hold others (edited with the
// sqlite3 tool, written by another program, or a bit flipped inside a valid
// page); the broker must never rebuild its state from them, so load() refuses
// the file with a StoreError naming it, the table, the column and the value.
#pragma once

#include <cstdint>
#include <string>

#include "store/records.hpp"

namespace mqgate::store {

class SqliteStatement;

// Reads the columns of one table's rows, each checked against its range.
class RowCheck {
public:
    RowCheck(const std::string& path, const char* table) : path_(path), table_(table) {}

    // Column `i` (named `column`) as an integer in [lo, hi].
    std::int64_t in_range(const SqliteStatement& row, int i, const char* column, std::int64_t lo,
                          std::int64_t hi) const;
    std::uint8_t qos(const SqliteStatement& row, int i) const {
        return static_cast<std::uint8_t>(in_range(row, i, "qos", 0, 2));
    }
    std::uint16_t packet_id(const SqliteStatement& row, int i) const {
        return static_cast<std::uint16_t>(in_range(row, i, "packet_id", 1, 65535));
    }
    // An id or seq: positive, and below the store's next id (ids are never handed out twice).
    std::uint64_t id(const SqliteStatement& row, int i, const char* column, std::uint64_t next_id) const;

private:
    const std::string& path_;
    const char* table_;
};

// The references between the loaded records: every message a retained topic,
// queue entry or in-flight entry names exists; an in-flight entry's stage
// fits its QoS. Throws StoreError naming `path`.
void check_references(const LoadedState& state, const std::string& path);

}  // namespace mqgate::store
