#include "store/errors.hpp"

namespace mqgate::store {

namespace {

class StoreCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "mqgate.store"; }
    std::string message(int code) const override {
        switch (static_cast<errc>(code)) {
            case errc::queue_full: return "store write queue full";
            case errc::closed: return "store closed";
            case errc::invalid_batch: return "invalid store batch";
            case errc::disk_full: return "disk full";
            case errc::io_error: return "store write error";
        }
        return "unknown store error";
    }
};

}  // namespace

const std::error_category& store_category() noexcept {
    static const StoreCategory category;
    return category;
}

}  // namespace mqgate::store
