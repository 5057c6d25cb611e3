#include "store/load_check.hpp"

#include "store/errors.hpp"
#include "store/sqlite_db.hpp"

namespace mqgate::store {

namespace {

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
    throw StoreError(path + ": corrupt: " + what);
}

void check_message(const LoadedState& state, const std::string& path, MessageId id, const std::string& where) {
    if (!state.messages.contains(id)) corrupt(path, where + " names message " + std::to_string(id) + ", which is missing");
}

}  // namespace

std::int64_t RowCheck::in_range(const SqliteStatement& row, int i, const char* column, std::int64_t lo,
                                std::int64_t hi) const {
    const std::int64_t v = row.column_int(i);
    if (v < lo || v > hi)
        corrupt(path_, std::string(table_) + "." + column + " is " + std::to_string(v) + ", outside " +
                           std::to_string(lo) + ".." + std::to_string(hi));
    return v;
}

std::uint64_t RowCheck::id(const SqliteStatement& row, int i, const char* column, std::uint64_t next_id) const {
    const std::int64_t v = row.column_int(i);
    if (v < 1 || static_cast<std::uint64_t>(v) >= next_id)
        corrupt(path_, std::string(table_) + "." + column + " is " + std::to_string(v) + ", outside 1.." +
                           std::to_string(next_id - 1) + " (ids below meta.next_id)");
    return static_cast<std::uint64_t>(v);
}

void check_references(const LoadedState& state, const std::string& path) {
    for (const auto& r : state.retained) check_message(state, path, r.message, "retained topic '" + r.topic + "'");
    for (const auto& s : state.sessions) {
        const std::string who = "session '" + s.client_id + "'";
        for (const auto& q : s.queue) check_message(state, path, q.message, who + " queue entry");
        for (const auto& f : s.inflight) {
            check_message(state, path, f.message, who + " in-flight entry");
            const bool fits = f.qos == 1 ? f.stage == InflightStage::awaiting_puback
                                         : f.qos == 2 && f.stage != InflightStage::awaiting_puback;
            if (!fits)
                corrupt(path, who + " in-flight packet " + std::to_string(f.packet_id) + " has QoS " +
                                  std::to_string(f.qos) + " and stage " + std::to_string(static_cast<int>(f.stage)));
        }
    }
}

}  // namespace mqgate::store
