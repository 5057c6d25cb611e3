// Every way an inbound packet can be malformed or break a protocol rule has
// its own error, so logs, metrics and tests can name the rule that was hit.
#pragma once

#include <system_error>

namespace mqgate::mqtt {

enum class Errc {
    ok = 0,
    // Framing
    remaining_length_too_long,      // §2.2.3: more than 4 bytes
    remaining_length_not_minimal,   // POLICY: non-minimal variable byte integer
    packet_too_large,               // configured max packet size exceeded
    reserved_packet_type,           // type 0 or 15 (Table 2.1)
    invalid_fixed_header_flags,     // [MQTT-2.2.2-1/-2]
    malformed_length,               // fields overrun or underrun the remaining length [MQTT-4.8.0-1]
    trailing_bytes,                 // bytes left after the last field [MQTT-4.8.0-1]
    // Strings and topics
    invalid_utf8,                   // [MQTT-1.5.3-1]
    utf8_null_character,            // [MQTT-1.5.3-2]
    utf8_disallowed_code_point,     // POLICY: controls and non-characters
    empty_topic,                    // [MQTT-4.7.3-1]
    wildcard_in_topic_name,         // [MQTT-3.3.2-2]
    invalid_topic_filter,           // [MQTT-4.7.1-2/-3]
    // CONNECT
    invalid_protocol_name,          // [MQTT-3.1.2-1]
    connect_reserved_flag,          // [MQTT-3.1.2-3]
    invalid_will_qos,               // [MQTT-3.1.2-14]
    will_flags_without_will,        // [MQTT-3.1.2-11/-13/-15]
    password_without_username,      // [MQTT-3.1.2-22]
    // PUBLISH
    invalid_qos,                    // [MQTT-3.3.1-4], SUBSCRIBE QoS 3 [MQTT-3-8.3-4]
    dup_with_qos0,                  // [MQTT-3.3.1-2]
    zero_packet_id,                 // [MQTT-2.3.1-1]
    // SUBSCRIBE / UNSUBSCRIBE
    subscribe_reserved_bits,        // [MQTT-3-8.3-4]
    empty_subscription_list,        // [MQTT-3.8.3-3], [MQTT-3.10.3-2]
    // Broker-level protocol state (raised by the session, not the codec)
    first_packet_not_connect,       // [MQTT-3.1.0-1]; a server's Decoder sees it on the first byte
    connect_too_large,              // the first packet announces more than max_connect_size
    second_connect,                 // [MQTT-3.1.0-2]
    unexpected_packet_type,         // server-bound only: CONNACK, SUBACK, UNSUBACK, PINGRESP from a client
    too_many_topic_levels,          // configured max_topic_levels exceeded
    sys_topic_forbidden,            // a client publish (or will) to $SYS...: only the broker writes there
    unexpected_ack,                 // PUBACK for a QoS 2 message, PUBREC/PUBCOMP for a QoS 1 one
    // Client-bound packets (decoded by clients and the bench)
    connack_reserved_bits,          // §3.2.2.1: CONNACK acknowledge flags bits 7-1 must be 0
    invalid_return_code,            // CONNACK code > 5 (§3.2.2.3), SUBACK code not 0/1/2/0x80 (§3.9.3)
};

const std::error_category& mqtt_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), mqtt_category()}; }

}  // namespace mqgate::mqtt

template <>
struct std::is_error_code_enum<mqgate::mqtt::Errc> : std::true_type {};
