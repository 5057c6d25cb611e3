// MQTT 3.1.1 control packets as plain value types. No I/O, no allocation
// policy beyond std::string: the codec fills these and the broker reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mqgate::mqtt {

enum class PacketType : std::uint8_t {
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
};

const char* to_string(PacketType t) noexcept;

// CONNACK return codes (§3.2.2.3).
enum class ConnectReturn : std::uint8_t {
    accepted = 0x00,
    unacceptable_protocol_version = 0x01,
    identifier_rejected = 0x02,
    server_unavailable = 0x03,
    bad_username_or_password = 0x04,
    not_authorized = 0x05,
};

inline constexpr std::uint8_t suback_failure = 0x80;

struct Will {
    std::string topic;
    std::string payload;  // binary
    std::uint8_t qos = 0;
    bool retain = false;
    friend bool operator==(const Will&, const Will&) = default;
};

struct Connect {
    std::string protocol_name = "MQTT";
    std::uint8_t protocol_level = 4;
    bool clean_session = true;
    std::uint16_t keepalive = 0;
    std::string client_id;
    std::optional<Will> will;
    std::optional<std::string> username;
    std::optional<std::string> password;  // binary
    friend bool operator==(const Connect&, const Connect&) = default;
};

struct Connack {
    bool session_present = false;
    ConnectReturn return_code = ConnectReturn::accepted;
    friend bool operator==(const Connack&, const Connack&) = default;
};

struct Publish {
    bool dup = false;
    std::uint8_t qos = 0;
    bool retain = false;
    std::string topic;
    std::uint16_t packet_id = 0;  // only meaningful when qos > 0
    std::string payload;          // binary
    friend bool operator==(const Publish&, const Publish&) = default;
};

// The four acknowledgements that carry only a packet identifier.
struct Puback { std::uint16_t packet_id = 0; friend bool operator==(const Puback&, const Puback&) = default; };
struct Pubrec { std::uint16_t packet_id = 0; friend bool operator==(const Pubrec&, const Pubrec&) = default; };
struct Pubrel { std::uint16_t packet_id = 0; friend bool operator==(const Pubrel&, const Pubrel&) = default; };
struct Pubcomp { std::uint16_t packet_id = 0; friend bool operator==(const Pubcomp&, const Pubcomp&) = default; };

struct Subscription {
    std::string filter;
    std::uint8_t qos = 0;
    friend bool operator==(const Subscription&, const Subscription&) = default;
};

struct Subscribe {
    std::uint16_t packet_id = 0;
    std::vector<Subscription> subscriptions;  // never empty once decoded
    friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

struct Suback {
    std::uint16_t packet_id = 0;
    std::vector<std::uint8_t> return_codes;  // 0, 1, 2 or 0x80
    friend bool operator==(const Suback&, const Suback&) = default;
};

struct Unsubscribe {
    std::uint16_t packet_id = 0;
    std::vector<std::string> filters;  // never empty once decoded
    friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};

struct Unsuback { std::uint16_t packet_id = 0; friend bool operator==(const Unsuback&, const Unsuback&) = default; };
struct Pingreq { friend bool operator==(const Pingreq&, const Pingreq&) = default; };
struct Pingresp { friend bool operator==(const Pingresp&, const Pingresp&) = default; };
struct Disconnect { friend bool operator==(const Disconnect&, const Disconnect&) = default; };

// Alternative index + 1 == PacketType value: keep the order of PacketType.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe, Suback,
                            Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect>;

inline PacketType type_of(const Packet& p) noexcept { return static_cast<PacketType>(p.index() + 1); }

}  // namespace mqgate::mqtt
