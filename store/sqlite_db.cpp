#include "store/sqlite_db.hpp"

#include <sqlite3.h>

#include <cstring>
#include <utility>

#include "store/errors.hpp"

namespace mqgate::store {

SqliteDb::SqliteDb(std::string path) : path_(std::move(path)) {
    const int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
        const std::string reason = describe("cannot open");
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw StoreError(reason);
    }
    sqlite3_extended_result_codes(db_, 1);
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

int SqliteDb::exec(const char* sql) noexcept { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

void SqliteDb::exec_or_throw(const char* sql, std::string_view what) {
    if (exec(sql) != SQLITE_OK) throw StoreError(describe(what));
}

std::string SqliteDb::describe(std::string_view what) const {
    std::string text = path_ + ": " + std::string(what);
    if (!db_) return text + ": out of memory";
    text += ": ";
    text += sqlite3_errmsg(db_);
    if (const int err = sqlite3_system_errno(db_); err != 0) {
        text += " (";
        text += std::strerror(err);
        text += ")";
    }
    return text;
}

bool SqliteDb::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

SqliteStatement::SqliteStatement(SqliteDb& db, const char* sql) {
    if (sqlite3_prepare_v3(db.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
        throw StoreError(db.describe("cannot prepare a statement"));
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) noexcept {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

SqliteStatement& SqliteStatement::bind_text(int index, std::string_view text) noexcept {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    return *this;
}

SqliteStatement& SqliteStatement::bind_blob(int index, std::string_view bytes) noexcept {
    // A zero-length blob needs a non-null pointer, or SQLite stores NULL.
    static const char empty = 0;
    sqlite3_bind_blob(stmt_, index, bytes.empty() ? &empty : bytes.data(), static_cast<int>(bytes.size()),
                      SQLITE_STATIC);
    return *this;
}

int SqliteStatement::run() noexcept {
    int rc = sqlite3_step(stmt_);
    // run() is for statements that return no rows: DONE is success.
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    sqlite3_reset(stmt_);
    return rc;
}

int SqliteStatement::step() noexcept { return sqlite3_step(stmt_); }

void SqliteStatement::reset() noexcept { sqlite3_reset(stmt_); }

std::int64_t SqliteStatement::column_int(int index) const noexcept { return sqlite3_column_int64(stmt_, index); }

std::string SqliteStatement::column_string(int index) const {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
    const int size = sqlite3_column_bytes(stmt_, index);
    return bytes ? std::string(bytes, static_cast<std::size_t>(size)) : std::string();
}

}  // namespace mqgate::store
