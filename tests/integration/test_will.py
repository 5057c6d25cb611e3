"""Last will: published when a client vanishes, never after a clean DISCONNECT."""

import time
import unittest

import packets
from harness import GatewayTestCase
from mosquitto_cli import mosquitto_pub


class WillTest(GatewayTestCase):
    def watch(self, topic):
        watcher = self.paho(self.client_id("watcher"))
        watcher.subscribe(topic, 1)
        return watcher

    def will_client(self, topic, payload=b"gone", keepalive=60):
        client = self.raw()
        self.assertEqual(client.connect(self.client_id("will"), keepalive=keepalive,
                                        will=(topic, payload, 1, False)), (False, 0))
        return client

    def assertWill(self, watcher, topic, payload, timeout=5.0):
        msg = watcher.get(timeout)
        self.assertEqual((msg.topic, msg.payload, msg.qos, msg.retain),
                         (topic, payload, 1, False))

    def test_will_published_when_client_process_killed(self):
        topic = self.topic()
        watcher = self.watch(topic)
        sub = self.mosquitto_sub(self.topic("alive"), 0, client_id=self.client_id("victim"),
                                 extra=["--will-topic", topic, "--will-payload", "killed",
                                        "--will-qos", "1"])
        sub.wait_subscribed()
        sub.kill()
        self.assertWill(watcher, topic, b"killed")

    def test_will_with_retain_is_retained(self):
        topic = self.topic()
        watcher = self.watch(topic)
        sub = self.mosquitto_sub(self.topic("alive"), 0, client_id=self.client_id("victim"),
                                 extra=["--will-topic", topic, "--will-payload", "last words",
                                        "--will-qos", "1", "--will-retain"])
        sub.wait_subscribed()
        sub.kill()
        self.addCleanup(mosquitto_pub, self.port, topic, "", 1, True)
        msg = watcher.get()
        self.assertEqual((msg.payload, msg.retain), (b"last words", False))
        late = self.paho(self.client_id("late"))
        late.subscribe(topic, 1)
        msg = late.get()
        self.assertEqual((msg.topic, msg.payload, msg.retain), (topic, b"last words", True))

    def test_no_will_after_clean_disconnect(self):
        topic = self.topic()
        watcher = self.watch(topic)
        client = self.will_client(topic)
        client.send(packets.disconnect())
        self.assertClosed(client)
        # Anything the broker published for the closed client is ahead of this.
        watcher.publish(topic, b"sentinel", 1)
        self.assertEqual([m.payload for m in watcher.until(topic, b"sentinel")], [b"sentinel"])

    def test_will_published_when_socket_closed_without_disconnect(self):
        topic = self.topic()
        watcher = self.watch(topic)
        client = self.will_client(topic)
        client.close()
        self.assertWill(watcher, topic, b"gone")

    def test_will_published_after_keepalive_timeout(self):
        topic = self.topic()
        watcher = self.watch(topic)
        start = time.monotonic()
        client = self.will_client(topic, b"timed out", keepalive=1)
        self.assertWill(watcher, topic, b"timed out", timeout=5.0)
        self.assertGreaterEqual(time.monotonic() - start, 1.0, "will before the keepalive ran out")
        self.assertClosed(client, timeout=2.0)

    def test_will_published_after_protocol_error(self):
        topic = self.topic()
        watcher = self.watch(topic)
        client = self.will_client(topic, b"broken")
        client.send(b"\x36\x05\x00\x01x\x00\x01")  # PUBLISH with QoS 3
        self.assertClosed(client)
        self.assertWill(watcher, topic, b"broken")

    def test_will_published_after_disconnect_with_reserved_flags(self):
        # [MQTT-3.14.1-1]: not a valid DISCONNECT, so the will is not discarded.
        topic = self.topic()
        watcher = self.watch(topic)
        client = self.will_client(topic, b"bad disconnect")
        client.send(b"\xe1\x00")
        self.assertClosed(client)
        self.assertWill(watcher, topic, b"bad disconnect")

    def test_takeover_publishes_old_connections_will(self):
        topic = self.topic()
        watcher = self.watch(topic)
        old = self.will_client(topic, b"taken over")
        new = self.raw()
        self.assertEqual(new.connect(self.client_id("will"))[1], 0)
        self.assertClosed(old)
        self.assertWill(watcher, topic, b"taken over")
        new.send(packets.pingreq())
        self.assertEqual(new.recv_packet().raw, b"\xd0\x00")

    def test_will_qos_is_min_of_will_and_subscription(self):
        topic = self.topic()
        watcher = self.paho(self.client_id("watcher"))
        watcher.subscribe(topic, 0)
        client = self.raw()
        client.connect(self.client_id("will"), will=(topic, b"qos2 will", 2, False))
        client.close()
        msg = watcher.get()
        self.assertEqual((msg.payload, msg.qos), (b"qos2 will", 0))


if __name__ == "__main__":
    unittest.main()
