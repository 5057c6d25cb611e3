"""CONNECT handling: return codes, client ids, session present, takeover."""

import os
import re
import resource
import select
import struct
import time
import unittest

import packets
from harness import GatewayTestCase
from rawclient import ConnectionClosed


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


class PreConnectLimitsTest(GatewayTestCase):
    """What a peer that has not sent its CONNECT can make the server hold: the
    first byte must be a CONNECT's, the CONNECT at most max_connect_size. Both
    close at once, long before the (here very long) connect timeout."""

    MAX_CONNECT_SIZE = 1024
    config = {"mqtt": {"connect_timeout": 60, "max_connect_size": MAX_CONNECT_SIZE}}

    def assertClosedUnanswered(self, client, data):
        try:
            client.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed already: what the check below is about
        self.assertClosed(client, timeout=5.0, msg="(connect_timeout is 60 s)")
        self.assertEqual(client.discarded, [])

    def test_first_byte_not_connect_closes_before_more_is_buffered(self):
        # A PUBLISH header announcing ~1 MiB: nothing of it is waited for.
        self.assertClosedUnanswered(self.raw(), b"\x30\x97\xff\x3f")

    def test_first_byte_of_connect_with_reserved_flags_closes(self):
        self.assertClosedUnanswered(self.raw(), b"\x11")

    def test_connect_announcing_more_than_max_connect_size_closes_on_its_header(self):
        header = b"\x10" + packets.varint(196 * 1024) + packets.string("MQTT") + b"\x04\x02\x00\x3c"
        self.assertClosedUnanswered(self.raw(), header)

    def test_connect_of_exactly_max_connect_size_is_accepted(self):
        probe = packets.connect(self.client_id(), will=("w/t", b"", 0, False))
        payload = b"w" * (self.MAX_CONNECT_SIZE - len(probe) - 1)  # the remaining length takes 2 bytes
        data = packets.connect(self.client_id(), will=("w/t", payload, 0, False))
        self.assertEqual(len(data), self.MAX_CONNECT_SIZE)
        client = self.raw()
        client.send(data)
        self.assertEqual(client.recv_packet().raw, b"\x20\x02\x00\x00")
        # The limit is for the CONNECT only: later packets may be larger.
        client.send(packets.publish(self.topic(), b"p" * (2 * self.MAX_CONNECT_SIZE), qos=1, pid=7))
        self.assertEqual(client.expect(packets.PUBACK).pid, 7)

    def test_connect_one_byte_over_max_connect_size_closes(self):
        probe = packets.connect(self.client_id(), will=("w/t", b"", 0, False))
        payload = b"w" * (self.MAX_CONNECT_SIZE - len(probe))
        data = packets.connect(self.client_id(), will=("w/t", payload, 0, False))
        self.assertEqual(len(data), self.MAX_CONNECT_SIZE + 1)
        self.assertClosedUnanswered(self.raw(), data)


class MaxConnectionsTest(GatewayTestCase):
    config = {"mqtt": {"max_connections": 2}}

    def connect_when_room(self, suffix):
        """A connected client, once the slot of a client that just left is
        free again (it is, as that client's socket closes)."""
        for _ in range(50):
            client = self.raw()
            client.send(packets.connect(self.client_id(suffix)))
            try:
                if client.recv_packet().raw == b"\x20\x02\x00\x00":
                    return client
            except ConnectionClosed:
                pass
            self.assertClosed(client)
        self.fail("no room for a connection")

    def fill(self):
        return [self.connect_when_room(str(n)) for n in range(2)]

    def test_a_connection_over_the_limit_is_answered_0x03(self):
        first, _ = self.fill()
        refused = self.raw()
        refused.send(packets.connect(self.client_id("over")))
        self.assertEqual(refused.recv_packet().raw, b"\x20\x02\x00\x03")
        self.assertClosed(refused)
        first.send(packets.disconnect())
        self.assertClosed(first)
        self.connect_when_room("after")

    def test_refused_connections_are_bounded(self):
        # 64 connections over the limit at a time wait for their CONNECT to be
        # told 0x03; more are closed at accept.
        self.fill()
        extra = [self.raw() for _ in range(70)]
        open_ones = set(extra)
        deadline = time.monotonic() + 5.0
        while len(open_ones) > 64 and time.monotonic() < deadline:
            readable, _, _ = select.select(list(s.sock for s in open_ones), [], [], 0.2)
            for client in [c for c in open_ones if c.sock in readable]:
                if client.expect_closed(0.1):
                    open_ones.discard(client)
        self.assertLessEqual(len(open_ones), 64)
        waiting = next(iter(open_ones))
        waiting.send(packets.connect(self.client_id("waiting")))
        self.assertEqual(waiting.recv_packet().raw, b"\x20\x02\x00\x03")


