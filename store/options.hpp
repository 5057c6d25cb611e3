// How a store is opened (the future `storage` configuration section).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mqgate::store {

enum class BackendKind { sqlite, memory };

// When a commit counts as done.
enum class Sync {
    // fsync of the write-ahead log at every commit (SQLite synchronous=FULL): an acknowledged write
    // survives a power cut. The default: mqgate's promise is "acknowledged means on disk", and group
    // commit pays one fsync per commit (~0.4 ms), shared by every batch that commit carries, not
    // one per message.
    full,
    // No fsync at commit (synchronous=NORMAL in WAL mode): an acknowledged write survives the process
    // being killed, but the last commits may be lost when the machine loses power.
    normal,
};

std::optional<Sync> parse_sync(std::string_view name);  // "full" | "normal"
std::optional<BackendKind> parse_backend(std::string_view name);  // "sqlite" | "memory"

struct StoreOptions {
    BackendKind backend = BackendKind::sqlite;
    std::string path;  // the SQLite file, created on first open; unused in memory
    Sync sync = Sync::full;
    // Batches submitted and not yet committed. Beyond it submit() refuses at once with
    // errc::queue_full instead of blocking the I/O thread: the caller then treats the write as
    // failed (a PUBLISH that needed it is not acknowledged).
    std::size_t max_pending_batches = 65536;
};

}  // namespace mqgate::store
