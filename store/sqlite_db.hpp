// Thin RAII wrappers over the SQLite C API: a connection and a prepared
// statement. Write paths use the result codes; opening and loading throw
// StoreError with the file's name (see sqlite_schema.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace mqgate::store {

class SqliteDb {
public:
    // Opens (creating) `path` read-write. Throws StoreError naming the file and the reason.
    explicit SqliteDb(std::string path);
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    sqlite3* handle() const noexcept { return db_; }
    const std::string& path() const noexcept { return path_; }
    // Runs `sql` (one or more statements); returns the SQLite result code.
    int exec(const char* sql) noexcept;
    // As exec(), throwing StoreError "<path>: <what>: <SQLite's message>" on failure.
    void exec_or_throw(const char* sql, std::string_view what);
    // "<path>: <what>: <SQLite's message>[: <errno text>]", for StoreError.
    std::string describe(std::string_view what) const;
    bool in_transaction() const noexcept;

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

class SqliteStatement {
public:
    SqliteStatement(SqliteDb& db, const char* sql);  // throws StoreError
    ~SqliteStatement();
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    // Binding keeps a pointer to the bytes, not a copy: they must live until run() or reset().
    SqliteStatement& bind(int index, std::int64_t value) noexcept;
    SqliteStatement& bind_text(int index, std::string_view text) noexcept;
    SqliteStatement& bind_blob(int index, std::string_view bytes) noexcept;

    // Steps once to completion and resets: SQLITE_OK, or the error's (extended) code.
    int run() noexcept;
    // For reading: SQLITE_ROW while there is a row, then SQLITE_DONE or an error.
    int step() noexcept;
    void reset() noexcept;
    std::int64_t column_int(int index) const noexcept;
    std::string column_string(int index) const;

private:
    sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace mqgate::store
