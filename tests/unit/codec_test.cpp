// MQTT 3.1.1 codec: round trips, exact wire bytes and one test per rule the
// codec enforces (hand-written bytes). The incremental Decoder: decoder_test.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mqtt/codec.hpp"
#include "codec_helpers.hpp"

namespace mqgate::mqtt {
namespace {

using namespace codec_test;

std::error_code decode_error(const std::string& w) { return decode_wire(w).ec; }

void expect_round_trip(const Packet& p) {
    const auto r = decode_wire(wire(p));
    ASSERT_FALSE(r.ec) << r.ec.message() << " for " << to_string(type_of(p));
    EXPECT_TRUE(r.packet == p) << to_string(type_of(p));
}

// ---------------------------------------------------------------- round trips

TEST(CodecRoundTrip, Connect) {
    Connect minimal;
    expect_round_trip(minimal);

    Connect zero_id_persistent;
    zero_id_persistent.clean_session = false;
    zero_id_persistent.keepalive = 65535;
    expect_round_trip(zero_id_persistent);

    Connect full;
    full.client_id = "client-\xC3\xA9";
    full.keepalive = 60;
    full.will = Will{"last/will", std::string("\0\xFF\x01 binary", 10), 2, true};
    full.username = "user";
    full.password = std::string("p\0ss", 4);
    expect_round_trip(full);

    Connect username_only;
    username_only.client_id = "c";
    username_only.username = "";
    expect_round_trip(username_only);

    for (std::uint8_t q = 0; q <= 2; ++q) {
        Connect with_will;
        with_will.will = Will{"w", "", q, false};
        expect_round_trip(with_will);
    }
}

TEST(CodecRoundTrip, Connack) {
    expect_round_trip(Connack{});
    expect_round_trip(Connack{true, ConnectReturn::accepted});
    for (int code = 1; code <= 5; ++code) expect_round_trip(Connack{false, static_cast<ConnectReturn>(code)});
}

TEST(CodecRoundTrip, Publish) {
    expect_round_trip(Publish{false, 0, false, "a", 0, ""});
    expect_round_trip(Publish{false, 0, true, "sensors/t", 0, "21.5"});
    expect_round_trip(Publish{false, 1, false, "a/b", 1, std::string("\0\x80\xFF", 3)});
    expect_round_trip(Publish{true, 1, true, "a/b", 65535, "x"});
    expect_round_trip(Publish{true, 2, false, "\xEF\xBB\xBF" "bom", 42, "y"});
    expect_round_trip(Publish{false, 2, false, "big", 7, std::string(100'000, 'z')});
}

TEST(CodecRoundTrip, Acks) {
    for (const std::uint16_t id : {std::uint16_t{1}, std::uint16_t{0x1234}, std::uint16_t{65535}}) {
        expect_round_trip(Puback{id});
        expect_round_trip(Pubrec{id});
        expect_round_trip(Pubrel{id});
        expect_round_trip(Pubcomp{id});
        expect_round_trip(Unsuback{id});
    }
}

TEST(CodecRoundTrip, SubscribeSubackUnsubscribe) {
    expect_round_trip(Subscribe{1, {{"a/b", 0}}});
    expect_round_trip(Subscribe{65535, {{"sport/#", 0}, {"+/+", 1}, {"$SYS/#", 2}, {"#", 2}}});
    expect_round_trip(Suback{1, {0}});
    expect_round_trip(Suback{65535, {0, 1, 2, suback_failure}});
    expect_round_trip(Unsubscribe{1, {"a/b"}});
    expect_round_trip(Unsubscribe{65535, {"sport/#", "+", "/"}});
}

TEST(CodecRoundTrip, EmptyPackets) {
    expect_round_trip(Pingreq{});
    expect_round_trip(Pingresp{});
    expect_round_trip(Disconnect{});
}

// Remaining length boundaries: 1, 2, 3 and 4 bytes.
TEST(CodecRoundTrip, RemainingLengthBoundaries) {
    const std::string topic = "t";
    const std::size_t fixed = 2 + topic.size() + 2;  // topic length prefix, topic, packet id
    for (const std::size_t remaining : {std::size_t{127}, std::size_t{128}, std::size_t{16383}, std::size_t{16384},
                                        std::size_t{2097151}, std::size_t{2097152}}) {
        const Publish p{false, 1, false, topic, 9, std::string(remaining - fixed, 'p')};
        const std::string w = wire(p);
        const std::size_t length_bytes = remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4;
        EXPECT_EQ(w.size(), 1 + length_bytes + remaining) << remaining;
        expect_round_trip(p);
    }
}

// ---------------------------------------------------------------- exact bytes

TEST(CodecBytes, RemainingLengthEncoding) {
    const auto enc = [](std::size_t v) {
        std::string out;
        encode_remaining_length(v, out);
        return out;
    };
    EXPECT_EQ(enc(0), bytes({0x00}));
    EXPECT_EQ(enc(127), bytes({0x7F}));
    EXPECT_EQ(enc(128), bytes({0x80, 0x01}));
    EXPECT_EQ(enc(16383), bytes({0xFF, 0x7F}));
    EXPECT_EQ(enc(16384), bytes({0x80, 0x80, 0x01}));
    EXPECT_EQ(enc(2097151), bytes({0xFF, 0xFF, 0x7F}));
    EXPECT_EQ(enc(2097152), bytes({0x80, 0x80, 0x80, 0x01}));
    EXPECT_EQ(enc(max_remaining_length), bytes({0xFF, 0xFF, 0xFF, 0x7F}));
}

// §3.1.2.10 example: flags 0xCE (user name, password, will QoS 1, will,
// clean session), keep alive 10.
TEST(CodecBytes, ConnectMatchesSpecLayout) {
    Connect c;
    c.keepalive = 10;
    c.client_id = "id";
    c.will = Will{"w", "bye", 1, false};
    c.username = "u";
    c.password = "pw";
    const std::string expected = bytes({0x10, 29,                                   // fixed header
                                        0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xCE, 0x00, 0x0A,
                                        0x00, 0x02, 'i', 'd',                        // client id
                                        0x00, 0x01, 'w', 0x00, 0x03, 'b', 'y', 'e',  // will
                                        0x00, 0x01, 'u', 0x00, 0x02, 'p', 'w'});
    EXPECT_EQ(wire(c), expected);
    const auto r = decode_wire(expected);
    ASSERT_FALSE(r.ec);
    EXPECT_TRUE(r.packet == Packet{c});
}

// §3.3.2.3 example: topic "a/b", packet identifier 10.
TEST(CodecBytes, PublishQos1Header) {
    std::string out;
    encode_publish_header(false, 1, true, "a/b", 10, 3, out);
    EXPECT_EQ(out, bytes({0x33, 10, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A}));
    EXPECT_EQ(wire(Publish{false, 1, true, "a/b", 10, "xyz"}), out + "xyz");

    out.clear();
    encode_publish_header(true, 2, false, "a", 7, 0, out);
    EXPECT_EQ(out, bytes({0x3C, 5, 0x00, 0x01, 'a', 0x00, 0x07}));

    out.clear();
    encode_publish_header(false, 0, false, "a", 0, 200, out);  // QoS 0: no packet id
    EXPECT_EQ(out, bytes({0x30, 0xCB, 0x01, 0x00, 0x01, 'a'}));
}

TEST(CodecBytes, SubackAndFriends) {
    EXPECT_EQ(wire(Suback{0x0102, {0, 1, 2, 0x80}}), bytes({0x90, 6, 0x01, 0x02, 0x00, 0x01, 0x02, 0x80}));
    EXPECT_EQ(wire(Subscribe{10, {{"a/b", 1}}}), bytes({0x82, 8, 0x00, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x01}));
    EXPECT_EQ(wire(Unsubscribe{10, {"a"}}), bytes({0xA2, 5, 0x00, 0x0A, 0x00, 0x01, 'a'}));
    EXPECT_EQ(wire(Connack{true, ConnectReturn::accepted}), bytes({0x20, 2, 0x01, 0x00}));
    EXPECT_EQ(wire(Connack{false, ConnectReturn::not_authorized}), bytes({0x20, 2, 0x00, 0x05}));
    EXPECT_EQ(wire(Puback{0xABCD}), bytes({0x40, 2, 0xAB, 0xCD}));
    EXPECT_EQ(wire(Pubrec{1}), bytes({0x50, 2, 0x00, 0x01}));
    EXPECT_EQ(wire(Pubrel{1}), bytes({0x62, 2, 0x00, 0x01}));
    EXPECT_EQ(wire(Pubcomp{1}), bytes({0x70, 2, 0x00, 0x01}));
    EXPECT_EQ(wire(Unsuback{1}), bytes({0xB0, 2, 0x00, 0x01}));
    EXPECT_EQ(wire(Pingreq{}), bytes({0xC0, 0}));
    EXPECT_EQ(wire(Pingresp{}), bytes({0xD0, 0}));
    EXPECT_EQ(wire(Disconnect{}), bytes({0xE0, 0}));
}

// ---------------------------------------------------------------- CONNECT rules

// A CONNECT with the given flags byte and payload after the variable header.
std::string connect_with(int flags, const std::string& payload, const std::string& name = "MQTT", int level = 4) {
    std::string body = bytes({0x00, static_cast<int>(name.size())}) + name + bytes({level, flags, 0x00, 0x3C}) + payload;
    std::string w = bytes({0x10});
    encode_remaining_length(body.size(), w);
    return w + body;
}

const std::string client_id_c = bytes({0x00, 0x01, 'c'});

TEST(CodecConnect, Mqtt_3_1_2_1_ProtocolNameMustBeMqtt) {
    EXPECT_EQ(decode_error(connect_with(0x02, client_id_c, "MQTX")), Errc::invalid_protocol_name);
    EXPECT_EQ(decode_error(connect_with(0x02, client_id_c, "mqtt")), Errc::invalid_protocol_name);
    EXPECT_EQ(decode_error(connect_with(0x02, client_id_c, "")), Errc::invalid_protocol_name);
}

// [MQTT-3.1.2-2] is the broker's (CONNACK 0x01): the codec decodes any level.
TEST(CodecConnect, Mqtt_3_1_2_2_AnyLevelIsDecodedForTheBroker) {
    auto r = decode_wire(connect_with(0x02, client_id_c, "MQTT", 3));
    ASSERT_FALSE(r.ec);
    EXPECT_EQ(std::get<Connect>(r.packet).protocol_level, 3);
    EXPECT_EQ(std::get<Connect>(r.packet).client_id, "c");

    r = decode_wire(connect_with(0x02, client_id_c, "MQIsdp", 3));
    ASSERT_FALSE(r.ec);
    EXPECT_EQ(std::get<Connect>(r.packet).protocol_name, "MQIsdp");
    EXPECT_EQ(std::get<Connect>(r.packet).protocol_level, 3);

    // An MQTT 5 CONNECT (property length 0 before the client id) does not
    // parse as 3.1.1; name and level still come through.
    r = decode_wire(connect_with(0x02, bytes({0x00}) + client_id_c, "MQTT", 5));
    ASSERT_FALSE(r.ec);
    EXPECT_EQ(std::get<Connect>(r.packet).protocol_name, "MQTT");
    EXPECT_EQ(std::get<Connect>(r.packet).protocol_level, 5);

    // Level 4 gets no such leniency.
    EXPECT_EQ(decode_error(connect_with(0x02, bytes({0x00}) + client_id_c, "MQTT", 4)), Errc::trailing_bytes);
}

TEST(CodecConnect, Mqtt_3_1_2_3_ReservedFlagMustBeZero) {
    EXPECT_EQ(decode_error(connect_with(0x03, client_id_c)), Errc::connect_reserved_flag);
}

TEST(CodecConnect, Mqtt_3_1_2_9_WillFieldsMissing) {
    EXPECT_EQ(decode_error(connect_with(0x06, client_id_c)), Errc::malformed_length);
    EXPECT_EQ(decode_error(connect_with(0x06, client_id_c + bytes({0x00, 0x01, 'w'}))), Errc::malformed_length);
}

TEST(CodecConnect, Mqtt_3_1_2_11_WillQosWithoutWill) {
    EXPECT_EQ(decode_error(connect_with(0x0A, client_id_c)), Errc::will_flags_without_will);
    EXPECT_EQ(decode_error(connect_with(0x12, client_id_c)), Errc::will_flags_without_will);
}

TEST(CodecConnect, Mqtt_3_1_2_13_WillRetainWithoutWill) {
    EXPECT_EQ(decode_error(connect_with(0x22, client_id_c)), Errc::will_flags_without_will);
}

TEST(CodecConnect, Mqtt_3_1_2_14_WillQos3) {
    const std::string will = bytes({0x00, 0x01, 'w', 0x00, 0x00});
    EXPECT_EQ(decode_error(connect_with(0x1E, client_id_c + will)), Errc::invalid_will_qos);
}

TEST(CodecConnect, Mqtt_3_1_2_15_WillFieldsWithoutWillFlag) {
    EXPECT_EQ(decode_error(connect_with(0x02, client_id_c + bytes({0x00, 0x01, 'w', 0x00, 0x00}))),
              Errc::trailing_bytes);
}

TEST(CodecConnect, Mqtt_3_1_2_18_to_21_UserNameAndPasswordMustMatchFlags) {
    EXPECT_EQ(decode_error(connect_with(0x82, client_id_c)), Errc::malformed_length);  // flag, no user name
    EXPECT_EQ(decode_error(connect_with(0xC2, client_id_c + bytes({0x00, 0x01, 'u'}))), Errc::malformed_length);
    EXPECT_EQ(decode_error(connect_with(0x02, client_id_c + bytes({0x00, 0x01, 'u'}))), Errc::trailing_bytes);
    EXPECT_EQ(decode_error(connect_with(0x82, client_id_c + bytes({0x00, 0x01, 'u', 0x00, 0x01, 'p'}))),
              Errc::trailing_bytes);
}

TEST(CodecConnect, Mqtt_3_1_2_22_PasswordWithoutUserName) {
    EXPECT_EQ(decode_error(connect_with(0x42, client_id_c + bytes({0x00, 0x01, 'p'}))),
              Errc::password_without_username);
}

TEST(CodecConnect, Mqtt_3_1_3_3_ClientIdMissing) {
    EXPECT_EQ(decode_error(connect_with(0x02, "")), Errc::malformed_length);
    EXPECT_EQ(decode_error(connect_with(0x02, bytes({0x00, 0x05, 'a'}))), Errc::malformed_length);
}

TEST(CodecConnect, ZeroLengthClientIdIsDecoded) {
    const auto r = decode_wire(connect_with(0x02, bytes({0x00, 0x00})));
    ASSERT_FALSE(r.ec);
    EXPECT_EQ(std::get<Connect>(r.packet).client_id, "");
    EXPECT_EQ(std::get<Connect>(r.packet).keepalive, 60);
    EXPECT_TRUE(std::get<Connect>(r.packet).clean_session);
}

TEST(CodecConnect, Mqtt_3_1_4_1_TruncatedVariableHeader) {
    EXPECT_EQ(decode_error(bytes({0x10, 0x00})), Errc::malformed_length);
    EXPECT_EQ(decode_error(bytes({0x10, 0x06, 0x00, 0x04, 'M', 'Q', 'T', 'T'})), Errc::malformed_length);
    EXPECT_EQ(decode_error(bytes({0x10, 0x08, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02})), Errc::malformed_length);
}

TEST(CodecConnect, Mqtt_1_5_3_StringsAreUtf8Validated) {
    EXPECT_EQ(decode_error(connect_with(0x02, bytes({0x00, 0x02, 0xC0, 0x80}))), Errc::invalid_utf8);
    EXPECT_EQ(decode_error(connect_with(0x02, bytes({0x00, 0x01, 0x00}))), Errc::utf8_null_character);
    EXPECT_EQ(decode_error(connect_with(0x82, client_id_c + bytes({0x00, 0x01, 0x07}))),
              Errc::utf8_disallowed_code_point);
    EXPECT_EQ(decode_error(connect_with(0x06, client_id_c + bytes({0x00, 0x01, '#', 0x00, 0x00}))),
              Errc::wildcard_in_topic_name);
    EXPECT_EQ(decode_error(connect_with(0x06, client_id_c + bytes({0x00, 0x00, 0x00, 0x00}))), Errc::empty_topic);
    // Will payload and password are binary: anything goes.
    const auto r = decode_wire(
        connect_with(0xC6, client_id_c + bytes({0x00, 0x01, 'w', 0x00, 0x02, 0x00, 0xFF, 0x00, 0x01, 'u', 0x00, 0x02,
                                                0xC0, 0x00})));
    ASSERT_FALSE(r.ec) << r.ec.message();
    const auto& c = std::get<Connect>(r.packet);
    EXPECT_EQ(c.will->payload, bytes({0x00, 0xFF}));
    EXPECT_EQ(*c.password, bytes({0xC0, 0x00}));
}

// ---------------------------------------------------------------- fixed header

TEST(CodecFixedHeader, Mqtt_2_2_2_ReservedFlagsPerTable_2_2) {
    for (int type = 1; type <= 14; ++type) {
        if (type == 3) continue;  // PUBLISH flags carry DUP/QoS/RETAIN
        const bool needs_0010 = type == 6 || type == 8 || type == 10;
        for (int flags = 0; flags < 16; ++flags) {
            if (flags == (needs_0010 ? 2 : 0)) continue;
            EXPECT_EQ(decode_error(bytes({(type << 4) | flags, 0})), Errc::invalid_fixed_header_flags)
                << "type " << type << " flags " << flags;
        }
    }
}

TEST(CodecFixedHeader, Mqtt_3_6_1_1_PubrelFlags) {
    EXPECT_EQ(decode_error(bytes({0x60, 2, 0x00, 0x01})), Errc::invalid_fixed_header_flags);
    EXPECT_FALSE(decode_error(bytes({0x62, 2, 0x00, 0x01})));
}

TEST(CodecFixedHeader, Mqtt_3_8_1_1_SubscribeFlags) {
    EXPECT_EQ(decode_error(bytes({0x80, 6, 0x00, 0x01, 0x00, 0x01, 'a', 0x00})), Errc::invalid_fixed_header_flags);
}

TEST(CodecFixedHeader, Mqtt_3_10_1_1_UnsubscribeFlags) {
    EXPECT_EQ(decode_error(bytes({0xA0, 5, 0x00, 0x01, 0x00, 0x01, 'a'})), Errc::invalid_fixed_header_flags);
}

TEST(CodecFixedHeader, Mqtt_3_14_1_1_DisconnectFlags) {
    EXPECT_EQ(decode_error(bytes({0xE1, 0})), Errc::invalid_fixed_header_flags);
}

TEST(CodecFixedHeader, Table_2_1_ReservedPacketTypes) {
    EXPECT_EQ(decode_error(bytes({0x00, 0})), Errc::reserved_packet_type);
    EXPECT_EQ(decode_error(bytes({0xF0, 0})), Errc::reserved_packet_type);
    Packet p;
    EXPECT_EQ(decode(0xF0, "", p), Errc::reserved_packet_type);
}

// §2.2.3
TEST(CodecFixedHeader, RemainingLengthMoreThanFourBytes) {
    EXPECT_EQ(decode_error(bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01})), Errc::remaining_length_too_long);
    EXPECT_EQ(decode_error(bytes({0x30, 0x80, 0x80, 0x80, 0x80})), Errc::remaining_length_too_long);
}

// POLICY: only minimal encodings, as MQTT 5 requires.
TEST(CodecFixedHeader, RemainingLengthNotMinimal) {
    EXPECT_EQ(decode_error(bytes({0xC0, 0x80, 0x00})), Errc::remaining_length_not_minimal);
    EXPECT_EQ(decode_error(bytes({0x40, 0x82, 0x80, 0x00, 0x00, 0x01})), Errc::remaining_length_not_minimal);
    EXPECT_EQ(decode_error(bytes({0x40, 0x80, 0x80, 0x80, 0x00})), Errc::remaining_length_not_minimal);
}

// ---------------------------------------------------------------- PUBLISH rules

TEST(CodecPublish, Mqtt_3_3_1_2_DupWithQos0) {
    EXPECT_EQ(decode_error(bytes({0x38, 3, 0x00, 0x01, 'a'})), Errc::dup_with_qos0);
}

TEST(CodecPublish, Mqtt_3_3_1_4_Qos3) {
    EXPECT_EQ(decode_error(bytes({0x36, 5, 0x00, 0x01, 'a', 0x00, 0x01})), Errc::invalid_qos);
}

TEST(CodecPublish, Mqtt_3_3_2_1_TopicNameUtf8) {
    EXPECT_EQ(decode_error(bytes({0x30, 5, 0x00, 0x03, 0xED, 0xA0, 0x80})), Errc::invalid_utf8);
    EXPECT_EQ(decode_error(bytes({0x30, 4, 0x00, 0x02, 'a', 0x00})), Errc::utf8_null_character);
}

TEST(CodecPublish, Mqtt_3_3_2_2_WildcardInTopicName) {
    EXPECT_EQ(decode_error(bytes({0x30, 5, 0x00, 0x03, 'a', '/', '+'})), Errc::wildcard_in_topic_name);
    EXPECT_EQ(decode_error(bytes({0x30, 3, 0x00, 0x01, '#'})), Errc::wildcard_in_topic_name);
}

TEST(CodecPublish, Mqtt_4_7_3_1_EmptyTopicName) {
    EXPECT_EQ(decode_error(bytes({0x30, 3, 0x00, 0x00, 'x'})), Errc::empty_topic);
}

TEST(CodecPublish, Mqtt_2_3_1_1_ZeroPacketId) {
    EXPECT_EQ(decode_error(bytes({0x32, 5, 0x00, 0x01, 'a', 0x00, 0x00})), Errc::zero_packet_id);
    EXPECT_EQ(decode_error(bytes({0x34, 5, 0x00, 0x01, 'a', 0x00, 0x00})), Errc::zero_packet_id);
}

TEST(CodecPublish, TruncatedTopicOrPacketId) {
    EXPECT_EQ(decode_error(bytes({0x30, 0})), Errc::malformed_length);
    EXPECT_EQ(decode_error(bytes({0x30, 3, 0x00, 0x05, 'a'})), Errc::malformed_length);
    EXPECT_EQ(decode_error(bytes({0x32, 4, 0x00, 0x01, 'a', 0x00})), Errc::malformed_length);
}

TEST(CodecPublish, Qos0HasNoPacketIdAndEverythingElseIsPayload) {
    const auto r = decode_wire(bytes({0x31, 5, 0x00, 0x01, 'a', 0x00, 0x00}));
    ASSERT_FALSE(r.ec);
    const auto& p = std::get<Publish>(r.packet);
    EXPECT_TRUE(p.retain);
    EXPECT_EQ(p.packet_id, 0);
    EXPECT_EQ(p.payload, bytes({0x00, 0x00}));
}

// ---------------------------------------------------------------- SUBSCRIBE / UNSUBSCRIBE

TEST(CodecSubscribe, Mqtt_2_3_1_1_ZeroPacketId) {
    EXPECT_EQ(decode_error(bytes({0x82, 6, 0x00, 0x00, 0x00, 0x01, 'a', 0x00})), Errc::zero_packet_id);
    EXPECT_EQ(decode_error(bytes({0xA2, 5, 0x00, 0x00, 0x00, 0x01, 'a'})), Errc::zero_packet_id);
}

TEST(CodecSubscribe, Mqtt_3_8_3_3_NoFilter) {
    EXPECT_EQ(decode_error(bytes({0x82, 2, 0x00, 0x01})), Errc::empty_subscription_list);
}

TEST(CodecSubscribe, Mqtt_3_8_3_4_ReservedBitsAndQos3) {
    EXPECT_EQ(decode_error(bytes({0x82, 6, 0x00, 0x01, 0x00, 0x01, 'a', 0x04})), Errc::subscribe_reserved_bits);
    EXPECT_EQ(decode_error(bytes({0x82, 6, 0x00, 0x01, 0x00, 0x01, 'a', 0x80})), Errc::subscribe_reserved_bits);
    EXPECT_EQ(decode_error(bytes({0x82, 6, 0x00, 0x01, 0x00, 0x01, 'a', 0x03})), Errc::invalid_qos);
}

TEST(CodecSubscribe, Mqtt_3_10_3_2_UnsubscribeNoFilter) {
    EXPECT_EQ(decode_error(bytes({0xA2, 2, 0x00, 0x01})), Errc::empty_subscription_list);
}

// POLICY: an invalid filter closes the connection (Mosquitto), no SUBACK 0x80.
TEST(CodecSubscribe, Mqtt_4_7_1_2_and_3_InvalidFilter) {
    EXPECT_EQ(decode_error(bytes({0x82, 9, 0x00, 0x01, 0x00, 0x04, 'a', '/', '#', 'b', 0x00})),
              Errc::invalid_topic_filter);
    EXPECT_EQ(decode_error(bytes({0x82, 7, 0x00, 0x01, 0x00, 0x02, 'a', '+', 0x00})), Errc::invalid_topic_filter);
    EXPECT_EQ(decode_error(bytes({0xA2, 8, 0x00, 0x01, 0x00, 0x04, '#', '/', 'a', 'b'})), Errc::invalid_topic_filter);
    // A bad filter after a good one still fails the whole packet.
    EXPECT_EQ(decode_error(bytes({0x82, 11, 0x00, 0x01, 0x00, 0x01, '#', 0x00, 0x00, 0x02, '#', '#', 0x01})),
              Errc::invalid_topic_filter);
}

TEST(CodecSubscribe, Mqtt_4_7_3_1_EmptyFilter) {
    EXPECT_EQ(decode_error(bytes({0x82, 5, 0x00, 0x01, 0x00, 0x00, 0x00})), Errc::empty_topic);
    EXPECT_EQ(decode_error(bytes({0xA2, 4, 0x00, 0x01, 0x00, 0x00})), Errc::empty_topic);
}

TEST(CodecSubscribe, Mqtt_4_7_3_2_NullInFilter) {
    EXPECT_EQ(decode_error(bytes({0x82, 6, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00})), Errc::utf8_null_character);
}

TEST(CodecSubscribe, Mqtt_4_8_0_1_MissingOptionByteOrTruncatedFilter) {
    EXPECT_EQ(decode_error(bytes({0x82, 5, 0x00, 0x01, 0x00, 0x01, 'a'})), Errc::malformed_length);
    EXPECT_EQ(decode_error(bytes({0x82, 5, 0x00, 0x01, 0x00, 0x03, 'a'})), Errc::malformed_length);
    EXPECT_EQ(decode_error(bytes({0xA2, 5, 0x00, 0x01, 0x00, 0x02, 'a'})), Errc::malformed_length);
    EXPECT_EQ(decode_error(bytes({0x82, 1, 0x00})), Errc::malformed_length);
}

// ---------------------------------------------------------------- fixed-size packets

TEST(CodecFixedSize, Mqtt_4_8_0_1_EmptyPacketsMustHaveLengthZero) {
    EXPECT_EQ(decode_error(bytes({0xC0, 1, 0x00})), Errc::trailing_bytes);
    EXPECT_EQ(decode_error(bytes({0xD0, 1, 0x00})), Errc::trailing_bytes);
    EXPECT_EQ(decode_error(bytes({0xE0, 1, 0x00})), Errc::trailing_bytes);
}

TEST(CodecFixedSize, Mqtt_4_8_0_1_AcksMustHaveLengthTwo) {
    for (const int first : {0x40, 0x50, 0x62, 0x70, 0xB0}) {
        EXPECT_EQ(decode_error(bytes({first, 1, 0x00})), Errc::malformed_length) << first;
        EXPECT_EQ(decode_error(bytes({first, 0})), Errc::malformed_length) << first;
        EXPECT_EQ(decode_error(bytes({first, 3, 0x00, 0x01, 0x00})), Errc::trailing_bytes) << first;
    }
}

// An ack answers a packet that had a non-zero id [MQTT-2.3.1-1]: id 0 is a
// protocol violation, not an id that matches nothing.
TEST(CodecFixedSize, Mqtt_2_3_1_1_AcksWithPacketIdZero) {
    for (const int first : {0x40, 0x50, 0x62, 0x70, 0xB0})
        EXPECT_EQ(decode_error(bytes({first, 2, 0x00, 0x00})), Errc::zero_packet_id) << first;
}

TEST(CodecClientBound, ConnackLengthAndReservedBits) {
    EXPECT_EQ(decode_error(bytes({0x20, 1, 0x00})), Errc::malformed_length);
    EXPECT_EQ(decode_error(bytes({0x20, 3, 0x00, 0x00, 0x00})), Errc::trailing_bytes);
    EXPECT_EQ(decode_error(bytes({0x20, 2, 0x02, 0x00})), Errc::connack_reserved_bits);
    EXPECT_EQ(decode_error(bytes({0x20, 2, 0x00, 0x06})), Errc::invalid_return_code);
}

TEST(CodecClientBound, SubackReturnCodes) {
    EXPECT_EQ(decode_error(bytes({0x90, 3, 0x00, 0x01, 0x03})), Errc::invalid_return_code);
    EXPECT_EQ(decode_error(bytes({0x90, 3, 0x00, 0x01, 0x81})), Errc::invalid_return_code);
    EXPECT_EQ(decode_error(bytes({0x90, 2, 0x00, 0x01})), Errc::malformed_length);
}

TEST(CodecErrors, EveryErrcHasAMessage) {
    for (int e = 0; e <= static_cast<int>(Errc::invalid_return_code); ++e) {
        const std::error_code ec = static_cast<Errc>(e);
        EXPECT_EQ(ec.message().find("unknown"), std::string::npos) << e;
        EXPECT_FALSE(ec.message().empty());
    }
    EXPECT_STREQ(to_string(PacketType::unsubscribe), "UNSUBSCRIBE");
    EXPECT_EQ(type_of(Packet{Pingresp{}}), PacketType::pingresp);
}

}  // namespace
}  // namespace mqgate::mqtt
