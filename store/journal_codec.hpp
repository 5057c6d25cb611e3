// The SQLite backend's journal rows: one commit's batches, broker-state
// operations only (named-queue items go to their table directly), in a
// compact binary form that is cheaper to write than the rows they stand for.
// Format: varint batch count; per batch a varint operation count; per
// operation its index in Operation (one byte) and its fields in declaration
// order: integers as LEB128 varints (int64 zigzag-encoded first), strings as
// a varint length and the bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/batch.hpp"

namespace mqgate::store {

// Whether `o` goes to the journal: every operation except op::Append and op::Remove.
bool journaled(const Operation& o);

// Appends `batches` (their journaled operations; a batch with none is left out) to `out`; returns
// how many operations it wrote.
std::size_t encode_journal_row(const std::vector<const Batch*>& batches, std::string& out);

// Appends the batches of `row` to `batches`. False when `row` is not one encode_journal_row wrote
// (truncated, an unknown operation, a value out of its type's range, bytes left over).
bool decode_journal_row(std::string_view row, std::vector<Batch>& batches);

}  // namespace mqgate::store
