"""CONNECT handling: return codes, client ids, session present, takeover."""

import struct
import time
import unittest

import packets
from harness import GatewayTestCase


class ConnectTest(GatewayTestCase):
    def test_normal_connect_gets_exact_connack_accepted(self):
        client = self.raw()
        client.send(packets.connect(self.client_id()))
        self.assertEqual(client.recv_packet().raw, b"\x20\x02\x00\x00")

    def test_clean_session_connect_has_session_present_0(self):
        # Even when a persistent session exists for the id, clean session 1
        # discards it.
        first = self.raw()
        self.assertEqual(first.connect(self.client_id(), clean=False), (False, 0))
        first.send(packets.disconnect())
        self.assertClosed(first)
        second = self.raw()
        self.assertEqual(second.connect(self.client_id(), clean=True), (False, 0))

    def test_protocol_level_3_mqisdp_refused_with_0x01(self):
        client = self.raw()
        client.send(packets.connect(self.client_id(), proto_name="MQIsdp", level=3))
        self.assertEqual(client.recv_packet().raw, b"\x20\x02\x00\x01")
        self.assertClosed(client)

    def test_protocol_level_5_refused_with_0x01(self):
        # A genuine MQTT 5 CONNECT: a property length follows the keepalive.
        body = (packets.string("MQTT") + bytes([5, 0x02]) + struct.pack("!H", 60) + b"\x00"
                + packets.string(self.client_id()))
        client = self.raw()
        client.send(packets.packet(0x10, body))
        self.assertEqual(client.recv_packet().raw, b"\x20\x02\x00\x01")
        self.assertClosed(client)

    def test_empty_client_id_with_persistent_session_refused_with_0x02(self):
        client = self.raw()
        client.send(packets.connect("", clean=False))
        self.assertEqual(client.recv_packet().raw, b"\x20\x02\x00\x02")
        self.assertClosed(client)

    def test_empty_client_id_with_clean_session_accepted(self):
        client = self.paho(client_id="", clean_session=True)
        topic = self.topic()
        self.assertEqual(client.subscribe(topic, 1), [1])
        self.assertRoundTrip(client, topic, "anonymous id works")

    def test_client_id_of_256_bytes_accepted(self):
        client = self.raw()
        self.assertEqual(client.connect("c" * 256), (False, 0))

    def test_client_id_longer_than_256_bytes_refused_with_0x02(self):
        client = self.raw()
        client.send(packets.connect("c" * 257))
        self.assertEqual(client.recv_packet().raw, b"\x20\x02\x00\x02")
        self.assertClosed(client)

    def test_data_after_refused_connect_not_processed(self):
        # [MQTT-3.1.4-5]: the PUBLISH sent with a refused CONNECT must not reach
        # subscribers.
        watcher = self.paho(self.client_id("watcher"))
        topic = self.topic()
        watcher.subscribe(topic, 1)
        client = self.raw()
        client.send(packets.connect("", clean=False) + packets.publish(topic, b"ignored", qos=0))
        self.assertEqual(client.recv_packet().raw, b"\x20\x02\x00\x02")
        self.assertClosed(client)
        watcher.publish(topic, b"sentinel", 1)
        received = watcher.until(topic, b"sentinel")
        self.assertEqual([m.payload for m in received], [b"sentinel"])

    def test_second_connect_closes_connection(self):
        client = self.raw_connected()
        client.send(packets.connect(self.client_id("again")))
        self.assertClosed(client)
        self.assertEqual(client.discarded, [], "nothing may answer a second CONNECT")

    def test_first_packet_not_connect_closed_without_response(self):
        client = self.raw()
        client.send(packets.pingreq())
        self.assertClosed(client)
        self.assertEqual(client.discarded, [])

    def test_takeover_closes_the_existing_connection(self):
        first = self.raw_connected(self.client_id())
        second = self.raw()
        self.assertEqual(second.connect(self.client_id())[1], 0)
        self.assertClosed(first, msg="(the older connection with the same client id)")
        second.send(packets.pingreq())
        self.assertEqual(second.recv_packet().raw, b"\xd0\x00")
        self.assertEqual(second.subscribe(1, [(self.topic(), 1)]), [1])

    def test_session_present_follows_the_session_state(self):
        cid = self.client_id()
        steps = [
            (False, False, "new persistent session"),
            (False, True, "resumed persistent session"),
            (True, False, "clean session discards it"),
            (False, False, "nothing left after a clean session"),
        ]
        for clean, expected, what in steps:
            with self.subTest(what):
                client = self.raw()
                self.assertEqual(client.connect(cid, clean=clean), (expected, 0))
                client.send(packets.disconnect())
                self.assertClosed(client)
                client.close()


class ConnectTimeoutTest(GatewayTestCase):
    config = {"mqtt": {"connect_timeout": 1}}

    def test_silent_connection_closed_after_connect_timeout(self):
        start = time.monotonic()
        client = self.raw()
        self.assertClosed(client, timeout=6.0)
        self.assertGreaterEqual(time.monotonic() - start, 0.8, "closed before connect_timeout")
        self.assertEqual(client.discarded, [])

    def test_partial_connect_closed_after_connect_timeout(self):
        client = self.raw()
        client.send(packets.connect(self.client_id())[:5])
        self.assertClosed(client, timeout=6.0)
        self.assertEqual(client.discarded, [])

    def test_connected_client_not_affected_by_connect_timeout(self):
        client = self.raw_connected(keepalive=0)
        self.assertFalse(client.expect_closed(1.5), "closed although CONNECT was completed")
        client.send(packets.pingreq())
        self.assertEqual(client.recv_packet().raw, b"\xd0\x00")


if __name__ == "__main__":
    unittest.main()
