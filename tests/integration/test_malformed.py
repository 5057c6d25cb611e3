"""Every close-rule a client can trigger (see MQTT-3.1.1-RULES.md): the exact
bytes are sent, the offending connection must be closed without an answer,
while an already-connected client keeps being served and the gateway lives.

One generated test per case, named test_<case>, documented with its rule."""

import struct
import unittest

import packets
from harness import GatewayTestCase
from packets import connect, packet, publish, string, subscribe, unsubscribe, varint

MAX_PACKET_SIZE = 1024
T = "mf/t"  # a valid topic for packets whose error lies elsewhere


def pid(n):
    return struct.pack("!H", n)


def connect_header(level=4, flags=0x02, name="MQTT"):
    return string(name) + bytes([level, flags]) + pid(60)


def with_first_byte(data, first_byte):
    return bytes([first_byte]) + data[1:]


def with_trailing(data, extra):
    """`data` re-framed with `extra` appended inside its remaining length
    (data must have a one-byte remaining length)."""
    return packet(data[0], data[2:] + extra)


# name: (rule, bytes). Sent as the first packet of the connection.
CONNECT_CASES = {
    "connect_reserved_flag_set": ("MQTT-3.1.2-3", connect("mf1", flags=0x03)),
    "connect_will_qos_1_without_will_flag": ("MQTT-3.1.2-13", connect("mf2", flags=0x0A)),
    "connect_will_retain_without_will_flag": ("MQTT-3.1.2-15", connect("mf3", flags=0x22)),
    "connect_will_qos_3": ("MQTT-3.1.2-14", connect("mf4", will=(T, b"w", 3, False))),
    "connect_will_flag_without_will_fields": ("MQTT-3.1.2-9", connect("mf5", flags=0x06)),
    "connect_password_flag_without_username_flag": (
        "MQTT-3.1.2-22", connect("mf6", password="secret")),
    "connect_username_flag_without_username": ("MQTT-3.1.2-19", connect("mf7", flags=0x82)),
    "connect_password_flag_without_password": (
        "MQTT-3.1.2-21", connect("mf8", username="user", flags=0xC2)),
    "connect_username_without_username_flag": (
        "MQTT-3.1.2-18", connect("mf9", username="user", flags=0x02)),
    "connect_client_id_missing": ("MQTT-3.1.3-3", packet(0x10, connect_header())),
    "connect_client_id_truncated": (
        "MQTT-4.8.0-1", packet(0x10, connect_header() + b"\x00\x0aabc")),
    "connect_protocol_name_truncated": ("MQTT-4.8.0-1", packet(0x10, string("MQTT")[:4])),
    "connect_trailing_byte": ("MQTT-4.8.0-1", with_trailing(connect("mf10"), b"\x00")),
    "connect_client_id_overlong_utf8": ("MQTT-1.5.3-1", connect(b"mf\xc0\xaf")),
    "connect_client_id_utf16_surrogate": ("MQTT-1.5.3-1", connect(b"mf\xed\xa0\x80")),
    "connect_client_id_above_u10ffff": ("MQTT-1.5.3-1", connect(b"mf\xf4\x90\x80\x80")),
    "connect_client_id_with_u0000": ("MQTT-1.5.3-2", connect(b"mf\x00x")),
    "connect_username_ill_formed_utf8": ("MQTT-1.5.3-1", connect("mf11", username=b"u\xff")),
    "connect_will_topic_ill_formed_utf8": (
        "MQTT-1.5.3-1", connect("mf12", will=(b"w/\xc0\xaf", b"w", 0, False))),
    "connect_will_topic_with_wildcard": (
        "MQTT-3.3.2-2", connect("mf13", will=("w/#", b"w", 0, False))),
}

# Like CONNECT_CASES, but a refusing CONNACK (return code != 0) before the
# close is acceptable.
CONNECT_REFUSAL_CASES = {
    "connect_protocol_name_mqtx": ("MQTT-3.1.2-1 (POLICY close)",
                                   connect("mf20", proto_name="MQTX")),
}

