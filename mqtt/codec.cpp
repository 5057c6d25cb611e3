// MQTT 3.1.1 wire format (§2, §3). decode() checks every rule that can be
// checked from one packet alone; the session checks the rest (ordering,
// direction, limits).
#include "mqtt/codec.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <variant>

#include "mqtt/topic.hpp"

namespace mqgate::mqtt {
namespace {

// Sequential reads over a packet body. Every read reports overrun instead
// of reading past the end, so malformed input cannot reach memory it
// does not own.
class Reader {
public:
    explicit Reader(std::string_view body) noexcept : body_(body) {}

    bool u8(std::uint8_t& v) noexcept {
        if (pos_ >= body_.size()) return false;
        v = static_cast<std::uint8_t>(body_[pos_++]);
        return true;
    }
    bool u16(std::uint16_t& v) noexcept {
        if (body_.size() - pos_ < 2) return false;
        v = static_cast<std::uint16_t>((static_cast<std::uint8_t>(body_[pos_]) << 8) |
                                       static_cast<std::uint8_t>(body_[pos_ + 1]));
        pos_ += 2;
        return true;
    }
    // A two-byte length followed by that many bytes (§1.5.3), as a view
    // into the body.
    bool bytes(std::string_view& v) noexcept {
        std::uint16_t len;
        if (!u16(len)) return false;
        if (body_.size() - pos_ < len) return false;
        v = body_.substr(pos_, len);
        pos_ += len;
        return true;
    }
    std::string_view rest() noexcept {
        auto r = body_.substr(pos_);
        pos_ = body_.size();
        return r;
    }
    bool at_end() const noexcept { return pos_ == body_.size(); }

private:
    std::string_view body_;
    std::size_t pos_ = 0;
};

std::error_code malformed() noexcept { return Errc::malformed_length; }

std::error_code finish(const Reader& r) noexcept {
    return r.at_end() ? std::error_code{} : std::error_code{Errc::trailing_bytes};
}

// Everything the first byte alone can break: Table 2.1 (reserved types),
// Table 2.2 (flags), and the PUBLISH QoS/DUP flag rules.
std::error_code validate_first_byte(std::uint8_t first) noexcept {
    const unsigned type = first >> 4;
    const unsigned flags = first & 0x0F;
    if (type == 0 || type == 15) return Errc::reserved_packet_type;
    switch (static_cast<PacketType>(type)) {
    case PacketType::publish: {
        const unsigned qos = (flags >> 1) & 3;
        if (qos == 3) return Errc::invalid_qos;
        if (qos == 0 && (flags & 0x08)) return Errc::dup_with_qos0;
        return {};
    }
    case PacketType::pubrel:
    case PacketType::subscribe:
    case PacketType::unsubscribe:
        return flags == 0x02 ? std::error_code{} : std::error_code{Errc::invalid_fixed_header_flags};
    default:
        return flags == 0 ? std::error_code{} : std::error_code{Errc::invalid_fixed_header_flags};
    }
}

std::error_code decode_connect_rest(Reader& r, Connect& c) {
    std::uint8_t flags;
    if (!r.u8(flags) || !r.u16(c.keepalive)) return malformed();
    if (flags & 0x01) return Errc::connect_reserved_flag;
    const bool will_flag = flags & 0x04;
    const std::uint8_t will_qos = (flags >> 3) & 3;
    const bool will_retain = flags & 0x20;
    const bool password_flag = flags & 0x40;
    const bool username_flag = flags & 0x80;
    c.clean_session = flags & 0x02;
    if (will_flag && will_qos == 3) return Errc::invalid_will_qos;
    if (!will_flag && (will_qos != 0 || will_retain)) return Errc::will_flags_without_will;
    if (password_flag && !username_flag) return Errc::password_without_username;

    std::string_view client_id;
    if (!r.bytes(client_id)) return malformed();
    if (auto ec = validate_utf8(client_id)) return ec;
    c.client_id.assign(client_id);

    if (will_flag) {
        std::string_view topic, payload;
        if (!r.bytes(topic) || !r.bytes(payload)) return malformed();
        if (auto ec = validate_topic_name(topic)) return ec;
        c.will = Will{std::string(topic), std::string(payload), will_qos, will_retain};
    }
    if (username_flag) {
        std::string_view username;
        if (!r.bytes(username)) return malformed();
        if (auto ec = validate_utf8(username)) return ec;
        c.username.emplace(username);
    }
    if (password_flag) {
        std::string_view password;
        if (!r.bytes(password)) return malformed();
        c.password.emplace(password);
    }
    return finish(r);
}

std::error_code decode_connect(std::string_view body, Connect& c) {
    Reader r(body);
    std::string_view name;
    std::uint8_t level;
    if (!r.bytes(name)) return malformed();
    // "MQIsdp" is MQTT 3.1: decoded so the broker can refuse it with
    // CONNACK 0x01 instead of dropping the connection.
    if (name != "MQTT" && name != "MQIsdp") return Errc::invalid_protocol_name;
    if (!r.u8(level)) return malformed();
    c.protocol_name.assign(name);
    c.protocol_level = level;
    const auto ec = decode_connect_rest(r, c);
    if (!ec || (name == "MQTT" && level == 4)) return ec;
    // Other versions lay out the rest differently (MQTT 5 adds properties).
    // All the broker needs is name and level, to answer CONNACK 0x01.
    c = Connect{};
    c.protocol_name.assign(name);
    c.protocol_level = level;
    return {};
}

std::error_code decode_connack(std::string_view body, Connack& c) {
    Reader r(body);
    std::uint8_t ack_flags, code;
    if (!r.u8(ack_flags) || !r.u8(code)) return malformed();
    if (ack_flags & 0xFE) return Errc::connack_reserved_bits;
    if (code > static_cast<std::uint8_t>(ConnectReturn::not_authorized)) return Errc::invalid_return_code;
    c.session_present = ack_flags & 0x01;
    c.return_code = static_cast<ConnectReturn>(code);
    return finish(r);
}

std::error_code decode_publish(std::uint8_t first, std::string_view body, Publish& p) {
    Reader r(body);
    p.dup = first & 0x08;
    p.qos = (first >> 1) & 3;
    p.retain = first & 0x01;
    std::string_view topic;
    if (!r.bytes(topic)) return malformed();
    if (auto ec = validate_topic_name(topic)) return ec;
    if (p.qos > 0) {
        if (!r.u16(p.packet_id)) return malformed();
        if (p.packet_id == 0) return Errc::zero_packet_id;
    }
    p.topic.assign(topic);
    p.payload.assign(r.rest());
    return {};
}

template <typename Ack>
std::error_code decode_ack(std::string_view body, Ack& a) {
    Reader r(body);
    if (!r.u16(a.packet_id)) return malformed();
    // An ack answers a packet that had a non-zero id [MQTT-2.3.1-1].
    if (a.packet_id == 0) return Errc::zero_packet_id;
    return finish(r);
}

std::error_code decode_subscribe(std::string_view body, Subscribe& s) {
    Reader r(body);
    if (!r.u16(s.packet_id)) return malformed();
    if (s.packet_id == 0) return Errc::zero_packet_id;
    if (r.at_end()) return Errc::empty_subscription_list;
    while (!r.at_end()) {
        std::string_view filter;
        std::uint8_t options;
        if (!r.bytes(filter) || !r.u8(options)) return malformed();
        if (auto ec = validate_topic_filter(filter)) return ec;
        if (options & 0xFC) return Errc::subscribe_reserved_bits;
        if (options == 3) return Errc::invalid_qos;
        s.subscriptions.push_back(Subscription{std::string(filter), options});
    }
    return {};
}

std::error_code decode_suback(std::string_view body, Suback& s) {
    Reader r(body);
    if (!r.u16(s.packet_id)) return malformed();
    const auto codes = r.rest();
    if (codes.empty()) return malformed();
    s.return_codes.reserve(codes.size());
    for (const char ch : codes) {
        const auto code = static_cast<std::uint8_t>(ch);
        if (code > 2 && code != suback_failure) return Errc::invalid_return_code;
        s.return_codes.push_back(code);
    }
    return {};
}

std::error_code decode_unsubscribe(std::string_view body, Unsubscribe& u) {
    Reader r(body);
    if (!r.u16(u.packet_id)) return malformed();
    if (u.packet_id == 0) return Errc::zero_packet_id;
    if (r.at_end()) return Errc::empty_subscription_list;
    while (!r.at_end()) {
        std::string_view filter;
        if (!r.bytes(filter)) return malformed();
        if (auto ec = validate_topic_filter(filter)) return ec;
        u.filters.emplace_back(filter);
    }
    return {};
}

std::error_code decode_empty(std::string_view body) noexcept {
    return body.empty() ? std::error_code{} : std::error_code{Errc::trailing_bytes};
}

// ---- encoding ----

void put_u8(std::uint8_t v, std::string& out) { out.push_back(static_cast<char>(v)); }

void put_u16(std::uint16_t v, std::string& out) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xFF));
}

