// Opening the durable store the "storage" section names (README "Storage").
#pragma once

#include <memory>

#include "config/config.hpp"
#include "store/store.hpp"

namespace mqgate::gateway {

// The store, its directory created if missing; null with the memory backend (nothing is written).
// Throws store::StoreError naming the file or directory and the reason.
std::shared_ptr<store::Store> open_storage(const config::StorageOptions& options);

// --check-config: an existing file must be a mqgate store this version reads; a new one must be
// creatable. Throws config::ConfigError naming the key and the reason. Creates nothing.
void check_storage(const config::Config& config);

}  // namespace mqgate::gateway