# name: (rule, bytes). Sent after a successful CONNECT.
SESSION_CASES = {
    # Reserved fixed-header flags.
    "subscribe_flags_0000": ("MQTT-3.8.1-1", with_first_byte(subscribe(1, [(T, 0)]), 0x80)),
    "subscribe_flags_0011": ("MQTT-3.8.1-1", with_first_byte(subscribe(1, [(T, 0)]), 0x83)),
    "unsubscribe_flags_0000": ("MQTT-3.10.1-1", with_first_byte(unsubscribe(1, [T]), 0xA0)),
    "pubrel_flags_0000": ("MQTT-3.6.1-1", b"\x60\x02\x00\x01"),
    "puback_flags_0010": ("MQTT-2.2.2-2", b"\x42\x02\x00\x01"),
    "pubrec_flags_0001": ("MQTT-2.2.2-2", b"\x51\x02\x00\x01"),
    "pubcomp_flags_1000": ("MQTT-2.2.2-2", b"\x78\x02\x00\x01"),
    "pingreq_flags_0001": ("MQTT-2.2.2-2", b"\xc1\x00"),
    "disconnect_flags_0001": ("MQTT-3.14.1-1", b"\xe1\x00"),
    # Remaining length.
    "remaining_length_5_bytes": ("MQTT-4.8.0-1", b"\x30\x80\x80\x80\x80\x01"),
    "remaining_length_non_minimal_pingreq": ("POLICY close", b"\xc0\x80\x00"),
    "remaining_length_non_minimal_publish": ("POLICY close", b"\x30\x85\x00" + string("a/b")),
    # Packet types a client must not send.
    "packet_type_0": ("MQTT-4.8.0-1", b"\x00\x00"),
    "packet_type_15": ("MQTT-4.8.0-1", b"\xf0\x00"),
    "client_sends_connack": ("MQTT-4.8.0-1", b"\x20\x02\x00\x00"),
    "client_sends_suback": ("MQTT-4.8.0-1", b"\x90\x03\x00\x01\x00"),
    "client_sends_unsuback": ("MQTT-4.8.0-1", b"\xb0\x02\x00\x01"),
    "client_sends_pingresp": ("MQTT-4.8.0-1", b"\xd0\x00"),
    # Packet identifier 0.
    "publish_qos1_packet_id_0": ("MQTT-2.3.1-1", publish(T, b"x", qos=1, pid=0)),
    "publish_qos2_packet_id_0": ("MQTT-2.3.1-1", publish(T, b"x", qos=2, pid=0)),
    "subscribe_packet_id_0": ("MQTT-2.3.1-1", subscribe(0, [(T, 0)])),
    "unsubscribe_packet_id_0": ("MQTT-2.3.1-1", unsubscribe(0, [T])),
    "puback_packet_id_0": ("MQTT-2.3.1-1", b"\x40\x02\x00\x00"),
    "pubrec_packet_id_0": ("MQTT-2.3.1-1", b"\x50\x02\x00\x00"),
    "pubrel_packet_id_0": ("MQTT-2.3.1-1", b"\x62\x02\x00\x00"),
    "pubcomp_packet_id_0": ("MQTT-2.3.1-1", b"\x70\x02\x00\x00"),
    # UTF-8 in topic names and filters.
    "publish_topic_overlong_utf8": ("MQTT-1.5.3-1", publish(b"mf/\xc0\xaf", b"x")),
    "publish_topic_utf16_surrogate": ("MQTT-1.5.3-1", publish(b"mf/\xed\xa0\x80", b"x")),
    "publish_topic_above_u10ffff": ("MQTT-1.5.3-1", publish(b"mf/\xf4\x90\x80\x80", b"x")),
    "publish_topic_truncated_utf8_sequence": ("MQTT-1.5.3-1", publish(b"mf/\xe2\x82", b"x")),
    "publish_topic_byte_ff": ("MQTT-1.5.3-1", publish(b"mf/\xff", b"x")),
    "publish_topic_with_u0000": ("MQTT-4.7.3-2", publish(b"mf/a\x00b", b"x")),
    "publish_topic_with_control_u0001": ("POLICY close (like Mosquitto)",
                                         publish(b"mf/a\x01b", b"x")),
    "subscribe_filter_utf16_surrogate": ("MQTT-1.5.3-1",
                                         subscribe(1, [(b"mf/\xed\xa0\x80", 0)])),
    "subscribe_filter_with_u0000": ("MQTT-4.7.3-2", subscribe(1, [(b"mf/\x00", 0)])),
    "unsubscribe_filter_overlong_utf8": ("MQTT-1.5.3-1", unsubscribe(1, [b"mf/\xc0\xaf"])),
    "unsubscribe_filter_with_u0000": ("MQTT-4.7.3-2", unsubscribe(1, [b"mf/\x00"])),
    # PUBLISH flags and topic names.
    "publish_qos_3": ("MQTT-3.3.1-4", packet(0x36, string(T) + pid(1) + b"x")),
    "publish_qos_0_with_dup": ("MQTT-3.3.1-2", packet(0x38, string(T) + b"x")),
    "publish_topic_with_plus": ("MQTT-3.3.2-2", publish("mf/+/t", b"x")),
    "publish_topic_with_hash": ("MQTT-3.3.2-2", publish("mf/#", b"x")),
    "publish_topic_with_embedded_plus": ("MQTT-3.3.2-2", publish("mf/a+b", b"x")),
    "publish_topic_empty": ("MQTT-4.7.3-1", publish("", b"x")),
    # SUBSCRIBE payload.
    "subscribe_without_filter": ("MQTT-3.8.3-3", packet(0x82, pid(1))),
    "subscribe_options_reserved_bits": ("MQTT-3.8.3-4", subscribe(1, [(T, 0x04)])),
    "subscribe_options_qos_3": ("MQTT-3.8.3-4", subscribe(1, [(T, 0x03)])),
    "subscribe_missing_options_byte": ("MQTT-4.8.0-1", packet(0x82, pid(1) + string(T))),
    "subscribe_filter_length_overruns_packet": ("MQTT-4.8.0-1",
                                                packet(0x82, pid(1) + b"\x00\x10abc")),
    "subscribe_trailing_byte": ("MQTT-4.8.0-1", with_trailing(subscribe(1, [(T, 0)]), b"\x00")),
    "subscribe_filter_hash_not_alone_in_level": ("MQTT-4.7.1-2 (POLICY close)",
                                                 subscribe(1, [("sport/tennis#", 0)])),
    "subscribe_filter_hash_not_last": ("MQTT-4.7.1-2 (POLICY close)",
                                       subscribe(1, [("sport/#/ranking", 0)])),
    "subscribe_filter_plus_not_alone_in_level": ("MQTT-4.7.1-3 (POLICY close)",
                                                 subscribe(1, [("sport/tennis+", 0)])),
    "subscribe_second_filter_invalid": ("MQTT-4.7.1-2 (POLICY close)",
                                        subscribe(1, [(T, 0), ("a/#/b", 0)])),
    "subscribe_filter_empty": ("MQTT-4.7.3-1", subscribe(1, [("", 0)])),
    # UNSUBSCRIBE payload.
    "unsubscribe_without_filter": ("MQTT-3.10.3-2", packet(0xA2, pid(1))),
    "unsubscribe_filter_empty": ("MQTT-4.7.3-1", unsubscribe(1, [""])),
    "unsubscribe_trailing_byte": ("MQTT-4.8.0-1", with_trailing(unsubscribe(1, [T]), b"\x00")),
    "unsubscribe_filter_invalid": ("MQTT-4.7.1-2 (POLICY close)", unsubscribe(1, ["a/#/b"])),
    # Lengths that do not match the packet type.
    "disconnect_remaining_length_1": ("MQTT-4.8.0-1", b"\xe0\x01\x00"),
    "pingreq_remaining_length_1": ("MQTT-4.8.0-1", b"\xc0\x01\x00"),
    "puback_remaining_length_3": ("MQTT-4.8.0-1", b"\x40\x03\x00\x01\x00"),
    "puback_remaining_length_1": ("MQTT-4.8.0-1", b"\x40\x01\x00"),
    "pubrec_remaining_length_3": ("MQTT-4.8.0-1", b"\x50\x03\x00\x01\x00"),
    "pubrel_remaining_length_3": ("MQTT-4.8.0-1", b"\x62\x03\x00\x01\x00"),
    "pubcomp_remaining_length_0": ("MQTT-4.8.0-1", b"\x70\x00"),
    "publish_empty_body": ("MQTT-4.8.0-1", b"\x30\x00"),
    "publish_topic_length_overruns_packet": ("MQTT-4.8.0-1", packet(0x30, b"\x00\x10abc")),
    "publish_qos1_missing_packet_id": ("MQTT-4.8.0-1", packet(0x32, string(T))),
    "publish_qos1_half_packet_id": ("MQTT-4.8.0-1", packet(0x32, string(T) + b"\x00")),
    # Size limit (max_packet_size 1024 in this class's config).
    "packet_bigger_than_max_packet_size": ("max_packet_size", publish(T, b"x" * 2000)),
    "packet_announcing_more_than_max_packet_size": (
        "max_packet_size: refused on the header, before the body arrives",
        b"\x30" + varint(100000) + string(T)),
}