// Precondition: s.size() <= 65535 (the wire cannot carry more).
void put_bytes(std::string_view s, std::string& out) {
    put_u16(static_cast<std::uint16_t>(s.size()), out);
    out.append(s);
}

void put_header(PacketType type, std::uint8_t flags, std::size_t remaining, std::string& out) {
    put_u8(static_cast<std::uint8_t>((static_cast<unsigned>(type) << 4) | flags), out);
    encode_remaining_length(remaining, out);
}

void encode_packet(const Connect& c, std::string& out) {
    std::size_t len = 2 + c.protocol_name.size() + 1 + 1 + 2 + 2 + c.client_id.size();
    std::uint8_t flags = c.clean_session ? 0x02 : 0x00;
    if (c.will) {
        len += 2 + c.will->topic.size() + 2 + c.will->payload.size();
        flags |= 0x04 | static_cast<std::uint8_t>(c.will->qos << 3) | (c.will->retain ? 0x20 : 0);
    }
    if (c.username) {
        len += 2 + c.username->size();
        flags |= 0x80;
    }
    if (c.password) {
        len += 2 + c.password->size();
        flags |= 0x40;
    }
    put_header(PacketType::connect, 0, len, out);
    put_bytes(c.protocol_name, out);
    put_u8(c.protocol_level, out);
    put_u8(flags, out);
    put_u16(c.keepalive, out);
    put_bytes(c.client_id, out);
    if (c.will) {
        put_bytes(c.will->topic, out);
        put_bytes(c.will->payload, out);
    }
    if (c.username) put_bytes(*c.username, out);
    if (c.password) put_bytes(*c.password, out);
}

