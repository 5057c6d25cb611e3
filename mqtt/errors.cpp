#include "mqtt/errors.hpp"

#include <string>

namespace mqgate::mqtt {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "mqtt"; }

    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
        case Errc::ok: return "success";
        case Errc::remaining_length_too_long: return "remaining length uses more than 4 bytes";
        case Errc::remaining_length_not_minimal: return "remaining length is not minimally encoded";
        case Errc::packet_too_large: return "packet exceeds the maximum packet size";
        case Errc::reserved_packet_type: return "reserved packet type (0 or 15)";
        case Errc::invalid_fixed_header_flags: return "invalid fixed header flags for the packet type";
        case Errc::malformed_length: return "packet fields overrun the remaining length";
        case Errc::trailing_bytes: return "unexpected bytes after the last field of the packet";
        case Errc::invalid_utf8: return "ill-formed UTF-8 string";
        case Errc::utf8_null_character: return "UTF-8 string contains U+0000";
        case Errc::utf8_disallowed_code_point: return "UTF-8 string contains a control character or non-character";
        case Errc::empty_topic: return "topic name or filter is empty";
        case Errc::wildcard_in_topic_name: return "topic name contains a wildcard ('+' or '#')";
        case Errc::invalid_topic_filter: return "invalid topic filter ('#' not last or not alone, or '+' not alone in its level)";
        case Errc::invalid_protocol_name: return "protocol name is not \"MQTT\"";
        case Errc::connect_reserved_flag: return "CONNECT reserved flag is set";
        case Errc::invalid_will_qos: return "will QoS is 3";
        case Errc::will_flags_without_will: return "will QoS or will retain set without the will flag";
        case Errc::password_without_username: return "password flag set without the user name flag";
        case Errc::invalid_qos: return "QoS 3 is not allowed";
        case Errc::dup_with_qos0: return "DUP flag set on a QoS 0 PUBLISH";
        case Errc::zero_packet_id: return "packet identifier is 0";
        case Errc::subscribe_reserved_bits: return "SUBSCRIBE options reserved bits are set";
        case Errc::empty_subscription_list: return "SUBSCRIBE or UNSUBSCRIBE carries no topic filter";
        case Errc::first_packet_not_connect: return "first packet on the connection is not CONNECT";
        case Errc::connect_too_large: return "first packet is larger than max_connect_size";
        case Errc::second_connect: return "second CONNECT on the connection";
        case Errc::unexpected_packet_type: return "packet type not allowed in this direction";
        case Errc::too_many_topic_levels: return "topic has more levels than max_topic_levels";
        case Errc::sys_topic_forbidden: return "topics starting with $SYS are written by the broker only";
        case Errc::unexpected_ack: return "acknowledgement of the wrong type for the message in flight";
        case Errc::connack_reserved_bits: return "CONNACK acknowledge flags reserved bits are set";
        case Errc::invalid_return_code: return "invalid CONNACK or SUBACK return code";
        }
        return "unknown mqtt error " + std::to_string(value);
    }
};

}  // namespace

const std::error_category& mqtt_category() noexcept {
    static const Category category;
    return category;
}

}  // namespace mqgate::mqtt