def few_descriptors():
    resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))


# UBSan's vptr check probes memory through a pipe(): with no descriptor left it
# reports every virtual call as "does not point to an object of type". The
# normal build runs this test; the sanitizer build cannot.
@unittest.skipIf("undefined" in os.environ.get("MQGATE_SANITIZE", ""),
                 "UBSan needs a free descriptor for its vptr check")
class OutOfDescriptorsTest(GatewayTestCase):
    """Out of file descriptors, accept fails every 100 ms: logged once when it
    starts and once, with a count, when accepting works again."""

    config = {"threads": 1}
    preexec_fn = staticmethod(few_descriptors)

    def test_accept_failures_are_logged_once_per_episode(self):
        connected = []
        pending = None
        for n in range(100):
            client = self.raw()
            client.send(packets.connect(self.client_id(str(n))))
            try:
                client.expect(packets.CONNACK, timeout=1.0)
            except TimeoutError:
                if "Too many open files" in self.gateway.log_text():
                    pending = client  # queued by the kernel, not accepted: out of descriptors
                    break
                client.expect(packets.CONNACK, timeout=10.0)  # only slow (a loaded machine)
            connected.append(client)
        self.assertIsNotNone(pending, "100 connections and still descriptors left")
        # Accept keeps failing while the pending connection waits: no CONNACK.
        with self.assertRaises(TimeoutError):
            pending.recv_packet(timeout=1.5)
        # Room for the pending connection and one more: the episode ends.
        for client in connected[:2]:
            client.send(packets.disconnect())
            self.assertClosed(client)
        pending.expect(packets.CONNACK, timeout=5.0)
        log = self.gateway.log_text()
        # One warning per episode, not one per retry. The episode may end and
        # start again at once (a connection the kernel queued meanwhile takes
        # the freed descriptor), so count episodes rather than expect one.
        again = [int(n) for n in re.findall(r"again after (\d+) failed accepts", log)]
        self.assertGreaterEqual(len(again), 1, self.gateway.log_tail(40))
        self.assertLessEqual(log.count("Too many open files"), len(again) + 1, self.gateway.log_tail(40))
        self.assertGreaterEqual(max(again), 2, self.gateway.log_tail(40))


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

    def test_connect_trickled_byte_by_byte_is_closed_at_the_deadline(self):
        # The deadline counts from accept: bytes arriving before the CONNECT is
        # complete do not restart it. Trickled over ~10 s, the CONNECT must
        # never complete.
        data = packets.connect(self.client_id("x" * 20))
        client = self.raw()
        closed_at = None
        for i, byte in enumerate(data):
            try:
                client.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_at = i
                break
            if client.expect_closed(10.0 / len(data)):
                closed_at = i
                break
        self.assertIsNotNone(closed_at, "the whole CONNECT was accepted over %d bytes" % len(data))
        self.assertLess(closed_at, len(data) - 1)
        self.assertEqual(client.discarded, [])

    def test_connected_client_not_affected_by_connect_timeout(self):
        client = self.raw_connected(keepalive=0)
        self.assertFalse(client.expect_closed(1.5), "closed although CONNECT was completed")
        client.send(packets.pingreq())
        self.assertEqual(client.recv_packet().raw, b"\xd0\x00")


if __name__ == "__main__":
    unittest.main()