void encode_packet(const Connack& c, std::string& out) {
    put_header(PacketType::connack, 0, 2, out);
    put_u8(c.session_present ? 1 : 0, out);
    put_u8(static_cast<std::uint8_t>(c.return_code), out);
}

void encode_packet(const Publish& p, std::string& out) {
    encode_publish_header(p.dup, p.qos, p.retain, p.topic, p.packet_id, p.payload.size(), out);
    out.append(p.payload);
}

void encode_ack(PacketType type, std::uint8_t flags, std::uint16_t id, std::string& out) {
    put_header(type, flags, 2, out);
    put_u16(id, out);
}

void encode_packet(const Puback& a, std::string& out) { encode_ack(PacketType::puback, 0, a.packet_id, out); }
void encode_packet(const Pubrec& a, std::string& out) { encode_ack(PacketType::pubrec, 0, a.packet_id, out); }
void encode_packet(const Pubrel& a, std::string& out) { encode_ack(PacketType::pubrel, 2, a.packet_id, out); }
void encode_packet(const Pubcomp& a, std::string& out) { encode_ack(PacketType::pubcomp, 0, a.packet_id, out); }
void encode_packet(const Unsuback& a, std::string& out) { encode_ack(PacketType::unsuback, 0, a.packet_id, out); }

