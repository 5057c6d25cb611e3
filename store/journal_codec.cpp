#include "store/journal_codec.hpp"

#include <concepts>
#include <limits>
#include <type_traits>
#include <utility>

namespace mqgate::store {

namespace {

// Named-queue items have a table of their own and no journal entries.
template <typename T>
constexpr bool is_queue_item = std::is_same_v<T, op::Append> || std::is_same_v<T, op::Remove>;

// Calls `f` with every field of `o` (const or not), in the one order both directions use.
template <typename Op, typename F>
void fields(Op& o, F&& f) {
    using T = std::remove_const_t<Op>;
    if constexpr (std::is_same_v<T, op::PutMessage>)
        f(o.id, o.message.topic, o.message.payload, o.message.qos, o.message.retain, o.message.timestamp_ms,
          o.message.origin_client_id);
    else if constexpr (std::is_same_v<T, op::PutRetained>)
        f(o.topic, o.message);
    else if constexpr (std::is_same_v<T, op::EraseRetained>)
        f(o.topic);
    else if constexpr (std::is_same_v<T, op::PutSession> || std::is_same_v<T, op::EraseSession>)
        f(o.client_id);
    else if constexpr (std::is_same_v<T, op::Subscribe>)
        f(o.client_id, o.subscription.filter, o.subscription.qos);
    else if constexpr (std::is_same_v<T, op::Unsubscribe>)
        f(o.client_id, o.filter);
    else if constexpr (std::is_same_v<T, op::Enqueue>)
        f(o.client_id, o.entry.seq, o.entry.message, o.entry.qos, o.entry.retain);
    else if constexpr (std::is_same_v<T, op::Dequeue>)
        f(o.client_id, o.seq);
    else if constexpr (std::is_same_v<T, op::PutInflight>)
        f(o.client_id, o.entry.packet_id, o.entry.seq, o.entry.message, o.entry.qos, o.entry.retain, o.entry.stage,
          o.entry.dup);
    else if constexpr (std::is_same_v<T, op::EraseInflight> || std::is_same_v<T, op::EraseInbound>)
        f(o.client_id, o.packet_id);
    else if constexpr (std::is_same_v<T, op::PutInbound>)
        f(o.client_id, o.entry.packet_id, o.entry.received_at_ms);
    else if constexpr (std::is_same_v<T, op::ClearBrokerState>)
        f();
    else
        static_assert(is_queue_item<T>, "an operation without fields");
}

class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
            v >>= 7;
        }
        out_.push_back(static_cast<char>(v));
    }
    void put(std::unsigned_integral auto v) { varint(v); }
    void put(bool v) { varint(v ? 1 : 0); }
    void put(InflightStage v) { varint(static_cast<std::uint8_t>(v)); }
    void put(std::int64_t v) { varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
    void put(const std::string& s) {
        varint(s.size());
        out_.append(s);
    }

private:
    std::string& out_;
};

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}

    bool ok() const { return ok_; }
    bool done() const { return ok_ && at_ == in_.size(); }

    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at_ == in_.size()) break;
            const auto byte = static_cast<std::uint8_t>(in_[at_++]);
            // The tenth byte holds bit 63 alone.
            if (shift == 63 && byte > 1) break;
            v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) return v;
        }
        ok_ = false;
        return 0;
    }
    template <std::unsigned_integral T>
    void get(T& v) {
        const std::uint64_t x = varint();
        if (x > std::numeric_limits<T>::max()) ok_ = false;
        v = static_cast<T>(x);
    }
    void get(bool& v) {
        const std::uint64_t x = varint();
        if (x > 1) ok_ = false;
        v = x == 1;
    }
    void get(InflightStage& v) {
        std::uint8_t x = 0;
        get(x);
        v = static_cast<InflightStage>(x);  // values_valid() checks the range
    }
    void get(std::int64_t& v) {
        const std::uint64_t x = varint();
        v = static_cast<std::int64_t>(x >> 1) ^ -static_cast<std::int64_t>(x & 1);
    }
    void get(std::string& s) {
        const std::uint64_t n = varint();
        if (!ok_ || n > in_.size() - at_) {
            ok_ = false;
            return;
        }
        s.assign(in_.substr(at_, n));
        at_ += n;
    }

private:
    std::string_view in_;
    std::size_t at_ = 0;
    bool ok_ = true;
};

// The operation whose index in Operation is `index`, default-constructed.
template <std::size_t... I>
Operation operation_at(std::size_t index, std::index_sequence<I...>) {
    Operation o;
    (void)((index == I && (o.emplace<I>(), true)) || ...);
    return o;
}

}  // namespace

bool journaled(const Operation& o) {
    return !std::holds_alternative<op::Append>(o) && !std::holds_alternative<op::Remove>(o);
}

std::size_t encode_journal_row(const std::vector<const Batch*>& batches, std::string& out) {
    Writer w(out);
    const auto journaled_count = [](const Batch& b) {
        std::size_t n = 0;
        for (const Operation& o : b.operations()) n += journaled(o);
        return n;
    };
    std::size_t kept = 0;
    for (const Batch* b : batches) kept += journaled_count(*b) > 0;
    w.varint(kept);
    std::size_t written = 0;
    for (const Batch* b : batches) {
        const std::size_t n = journaled_count(*b);
        if (n == 0) continue;
        w.varint(n);
        written += n;
        for (const Operation& o : b->operations()) {
            if (!journaled(o)) continue;
            w.varint(o.index());
            std::visit(
                [&](const auto& x) {
                    if constexpr (!is_queue_item<std::decay_t<decltype(x)>>)
                        fields(x, [&](const auto&... v) { (w.put(v), ...); });
                },
                o);
        }
    }
    return written;
}

bool decode_journal_row(std::string_view row, std::vector<Batch>& batches) {
    Reader r(row);
    constexpr auto kinds = std::variant_size_v<Operation>;
    const std::uint64_t count = r.varint();
    // Each batch takes at least one byte: a count beyond the row's size is damage, not a reason to allocate.
    if (!r.ok() || count > row.size()) return false;
    for (std::uint64_t b = 0; b < count && r.ok(); ++b) {
        Batch& batch = batches.emplace_back();
        const std::uint64_t ops = r.varint();
        if (ops > row.size()) return false;
        for (std::uint64_t i = 0; i < ops && r.ok(); ++i) {
            const std::uint64_t kind = r.varint();
            if (!r.ok() || kind >= kinds) return false;
            Operation o = operation_at(kind, std::make_index_sequence<kinds>{});
            if (!journaled(o)) return false;
            std::visit(
                [&](auto& x) {
                    if constexpr (!is_queue_item<std::decay_t<decltype(x)>>)
                        fields(x, [&](auto&... v) { (r.get(v), ...); });
                },
                o);
            batch.add(std::move(o));
        }
    }
    return r.done();
}

}  // namespace mqgate::store
