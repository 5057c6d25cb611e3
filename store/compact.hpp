// Net-out of one commit group: a write that a later batch of the same group
// undoes is not made. Under steady QoS 1 traffic to a persistent session most
// deliveries are taken in flight and acknowledged within one commit interval
// (the subscriber's PUBACK comes back while the previous commit is still
// syncing), so the insert, its delete, and the message they referred to would
// otherwise be three SQLite writes that leave nothing behind.
//
// What cancels, inside the valid batches of the group, in submit order:
// - a put of a key (in-flight entry, queue entry, inbound QoS 2 id, retained
//   topic, named-queue item) followed by another put or an erase of the same
//   key: the earlier put is dropped; the erase stays (the row may predate the
//   group);
// - puts of a session's keys followed by the erase or re-creation of that
//   session, which deletes them anyway: dropped;
// - a message nothing kept in the group refers to: dropped (it is either
//   stored already or would be deleted unreferenced at the end of the commit).
// ClearBrokerState ends what earlier ops can be matched with.
// Invalid batches (values_valid) take no part: the backend refuses them whole.
// A batch whose values are valid but which SQLite refuses (a session or
// message missing: a bug in the caller) may have cancelled a put of an
// earlier batch that then is not made either.
#pragma once

#include <cstddef>
#include <span>

#include "store/backend.hpp"

namespace mqgate::store {

// Drops the cancelled operations from the batches of `group`; returns how many.
std::size_t compact(std::span<Pending> group);

}  // namespace mqgate::store