class MalformedTest(GatewayTestCase):
    config = {"mqtt": {"max_packet_size": MAX_PACKET_SIZE}}

    def check_closed(self, data, after_connect, refusal_allowed=False):
        observer = self.paho(self.client_id("observer"))
        echo = self.topic("echo")
        observer.subscribe(echo, 1)
        client = self.raw()
        if after_connect:
            self.assertEqual(client.connect(self.client_id("bad")), (False, 0))
        try:
            client.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed already: what the expect_closed below checks
        self.assertClosed(client, msg="after %r" % data[:48])
        if refusal_allowed:
            for pkt in client.discarded:
                self.assertEqual(pkt.type, packets.CONNACK, "only a refusal may answer")
                self.assertNotEqual(pkt.body[1], 0, "the CONNECT was accepted")
        else:
            self.assertEqual(client.discarded, [], "the server answered a malformed packet")
        self.assertRoundTrip(observer, echo, "still served")
        self.assertTrue(self.gateway.alive(), "the gateway process died")

    def test_packet_of_exactly_max_packet_size_accepted(self):
        topic = self.topic()
        subscriber = self.paho(self.client_id("sub"))
        subscriber.subscribe(topic, 0)
        # 1 type byte + 2 remaining-length bytes + body = MAX_PACKET_SIZE.
        payload = b"p" * (MAX_PACKET_SIZE - 3 - len(string(topic)))
        data = publish(topic, payload)
        self.assertEqual(len(data), MAX_PACKET_SIZE)
        client = self.raw_connected()
        client.send(data)
        self.assertEqual(subscriber.get().payload, payload)

    def test_topic_with_bom_delivered_unchanged(self):
        # [MQTT-1.5.3-3]: EF BB BF is U+FEFF, kept, not stripped.
        topic = (self.topic() + "/\ufeffbom").encode()
        subscriber = self.raw_connected(self.client_id("sub"))
        self.assertEqual(subscriber.subscribe(1, [(self.topic() + "/#", 0)]), [0])
        publisher = self.raw_connected(self.client_id("pub"))
        publisher.send(publish(topic, b"bom"))
        pkt = subscriber.expect(packets.PUBLISH)
        self.assertEqual((pkt.topic, pkt.payload), (topic, b"bom"))

    def test_multibyte_utf8_topic_delivered_unchanged(self):
        # [MQTT-4.7.3-4]: no normalisation (the e is a decomposed e + U+0301).
        topic = self.topic() + "/e\u0301/中/😀"
        subscriber = self.paho(self.client_id("sub"))
        subscriber.subscribe(self.topic() + "/+/中/😀", 1)
        subscriber.publish(topic, "unicode", 1)
        msg = subscriber.get()
        self.assertEqual((msg.topic, msg.payload), (topic, b"unicode"))


def _make_test(rule, data, after_connect, refusal_allowed):
    def test(self):
        self.check_closed(data, after_connect, refusal_allowed)
    test.__doc__ = "[%s] %s" % (rule, data[:24].hex(" "))
    return test


def _add_cases():
    for cases, after_connect, refusal in ((CONNECT_CASES, False, False),
                                          (CONNECT_REFUSAL_CASES, False, True),
                                          (SESSION_CASES, True, False)):
        for name, (rule, data) in cases.items():
            setattr(MalformedTest, "test_" + name, _make_test(rule, data, after_connect, refusal))


_add_cases()

if __name__ == "__main__":
    unittest.main()
