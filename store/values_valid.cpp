#include "store/backend.hpp"

#include <algorithm>

namespace mqgate::store {

namespace {

bool qos_valid(std::uint8_t qos) { return qos <= 2; }

struct ValueCheck {
    bool operator()(const op::PutMessage& o) const { return qos_valid(o.message.qos); }
    bool operator()(const op::Subscribe& o) const { return qos_valid(o.subscription.qos); }
    bool operator()(const op::Enqueue& o) const { return qos_valid(o.entry.qos); }
    bool operator()(const op::PutInflight& o) const {
        const auto stage = static_cast<int>(o.entry.stage);
        // QoS 1 waits for PUBACK only, QoS 2 for PUBREC or PUBCOMP: load() refuses any other pair.
        const bool fits = o.entry.qos == 1 ? stage == 1 : o.entry.qos == 2 && (stage == 2 || stage == 3);
        return o.entry.packet_id != 0 && fits;
    }
    bool operator()(const op::PutInbound& o) const { return o.entry.packet_id != 0; }
    template <typename Other>
    bool operator()(const Other&) const { return true; }
};

}  // namespace

bool values_valid(const Batch& batch) {
    return std::ranges::all_of(batch.operations(), [](const Operation& o) { return std::visit(ValueCheck{}, o); });
}

}  // namespace mqgate::store