void encode_packet(const Subscribe& s, std::string& out) {
    std::size_t len = 2;
    for (const auto& sub : s.subscriptions) len += 2 + sub.filter.size() + 1;
    put_header(PacketType::subscribe, 2, len, out);
    put_u16(s.packet_id, out);
    for (const auto& sub : s.subscriptions) {
        put_bytes(sub.filter, out);
        put_u8(sub.qos, out);
    }
}

void encode_packet(const Suback& s, std::string& out) {
    put_header(PacketType::suback, 0, 2 + s.return_codes.size(), out);
    put_u16(s.packet_id, out);
    for (const auto code : s.return_codes) put_u8(code, out);
}

void encode_packet(const Unsubscribe& u, std::string& out) {
    std::size_t len = 2;
    for (const auto& f : u.filters) len += 2 + f.size();
    put_header(PacketType::unsubscribe, 2, len, out);
    put_u16(u.packet_id, out);
    for (const auto& f : u.filters) put_bytes(f, out);
}

void encode_packet(const Pingreq&, std::string& out) { put_header(PacketType::pingreq, 0, 0, out); }
void encode_packet(const Pingresp&, std::string& out) { put_header(PacketType::pingresp, 0, 0, out); }
void encode_packet(const Disconnect&, std::string& out) { put_header(PacketType::disconnect, 0, 0, out); }

}  // namespace

std::error_code decode(std::uint8_t first_byte, std::string_view body, Packet& out) {
    if (auto ec = validate_first_byte(first_byte)) return ec;
    switch (static_cast<PacketType>(first_byte >> 4)) {
    case PacketType::connect: return decode_connect(body, out.emplace<Connect>());
    case PacketType::connack: return decode_connack(body, out.emplace<Connack>());
    case PacketType::publish: return decode_publish(first_byte, body, out.emplace<Publish>());
    case PacketType::puback: return decode_ack(body, out.emplace<Puback>());
    case PacketType::pubrec: return decode_ack(body, out.emplace<Pubrec>());
    case PacketType::pubrel: return decode_ack(body, out.emplace<Pubrel>());
    case PacketType::pubcomp: return decode_ack(body, out.emplace<Pubcomp>());
    case PacketType::subscribe: return decode_subscribe(body, out.emplace<Subscribe>());
    case PacketType::suback: return decode_suback(body, out.emplace<Suback>());
    case PacketType::unsubscribe: return decode_unsubscribe(body, out.emplace<Unsubscribe>());
    case PacketType::unsuback: return decode_ack(body, out.emplace<Unsuback>());
    case PacketType::pingreq: out.emplace<Pingreq>(); return decode_empty(body);
    case PacketType::pingresp: out.emplace<Pingresp>(); return decode_empty(body);
    case PacketType::disconnect: out.emplace<Disconnect>(); return decode_empty(body);
    }
    return Errc::reserved_packet_type;
}

void encode(const Packet& p, std::string& out) {
    std::visit([&out](const auto& packet) { encode_packet(packet, out); }, p);
}

void encode_publish_header(bool dup, std::uint8_t qos, bool retain, std::string_view topic,
                           std::uint16_t packet_id, std::size_t payload_size, std::string& out) {
    const std::size_t len = 2 + topic.size() + (qos > 0 ? 2 : 0) + payload_size;
    const auto flags = static_cast<std::uint8_t>((dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0));
    put_header(PacketType::publish, flags, len, out);
    put_bytes(topic, out);
    if (qos > 0) put_u16(packet_id, out);
}

