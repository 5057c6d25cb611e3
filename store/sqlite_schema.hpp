// The SQLite file's schema: checks that a file is a mqgate store this
// version can use, and migrates it to the current schema version.
#pragma once

#include "store/options.hpp"
#include "store/sqlite_db.hpp"

namespace mqgate::store {

// "mqgt": PRAGMA application_id of every mqgate store file.
inline constexpr int kStoreApplicationId = 0x6d716774;
// PRAGMA user_version this build writes and reads.
inline constexpr int kSchemaVersion = 2;

// Makes `db` ready for the store: checks it (integrity, that it is a mqgate store or an empty file,
// that its schema is not newer), sets WAL mode, `sync` and foreign keys, then creates or migrates
// the schema. Throws StoreError naming the file and the reason.
void prepare_store_file(SqliteDb& db, Sync sync);

}  // namespace mqgate::store
