#include "gateway/storage.hpp"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "support/log.hpp"

namespace mqgate::gateway {

namespace fs = std::filesystem;

std::shared_ptr<store::Store> open_storage(const config::StorageOptions& options) {
    if (options.backend == store::BackendKind::memory) {
        LOG_INFO("storage: memory only (storage.backend \"memory\"): nothing survives a restart");
        return nullptr;
    }
    const fs::path file(options.file());
    if (file.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(file.parent_path(), ec);
        if (ec) throw store::StoreError(file.parent_path().string() + ": cannot create the data directory: " + ec.message());
    }
    auto store = std::shared_ptr<store::Store>(store::Store::open(options.store_options()));
    LOG_INFO("storage: " << file.string() << " (sync " << (options.sync == store::Sync::full ? "full" : "normal")
                         << ")");
    return store;
}

void check_storage(const config::Config& config) {
    const config::StorageOptions& options = config.storage;
    if (options.backend == store::BackendKind::memory) return;
    const std::string source = config.file.empty() ? "storage" : config.file;
    const std::string key = options.path.empty() ? "storage.data_dir" : "storage.path";
    const fs::path file(options.file());
    std::error_code ec;
    if (fs::exists(file, ec)) {
        try {
            store::Store::open(options.store_options())->close();
        } catch (const store::StoreInUse&) {
            // The running node's (--check-config before a SIGHUP): it read the file when it started.
        } catch (const store::StoreError& e) {
            throw config::ConfigError(source, key, e.what());
        }
        return;
    }
    // A new file: its nearest existing directory must let mqgate create the rest.
    fs::path dir = fs::absolute(file, ec).parent_path();
    while (!fs::exists(dir, ec) && dir.has_relative_path()) dir = dir.parent_path();
    if (!fs::is_directory(dir, ec))
        throw config::ConfigError(source, key, file.string() + ": " + dir.string() + " is not a directory");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw config::ConfigError(source, key, file.string() + ": cannot create it: " + dir.string() + " is not writable");
}

}  // namespace mqgate::gateway