void encode_remaining_length(std::size_t value, std::string& out) {
    do {
        auto byte = static_cast<std::uint8_t>(value & 0x7F);
        value >>= 7;
        if (value > 0) byte |= 0x80;
        put_u8(byte, out);
    } while (value > 0);
}

// Every connection holds one (memory per idle connection).
static_assert(sizeof(void*) != 8 || sizeof(Decoder) == 32);

void Decoder::feed(std::string_view bytes) {
    if (bytes.empty()) return;
    const std::size_t want = std::size_t{size_} + bytes.size();
    if (want > capacity_) {
        const std::size_t grown = std::max(want, std::size_t{capacity_} * 2);
        auto bigger = std::make_unique_for_overwrite<char[]>(grown);
        if (size_ > 0) std::memcpy(bigger.get(), buffer_.get(), size_);
        buffer_ = std::move(bigger);
        capacity_ = static_cast<std::uint32_t>(grown);
    }
    std::memcpy(buffer_.get() + size_, bytes.data(), bytes.size());
    size_ = static_cast<std::uint32_t>(want);
}

Decoder::Status Decoder::frame(std::string_view avail, Packet& out, std::size_t& used, std::error_code& ec) {
    if (error_ != Errc::ok) {
        ec = error_;
        return Status::error;
    }
    const auto fail = [&](std::error_code e) {
        // Every decoding error is one of ours (errors.hpp), so its value is kept.
        error_ = static_cast<Errc>(e.value());
        ec = e;
        return Status::error;
    };
    if (avail.empty()) return Status::need_more;
    const auto* p = reinterpret_cast<const unsigned char*>(avail.data());
    constexpr unsigned char connect_first_byte = 0x10;  // type 1, flags 0000
    if (connect_limit_ != 0 && p[0] != connect_first_byte) return fail(Errc::first_packet_not_connect);
    if (auto e = validate_first_byte(p[0])) return fail(e);

    std::size_t remaining = 0;
    std::size_t k = 0;
    for (;; ++k) {
        if (k == 4) return fail(Errc::remaining_length_too_long);
        if (1 + k >= avail.size()) return Status::need_more;
        const unsigned char b = p[1 + k];
        remaining |= static_cast<std::size_t>(b & 0x7F) << (7 * k);
        if (!(b & 0x80)) {
            // A last byte of 0 after a continuation adds nothing: a shorter
            // encoding of the same value exists.
            if (k > 0 && b == 0) return fail(Errc::remaining_length_not_minimal);
            break;
        }
    }
    const std::size_t header = 2 + k;
    const std::size_t total = header + remaining;
    if (connect_limit_ != 0 && total > connect_limit_) return fail(Errc::connect_too_large);
    if (total > max_packet_size_) return fail(Errc::packet_too_large);
    if (avail.size() < total) return Status::need_more;

    if (auto e = decode(p[0], avail.substr(header, remaining), out)) return fail(e);
    connect_limit_ = 0;
    used = total;
    ec.clear();
    return Status::packet;
}

Decoder::Status Decoder::next(Packet& out, std::error_code& ec) {
    std::size_t used = 0;
    const auto status = frame({buffer_.get() + consumed_, buffered()}, out, used, ec);
    if (status == Status::packet) {
        consumed_ += static_cast<std::uint32_t>(used);
    } else if (status == Status::need_more && consumed_ > 0) {
        // Only the unfinished packet stays, so the buffer never holds more
        // than one packet plus whatever the last feed() added.
        size_ -= consumed_;
        if (size_ > 0) std::memmove(buffer_.get(), buffer_.get() + consumed_, size_);
        consumed_ = 0;
    }
    return status;
}

Decoder::Status Decoder::next(std::string_view& input, Packet& out, std::error_code& ec) {
    if (buffered() == 0) {
        std::size_t used = 0;
        const auto status = frame(input, out, used, ec);
        if (status != Status::need_more) {
            input.remove_prefix(used);
            return status;
        }
    }
    feed(input);
    input = {};
    return next(out, ec);
}

}  // namespace mqgate::mqtt
