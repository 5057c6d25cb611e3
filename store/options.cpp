#include "store/options.hpp"

namespace mqgate::store {

std::optional<Sync> parse_sync(std::string_view name) {
    if (name == "full") return Sync::full;
    if (name == "normal") return Sync::normal;
    return std::nullopt;
}

std::optional<BackendKind> parse_backend(std::string_view name) {
    if (name == "sqlite") return BackendKind::sqlite;
    if (name == "memory") return BackendKind::memory;
    return std::nullopt;
}

}  // namespace mqgate::store
